//! Constants of the `symbols.nxsym` format: keys, record sizes, enumerations. The
//! format itself is specified in docs/reliability/crashdump-v2.md.

use crate::Error;

/// Value of the top-level `format` key.
pub const FORMAT_NAME: &str = "nxsym";
/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// Bytes per record of the `nodes` table: name, parent, call_file, call_line (u32 LE).
pub const NODE_RECORD: usize = 16;
/// "No string" / "no parent" in a `nodes` record.
pub const NONE: u32 = u32::MAX;

/// Map keys, as written in the file.
pub mod key {
    /// Top level: `"nxsym"`.
    pub const FORMAT: &str = "format";
    /// Top level: format version.
    pub const VERSION: &str = "version";
    /// Top level: array of modules sorted by Build-ID.
    pub const MODULES: &str = "modules";
    /// Module: Build-ID bytes.
    pub const BUILD_ID: &str = "build_id";
    /// Module: `gnu` or `fallback`.
    pub const BUILD_ID_KIND: &str = "build_id_kind";
    /// Module: ELF file name.
    pub const NAME: &str = "name";
    /// Module: architecture name.
    pub const ARCH: &str = "arch";
    /// Module: `dwarf` or `symtab`.
    pub const DEBUG: &str = "debug";
    /// Module: separate debug file name or null.
    pub const DEBUG_FILE: &str = "debug_file";
    /// Module: packed scope records.
    pub const NODES: &str = "nodes";
    /// Module: concatenated UTF-8 strings.
    pub const STRINGS: &str = "strings";
    /// Module: u32 LE offsets, one more than there are strings.
    pub const STRING_OFFSETS: &str = "string_offsets";
    /// Module: block directory of the scope table.
    pub const SCOPE_DIR: &str = "scope_dir";
    /// Module: block data of the scope table.
    pub const SCOPES: &str = "scopes";
    /// Module: block directory of the line table.
    pub const LINE_DIR: &str = "line_dir";
    /// Module: block data of the line table.
    pub const LINES: &str = "lines";
}

/// Where a module's Build-ID came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildIdKind {
    /// The ELF's `NT_GNU_BUILD_ID` note.
    Gnu,
    /// The documented fallback digest (the ELF had no note).
    Fallback,
}

impl BuildIdKind {
    /// The name written in the index.
    pub fn name(self) -> &'static str {
        match self {
            BuildIdKind::Gnu => "gnu",
            BuildIdKind::Fallback => "fallback",
        }
    }

    pub(crate) fn from_name(s: &str) -> Result<Self, Error> {
        match s {
            "gnu" => Ok(BuildIdKind::Gnu),
            "fallback" => Ok(BuildIdKind::Fallback),
            _ => Err(Error::WrongType {
                field: key::BUILD_ID_KIND,
                expected: "\"gnu\" or \"fallback\"",
            }),
        }
    }
}

/// What debug information a module was indexed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugKind {
    /// DWARF: functions, inlined frames, files and lines.
    Dwarf,
    /// Only the ELF symbol table: function names, no lines (degraded).
    Symtab,
}

impl DebugKind {
    /// The name written in the index.
    pub fn name(self) -> &'static str {
        match self {
            DebugKind::Dwarf => "dwarf",
            DebugKind::Symtab => "symtab",
        }
    }

    pub(crate) fn from_name(s: &str) -> Result<Self, Error> {
        match s {
            "dwarf" => Ok(DebugKind::Dwarf),
            "symtab" => Ok(DebugKind::Symtab),
            _ => Err(Error::WrongType {
                field: key::DEBUG,
                expected: "\"dwarf\" or \"symtab\"",
            }),
        }
    }
}
