//! Serializing modules into the canonical index bytes. Deterministic: the same modules
//! give the same bytes, whatever order they are handed over in.

use crate::blocks::{encode_lines, encode_scopes};
use crate::cbor::Writer;
use crate::format::{key, BuildIdKind, DebugKind, FORMAT_NAME, FORMAT_VERSION};
use crate::BuildId;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// One scope: a function, or a call inlined into its parent scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// String id of the function name, or [`NONE`].
    pub name: u32,
    /// Parent scope id (smaller than this node's id), or [`NONE`] for an outermost function.
    pub parent: u32,
    /// For an inlined call: string id of the file of the call site in the parent, or [`NONE`].
    pub call_file: u32,
    /// For an inlined call: line of the call site in the parent (0 when unknown).
    pub call_line: u32,
}

/// Interned strings, ids in order of first use.
#[derive(Debug, Default, Clone)]
pub struct Strings {
    ids: BTreeMap<String, u32>,
    order: Vec<u32>,
    bytes: Vec<u8>,
}

impl Strings {
    /// The id of `s`, adding it on first use.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.order.len() as u32;
        self.order.push(self.bytes.len() as u32);
        self.bytes.extend_from_slice(s.as_bytes());
        self.ids.insert(String::from(s), id);
        id
    }

    fn offsets(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity((self.order.len() + 1) * 4);
        for off in &self.order {
            out.extend_from_slice(&off.to_le_bytes());
        }
        out.extend_from_slice(&(self.bytes.len() as u32).to_le_bytes());
        out
    }
}

/// Everything the index stores about one ELF.
#[derive(Debug, Clone)]
pub struct ModuleData {
    /// The Build-ID (the key).
    pub build_id: BuildId,
    /// Where the Build-ID came from.
    pub build_id_kind: BuildIdKind,
    /// ELF file name without directories.
    pub name: String,
    /// Architecture name.
    pub arch: String,
    /// DWARF or symbol table only.
    pub debug: DebugKind,
    /// Separate debug file name, when the DWARF came from one.
    pub debug_file: Option<String>,
    /// Interned names and paths.
    pub strings: Strings,
    /// Scopes; a parent always has a smaller id than its children.
    pub nodes: Vec<Node>,
    /// `(address, scope id + 1)` breakpoints, strictly increasing (0: no scope).
    pub scopes: Vec<(u64, u32)>,
    /// `(address, (file string id, line))` breakpoints, strictly increasing (None: no line).
    pub lines: Vec<(u64, Option<(u32, u32)>)>,
}

/// One map value.
enum Value<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    Null,
}

fn write_map(w: &mut Writer, mut entries: Vec<(&str, Value<'_>)>) {
    // Canonical order (RFC 8949 4.2.1): shorter keys first, then bytewise.
    entries.sort_by(|a, b| (a.0.len(), a.0).cmp(&(b.0.len(), b.0)));
    w.map(entries.len());
    for (k, v) in entries {
        w.text(k);
        match v {
            Value::Text(s) => w.text(s),
            Value::Bytes(b) => w.bytes(b),
            Value::Null => w.out.push(0xf6),
        }
    }
}

fn write_module(w: &mut Writer, m: &ModuleData) {
    let mut nodes = Vec::with_capacity(m.nodes.len() * 16);
    for n in &m.nodes {
        for v in [n.name, n.parent, n.call_file, n.call_line] {
            nodes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let (scope_dir, scopes) = encode_scopes(&m.scopes);
    let (line_dir, lines) = encode_lines(&m.lines);
    let offsets = m.strings.offsets();
    write_map(
        w,
        alloc::vec![
            (key::BUILD_ID, Value::Bytes(m.build_id.as_bytes())),
            (key::BUILD_ID_KIND, Value::Text(m.build_id_kind.name())),
            (key::NAME, Value::Text(&m.name)),
            (key::ARCH, Value::Text(&m.arch)),
            (key::DEBUG, Value::Text(m.debug.name())),
            (
                key::DEBUG_FILE,
                m.debug_file.as_deref().map_or(Value::Null, Value::Text)
            ),
            (key::NODES, Value::Bytes(&nodes)),
            (key::STRINGS, Value::Bytes(&m.strings.bytes)),
            (key::STRING_OFFSETS, Value::Bytes(&offsets)),
            (key::SCOPE_DIR, Value::Bytes(&scope_dir)),
            (key::SCOPES, Value::Bytes(&scopes)),
            (key::LINE_DIR, Value::Bytes(&line_dir)),
            (key::LINES, Value::Bytes(&lines)),
        ],
    );
}

/// Writes the top-level map around `count` modules that `modules` appends, in the
/// canonical key order: "format", "modules", "version".
fn write_top(count: usize, modules: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::default();
    w.map(3);
    w.text(key::FORMAT);
    w.text(FORMAT_NAME);
    w.text(key::MODULES);
    w.array(count);
    modules(&mut w);
    w.text(key::VERSION);
    w.uint(FORMAT_VERSION);
    w.out
}

/// Writes an index of already encoded modules (each one module's map, as
/// [`crate::Module::raw`] gives it), which the caller sorted by Build-ID without repeats.
pub(crate) fn write_encoded(modules: &[&[u8]]) -> Vec<u8> {
    write_top(modules.len(), |w| {
        for m in modules {
            w.out.extend_from_slice(m);
        }
    })
}

/// Writes the index for `modules`, sorted by Build-ID. The caller rejects duplicate
/// Build-IDs before calling (it knows the file names to report).
pub fn write_index(modules: &[ModuleData]) -> Vec<u8> {
    let mut sorted: Vec<&ModuleData> = modules.iter().collect();
    sorted.sort_by(|a, b| a.build_id.cmp(&b.build_id));
    write_top(sorted.len(), |w| {
        for m in sorted {
            write_module(w, m);
        }
    })
}
