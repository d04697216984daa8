//! Reading an index in place: [`SymIndex::parse`] walks the CBOR heads once (no table is
//! decoded or copied), [`SymIndex::module`] binary-searches the modules by Build-ID, and
//! [`Module::lookup`] binary-searches two block directories and decodes one block of each.

use crate::blocks::BlockTable;
use crate::cbor::Reader;
use crate::format::{key, BuildIdKind, DebugKind, FORMAT_NAME, FORMAT_VERSION, NONE};
use crate::raw::{NodeRecord, StringOffset};
use crate::Error;
use alloc::vec::Vec;
use zerocopy::FromBytes;

/// One frame of a symbolized address. Frames come innermost (most deeply inlined) first;
/// the last one is the function the address's code was compiled into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The function (demangled), if known.
    pub function: Option<&'a str>,
    /// The source file, if known.
    pub file: Option<&'a str>,
    /// The source line, if known (DWARF's line 0, "no line", is `None`).
    pub line: Option<u32>,
}

/// A borrowed view over a whole index.
#[derive(Clone)]
pub struct SymIndex<'a> {
    version: u64,
    modules: Vec<Module<'a>>,
}

/// One indexed ELF, keyed by its Build-ID.
#[derive(Clone, Copy)]
pub struct Module<'a> {
    /// The module's whole CBOR map, as the index holds it (what a merge copies).
    raw: &'a [u8],
    build_id: &'a [u8],
    build_id_kind: BuildIdKind,
    name: &'a str,
    arch: &'a str,
    debug: DebugKind,
    debug_file: Option<&'a str>,
    nodes: &'a [NodeRecord],
    strings: &'a [u8],
    string_offsets: &'a [StringOffset],
    scopes: BlockTable<'a>,
    lines: BlockTable<'a>,
}

impl<'a> SymIndex<'a> {
    /// Opens an index held in `bytes` without decoding its tables.
    pub fn parse(bytes: &'a [u8]) -> Result<SymIndex<'a>, Error> {
        let mut r = Reader::new(bytes);
        // Anything that does not even start as a CBOR map is not an index at all.
        let n = match r.head() {
            Ok(crate::cbor::Head::Map(n)) => n,
            _ => return Err(Error::NotAnIndex),
        };
        let mut format = None;
        let mut version = None;
        let mut modules_at = None;
        for _ in 0..n {
            let k = r.text("index key")?;
            match k {
                key::FORMAT => format = Some(r.text(key::FORMAT)?),
                key::VERSION => version = Some(r.uint(key::VERSION)?),
                key::MODULES => {
                    modules_at = Some(r.clone());
                    r.skip()?;
                }
                _ => r.skip()?,
            }
        }
        if format.ok_or(Error::MissingField { field: key::FORMAT })? != FORMAT_NAME {
            return Err(Error::NotAnIndex);
        }
        let version = version.ok_or(Error::MissingField {
            field: key::VERSION,
        })?;
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion { found: version });
        }
        let mut m = modules_at.ok_or(Error::MissingField {
            field: key::MODULES,
        })?;
        let count = m.array(key::MODULES)?;
        // Each module takes at least a few bytes: a count above the input size is a lie.
        if count > bytes.len() as u64 {
            return Err(Error::Truncated { at: m.pos() });
        }
        let mut modules = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let start = m.pos();
            let mut module = Module::parse(&mut m)?;
            module.raw = bytes
                .get(start..m.pos())
                .ok_or(Error::Truncated { at: start })?;
            if let Some(prev) = modules.last().map(|p: &Module<'_>| p.build_id) {
                if prev >= module.build_id {
                    return Err(Error::UnsortedModules);
                }
            }
            modules.push(module);
        }
        Ok(SymIndex { version, modules })
    }

    /// The format version of the index.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// All modules, sorted by Build-ID.
    pub fn modules(&self) -> &[Module<'a>] {
        &self.modules
    }

    /// The module with this Build-ID, if the index has it.
    pub fn module(&self, build_id: &[u8]) -> Result<Option<Module<'a>>, Error> {
        Ok(self
            .modules
            .binary_search_by(|m| m.build_id.cmp(build_id))
            .ok()
            .and_then(|i| self.modules.get(i).copied()))
    }
}

fn need<T>(v: Option<T>, field: &'static str) -> Result<T, Error> {
    v.ok_or(Error::MissingField { field })
}

impl<'a> Module<'a> {
    fn parse(r: &mut Reader<'a>) -> Result<Module<'a>, Error> {
        let n = r.map("module")?;
        let mut build_id = None;
        let mut build_id_kind = None;
        let mut name = None;
        let mut arch = None;
        let mut debug = None;
        let mut debug_file = None;
        let mut nodes = None;
        let mut strings = None;
        let mut string_offsets = None;
        let (mut scope_dir, mut scopes, mut line_dir, mut lines) = (None, None, None, None);
        for _ in 0..n {
            match r.text("module key")? {
                key::BUILD_ID => build_id = Some(r.bytes(key::BUILD_ID)?),
                key::BUILD_ID_KIND => {
                    build_id_kind = Some(BuildIdKind::from_name(r.text(key::BUILD_ID_KIND)?)?)
                }
                key::NAME => name = Some(r.text(key::NAME)?),
                key::ARCH => arch = Some(r.text(key::ARCH)?),
                key::DEBUG => debug = Some(DebugKind::from_name(r.text(key::DEBUG)?)?),
                key::DEBUG_FILE => {
                    let mut peek = r.clone();
                    if peek.head()? == crate::cbor::Head::Null {
                        *r = peek;
                    } else {
                        debug_file = Some(r.text(key::DEBUG_FILE)?);
                    }
                }
                key::NODES => nodes = Some(r.bytes(key::NODES)?),
                key::STRINGS => strings = Some(r.bytes(key::STRINGS)?),
                key::STRING_OFFSETS => string_offsets = Some(r.bytes(key::STRING_OFFSETS)?),
                key::SCOPE_DIR => scope_dir = Some(r.bytes(key::SCOPE_DIR)?),
                key::SCOPES => scopes = Some(r.bytes(key::SCOPES)?),
                key::LINE_DIR => line_dir = Some(r.bytes(key::LINE_DIR)?),
                key::LINES => lines = Some(r.bytes(key::LINES)?),
                _ => r.skip()?,
            }
        }
        let nodes = need(nodes, key::NODES)?;
        let nodes = <[NodeRecord]>::ref_from_bytes(nodes).map_err(|_| Error::BadTable {
            table: key::NODES,
            why: "not a whole number of records",
        })?;
        let string_offsets = need(string_offsets, key::STRING_OFFSETS)?;
        let string_offsets = <[StringOffset]>::ref_from_bytes(string_offsets)
            .ok()
            .filter(|o| !o.is_empty())
            .ok_or(Error::BadTable {
                table: key::STRING_OFFSETS,
                why: "not a non-empty array of u32",
            })?;
        Ok(Module {
            raw: &[],
            build_id: need(build_id, key::BUILD_ID)?,
            build_id_kind: need(build_id_kind, key::BUILD_ID_KIND)?,
            name: need(name, key::NAME)?,
            arch: need(arch, key::ARCH)?,
            debug: need(debug, key::DEBUG)?,
            debug_file,
            nodes,
            strings: need(strings, key::STRINGS)?,
            string_offsets,
            scopes: BlockTable::new(
                need(scope_dir, key::SCOPE_DIR)?,
                need(scopes, key::SCOPES)?,
                key::SCOPES,
            )?,
            lines: BlockTable::new(
                need(line_dir, key::LINE_DIR)?,
                need(lines, key::LINES)?,
                key::LINES,
            )?,
        })
    }

    /// The module's Build-ID bytes.
    pub fn build_id(&self) -> &'a [u8] {
        self.build_id
    }

    /// The module's encoded map exactly as the index holds it: two modules with equal
    /// bytes are the same module, and a merge copies these bytes unchanged.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Whether the Build-ID came from the ELF's note or from the documented fallback.
    pub fn build_id_kind(&self) -> BuildIdKind {
        self.build_id_kind
    }

    /// The ELF's file name (no directories).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The ELF's architecture (`riscv64`, `x86_64`, ...).
    pub fn arch(&self) -> &'a str {
        self.arch
    }

    /// Where the symbols came from: DWARF, or only the symbol table (degraded).
    pub fn debug(&self) -> DebugKind {
        self.debug
    }

    /// The separate debug file the DWARF came from, if not the ELF itself.
    pub fn debug_file(&self) -> Option<&'a str> {
        self.debug_file
    }

    /// Number of scopes (functions and inlined calls) the module holds.
    pub fn scope_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of blocks in the line table.
    pub fn line_blocks(&self) -> usize {
        self.lines.blocks()
    }

    /// The string with id `id`.
    fn string(&self, id: u32) -> Result<&'a str, Error> {
        let i = id as usize;
        let bad = Error::BadString { id };
        let start = self.string_offsets.get(i).ok_or(bad.clone())?.get();
        let end = self.string_offsets.get(i + 1).ok_or(bad.clone())?.get();
        let b = self
            .strings
            .get(start as usize..end as usize)
            .ok_or(bad.clone())?;
        core::str::from_utf8(b).map_err(|_| bad)
    }

    fn opt_string(&self, id: u32) -> Result<Option<&'a str>, Error> {
        if id == NONE {
            Ok(None)
        } else {
            self.string(id).map(Some)
        }
    }

    fn node(&self, id: u32) -> Result<[u32; 4], Error> {
        let n = self.nodes.get(id as usize).ok_or(Error::BadTable {
            table: key::NODES,
            why: "scope id out of range",
        })?;
        Ok([n.name, n.parent, n.call_file, n.call_line].map(|v| v.get()))
    }

    /// Frames for link-time address `addr`, innermost first; empty when the module has
    /// neither a scope nor a line for it.
    pub fn lookup(&self, addr: u64) -> Result<Vec<Frame<'a>>, Error> {
        let scope = self.scopes.scope_at(addr)?;
        let line = self.lines.line_at(addr)?;
        let mut frames = Vec::new();
        let has_line = line.is_some();
        let (file, line) = match line {
            Some((f, l)) => (Some(self.string(f)?), (l != 0).then_some(l)),
            None => (None, None),
        };
        if scope == 0 {
            if file.is_some() {
                frames.push(Frame {
                    function: None,
                    file,
                    line,
                });
            }
            return Ok(frames);
        }
        let mut id = scope - 1;
        let mut frame = Frame {
            function: None,
            file,
            line,
        };
        loop {
            let [name, parent, call_file, call_line] = self.node(id)?;
            frame.function = self.opt_string(name)?;
            if parent == NONE {
                // An outermost scope's `call_file` is the symbol table's file name for
                // it, shown when the line table says nothing about the address.
                if frames.is_empty() && !has_line {
                    frame.file = self.opt_string(call_file)?;
                }
                frames.push(frame);
                return Ok(frames);
            }
            frames.push(frame);
            if parent >= id {
                return Err(Error::BadTable {
                    table: key::NODES,
                    why: "parent after child",
                });
            }
            frame = Frame {
                function: None,
                file: self.opt_string(call_file)?,
                line: (call_line != 0).then_some(call_line),
            };
            id = parent;
        }
    }
}
