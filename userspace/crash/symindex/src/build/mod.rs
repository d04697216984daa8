//! The index builder (`std`): reads ELF files, finds separate debug files, extracts
//! scopes and lines, and writes `symbols.nxsym` deterministically.
//!
//! Inputs are read whole (with a size cap checked before reading). Only a non-ELF
//! input, two inputs with one Build-ID, an input over the cap or an unreadable file is
//! an error; an ELF without DWARF is indexed from its symbol table and marked degraded.

mod demangle;
mod dwarf;
mod elf;

pub use demangle::demangle;
pub use elf::FALLBACK_ID_LEN;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

use object::Object;

use crate::format::NONE;
use crate::write::{write_index, ModuleData, Node, Strings};
use crate::{build_id_hex, BuildId, BuildIdKind, DebugKind};
use dwarf::{Extracted, Interval, Sequence};

/// Default cap on one input file: 4 GiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 4 << 30;

/// How to build an index.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directories searched for separate debug files (`.build-id/xx/rest.debug`, and the
    /// `.gnu_debuglink` name), after the ELF's own directory and its `.debug/`.
    pub debug_dirs: Vec<PathBuf>,
    /// Largest input file accepted, in bytes.
    pub max_input_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            debug_dirs: Vec::new(),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
        }
    }
}

/// Why an input could not be indexed.
#[derive(Debug)]
pub enum BuildError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is larger than the cap.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The cap.
        cap: u64,
    },
    /// The file is not an ELF object.
    NotElf {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        why: String,
    },
    /// The ELF or its DWARF is malformed.
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Two inputs have one Build-ID.
    DuplicateBuildId {
        /// The Build-ID, hex.
        build_id: String,
        /// The first input with it.
        first: PathBuf,
        /// The second input with it.
        second: PathBuf,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            BuildError::TooLarge { path, size, cap } => write!(
                f,
                "{}: {size} bytes is over the input limit of {cap} bytes",
                path.display()
            ),
            BuildError::NotElf { path, why } => {
                write!(f, "{}: not an ELF file: {why}", path.display())
            }
            BuildError::Malformed { path, why } => write!(f, "{}: {why}", path.display()),
            BuildError::DuplicateBuildId {
                build_id,
                first,
                second,
            } => write!(
                f,
                "{} and {} have the same Build-ID {build_id}",
                first.display(),
                second.display()
            ),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads a whole file, refusing one larger than `cap` before reading it
/// ([`durable::read_capped`]).
fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, BuildError> {
    durable::read_capped(path, cap).map_err(|e| match e {
        durable::Error::TooLarge { path, size, limit } => BuildError::TooLarge {
            path,
            size,
            cap: limit,
        },
        durable::Error::Io { path, cause } => BuildError::Io {
            path,
            source: cause,
        },
        other => BuildError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    })
}

fn parse_elf<'d>(path: &Path, data: &'d [u8]) -> Result<object::File<'d>, BuildError> {
    let file = object::File::parse(data).map_err(|e| BuildError::NotElf {
        path: path.to_path_buf(),
        why: e.to_string(),
    })?;
    if file.format() != object::BinaryFormat::Elf {
        return Err(BuildError::NotElf {
            path: path.to_path_buf(),
            why: format!("{:?} object", file.format()),
        });
    }
    Ok(file)
}

/// A separate debug file found for a stripped ELF.
struct DebugFile {
    path: PathBuf,
    data: Vec<u8>,
}

/// Looks for the separate debug file of `elf` (at `path`): first by Build-ID under each
/// debug dir's `.build-id/`, then by `.gnu_debuglink` name (checking its CRC-32) in the
/// ELF's directory, its `.debug/`, each debug dir, and each debug dir followed by the
/// ELF's own directory (as gdb does).
fn find_debug_file(
    path: &Path,
    elf: &object::File<'_>,
    build_id: Option<&[u8]>,
    opts: &Options,
) -> Result<Option<DebugFile>, BuildError> {
    let matches = |data: &[u8]| -> bool {
        let Ok(f) = object::File::parse(data) else {
            return false;
        };
        if !elf::has_dwarf(&f) {
            return false;
        }
        match (build_id, f.build_id().ok().flatten()) {
            (Some(want), Some(got)) => want == got,
            _ => true,
        }
    };
    let try_path = |p: PathBuf, crc: Option<u32>| -> Result<Option<DebugFile>, BuildError> {
        if !p.is_file() {
            return Ok(None);
        }
        let data = read_capped(&p, opts.max_input_bytes)?;
        if crc.is_some_and(|c| crc32fast::hash(&data) != c) || !matches(&data) {
            return Ok(None);
        }
        Ok(Some(DebugFile { path: p, data }))
    };
    if let Some(id) = build_id.filter(|id| id.len() >= 2) {
        let hex = build_id_hex(id);
        for d in &opts.debug_dirs {
            let p = d
                .join(".build-id")
                .join(&hex[..2])
                .join(format!("{}.debug", &hex[2..]));
            if let Some(found) = try_path(p, None)? {
                return Ok(Some(found));
            }
        }
    }
    if let Ok(Some((name, crc))) = elf.gnu_debuglink() {
        let name = String::from_utf8_lossy(name).into_owned();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let abs_dir = fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        let mut candidates = vec![dir.join(&name), dir.join(".debug").join(&name)];
        for d in &opts.debug_dirs {
            candidates.push(d.join(&name));
            candidates.push(
                d.join(abs_dir.strip_prefix("/").unwrap_or(&abs_dir))
                    .join(&name),
            );
        }
        for p in candidates {
            if p == path {
                continue;
            }
            if let Some(found) = try_path(p, Some(crc))? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// Reads one ELF (and its separate debug file, if it needs one) into index data.
pub fn module_from_path(path: &Path, opts: &Options) -> Result<ModuleData, BuildError> {
    let data = read_capped(path, opts.max_input_bytes)?;
    let elf = parse_elf(path, &data)?;
    let malformed = |why: String| BuildError::Malformed {
        path: path.to_path_buf(),
        why,
    };
    let (build_id, build_id_kind) =
        elf::build_id(&elf).map_err(|e| malformed(format!("bad Build-ID note: {e}")))?;
    let build_id =
        BuildId::new(&build_id).map_err(|e| malformed(format!("bad Build-ID note: {e}")))?;
    let gnu_id = (build_id_kind == BuildIdKind::Gnu).then_some(build_id.as_bytes());
    let separate = if elf::has_dwarf(&elf) {
        None
    } else {
        find_debug_file(path, &elf, gnu_id, opts)?
    };
    let debug_elf = match &separate {
        Some(d) => Some(parse_elf(&d.path, &d.data)?),
        None => None,
    };
    let source = debug_elf.as_ref().unwrap_or(&elf);
    let text = elf::text_ranges(&elf);
    let mut strings = Strings::default();
    let has_dwarf = elf::has_dwarf(source);
    let mut ex = if has_dwarf {
        let where_ = separate.as_ref().map_or(path, |d| d.path.as_path());
        dwarf::extract(source, &text, &mut strings).map_err(|e| BuildError::Malformed {
            path: where_.to_path_buf(),
            why: format!("bad DWARF: {e}"),
        })?
    } else {
        Extracted::default()
    };
    let mut syms = elf::function_symbols(source, &text);
    if syms.is_empty() && debug_elf.is_some() {
        syms = elf::function_symbols(&elf, &text);
    }
    add_symbol_scopes(&syms, &mut strings, &mut ex);
    let scopes = sweep(&mut ex);
    let (nodes, scopes) = prune(ex.nodes, scopes);
    let lines = merge_lines(ex.sequences);
    Ok(ModuleData {
        build_id,
        build_id_kind,
        name: file_name(path),
        arch: elf::arch_name(&elf),
        debug: if has_dwarf {
            DebugKind::Dwarf
        } else {
            DebugKind::Symtab
        },
        debug_file: separate.as_ref().map(|d| file_name(&d.path)),
        strings,
        nodes,
        scopes,
        lines,
    })
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Symbol-table stand-ins, as binutils' `_bfd_elf_find_function` picks a symbol: the
/// nearest function symbol at or below the address in the same section, whatever its
/// size (so padding after a function belongs to it); of several at one address, the
/// first in the symbol table. A local symbol carries the `STT_FILE` name before it, used
/// as the file when the line table has none.
fn add_symbol_scopes(syms: &[elf::Sym], strings: &mut Strings, ex: &mut Extracted) {
    let mut sorted: Vec<&elf::Sym> = syms.iter().collect();
    sorted.sort_by_key(|s| (s.addr, s.order));
    for (i, s) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1].addr == s.addr {
            continue;
        }
        let next = sorted[i + 1..].iter().map(|n| n.addr).find(|&a| a > s.addr);
        let end = next.map_or(s.section_end, |n| n.min(s.section_end));
        if end <= s.addr {
            continue;
        }
        let id = ex.nodes.len() as u32;
        ex.nodes.push(Node {
            name: strings.intern(&demangle(&s.name)),
            parent: NONE,
            call_file: s.file.as_deref().map_or(NONE, |f| strings.intern(f)),
            call_line: 0,
        });
        ex.linkage.push(true);
        ex.intervals.push(Interval {
            start: s.addr,
            end,
            node: id,
            class: 1,
        });
    }
}

/// Resolves overlapping scope ranges into breakpoints `(addr, node + 1)`, as binutils
/// picks a function: the DWARF scope with the smallest range (of equal ones, the later
/// scope) wins; where DWARF has none, the symbol-table stand-in does. When the winning
/// DWARF scope's name is not a linkage name, binutils prints the symbol's name for it:
/// such a scope gets a copy carrying that name (appended to `nodes`).
fn sweep(ex: &mut Extracted) -> Vec<(u64, u32)> {
    let intervals = &ex.intervals;
    let mut ivs: Vec<&Interval> = intervals.iter().collect();
    ivs.sort_by_key(|iv| (iv.start, iv.node));
    let mut points: Vec<u64> = intervals.iter().flat_map(|iv| [iv.start, iv.end]).collect();
    points.sort_unstable();
    points.dedup();
    // Heap key: (length, later node first, end); the top is the winner.
    type Heap = BinaryHeap<Reverse<(u64, Reverse<u32>, u64)>>;
    let (mut dwarf, mut syms): (Heap, Heap) = (BinaryHeap::new(), BinaryHeap::new());
    let mut renamed: HashMap<(u32, u32), u32> = HashMap::new();
    let mut out: Vec<(u64, u32)> = Vec::new();
    let mut next = 0;
    for p in points {
        while let Some(iv) = ivs.get(next).filter(|iv| iv.start == p) {
            let heap = if iv.class == 0 { &mut dwarf } else { &mut syms };
            heap.push(Reverse((iv.end - iv.start, Reverse(iv.node), iv.end)));
            next += 1;
        }
        for heap in [&mut dwarf, &mut syms] {
            while heap.peek().is_some_and(|Reverse(top)| top.2 <= p) {
                heap.pop();
            }
        }
        let top = |h: &Heap| h.peek().map(|Reverse(t)| t.1 .0);
        let node = match (top(&dwarf), top(&syms)) {
            (Some(d), Some(s)) if !ex.linkage.get(d as usize).copied().unwrap_or(true) => {
                let sym_name = ex.nodes[s as usize].name;
                let n = ex.nodes[d as usize];
                if n.name == sym_name {
                    Some(d)
                } else {
                    Some(*renamed.entry((d, sym_name)).or_insert_with(|| {
                        ex.nodes.push(Node {
                            name: sym_name,
                            ..n
                        });
                        ex.linkage.push(true);
                        (ex.nodes.len() - 1) as u32
                    }))
                }
            }
            (Some(d), _) => Some(d),
            (None, s) => s,
        };
        let value = node.map_or(0, |n| n + 1);
        if out.last().map(|l| l.1) != Some(value) && !(out.is_empty() && value == 0) {
            out.push((p, value));
        }
    }
    out
}

/// Drops scopes that no address reaches (directly or as an ancestor) and renumbers the
/// rest in their original order, so parents keep smaller ids than children.
fn prune(nodes: Vec<Node>, scopes: Vec<(u64, u32)>) -> (Vec<Node>, Vec<(u64, u32)>) {
    let mut used = vec![false; nodes.len()];
    for &(_, v) in &scopes {
        let mut id = v.checked_sub(1);
        while let Some(i) = id {
            let Some(slot) = used.get_mut(i as usize) else {
                break;
            };
            if *slot {
                break;
            }
            *slot = true;
            id = nodes
                .get(i as usize)
                .map(|n| n.parent)
                .filter(|&p| p != NONE);
        }
    }
    let mut remap = vec![NONE; nodes.len()];
    let mut kept = Vec::new();
    for (i, n) in nodes.into_iter().enumerate() {
        if used[i] {
            remap[i] = kept.len() as u32;
            let parent = if n.parent == NONE {
                NONE
            } else {
                remap[n.parent as usize]
            };
            kept.push(Node { parent, ..n });
        }
    }
    let scopes = scopes
        .into_iter()
        .map(|(a, v)| {
            (
                a,
                if v == 0 {
                    0
                } else {
                    remap[(v - 1) as usize] + 1
                },
            )
        })
        .collect();
    (kept, scopes)
}

/// A line breakpoint's value: `(file id, line)`, or none.
type LineValue = Option<(u32, u32)>;

/// Merges line sequences into breakpoints. A sequence's end becomes a "no line" entry
/// unless another sequence starts there; equal consecutive entries collapse.
fn merge_lines(mut seqs: Vec<Sequence>) -> Vec<(u64, Option<(u32, u32)>)> {
    seqs.sort_by_key(|s| (s.rows.first().map_or(0, |r| r.0), s.end));
    // (address, 0 for a sequence end / 1 for a row, value)
    let mut entries: Vec<(u64, u8, LineValue)> = Vec::new();
    for s in &seqs {
        for &(a, f, l) in &s.rows {
            entries.push((a, 1, Some((f, l))));
        }
        entries.push((s.end, 0, None));
    }
    // Stable: for one address, "no line" (0) sorts before rows (1), so a row wins.
    entries.sort_by_key(|e| (e.0, e.1));
    let mut out: Vec<(u64, Option<(u32, u32)>)> = Vec::with_capacity(entries.len());
    for (a, _, v) in entries {
        match out.last_mut() {
            Some(last) if last.0 == a => last.1 = v,
            _ => out.push((a, v)),
        }
    }
    let mut dedup: Vec<(u64, Option<(u32, u32)>)> = Vec::with_capacity(out.len());
    for e in out {
        if dedup.last().map(|l| l.1) != Some(e.1) && !(dedup.is_empty() && e.1.is_none()) {
            dedup.push(e);
        }
    }
    dedup
}

/// An index built by [`build_index_report`], with what its caller should tell the user.
#[derive(Debug, Clone)]
pub struct BuiltIndex {
    /// The index bytes.
    pub bytes: Vec<u8>,
    /// The inputs indexed from their symbol table only (no DWARF in them nor in a
    /// separate debug file found for them), in the order given.
    pub symtab_only: Vec<PathBuf>,
}

/// Indexes every file in `paths` into one index. The order of `paths` does not matter.
pub fn build_index(paths: &[PathBuf], opts: &Options) -> Result<Vec<u8>, BuildError> {
    build_index_report(paths, opts).map(|b| b.bytes)
}

/// [`build_index`], also saying which inputs had no DWARF.
pub fn build_index_report(paths: &[PathBuf], opts: &Options) -> Result<BuiltIndex, BuildError> {
    let mut modules: Vec<(ModuleData, &PathBuf)> = Vec::with_capacity(paths.len());
    for p in paths {
        modules.push((module_from_path(p, opts)?, p));
    }
    modules.sort_by(|a, b| a.0.build_id.cmp(&b.0.build_id).then_with(|| a.1.cmp(b.1)));
    for w in modules.windows(2) {
        if let [a, b] = w {
            if a.0.build_id == b.0.build_id {
                return Err(BuildError::DuplicateBuildId {
                    build_id: a.0.build_id.to_hex(),
                    first: a.1.clone(),
                    second: b.1.clone(),
                });
            }
        }
    }
    let symtab_only = paths
        .iter()
        .filter(|p| {
            modules
                .iter()
                .any(|(m, q)| q == p && m.debug == DebugKind::Symtab)
        })
        .cloned()
        .collect();
    let data: Vec<ModuleData> = modules.into_iter().map(|(m, _)| m).collect();
    Ok(BuiltIndex {
        bytes: write_index(&data),
        symtab_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(start: u64, end: u64, node: u32, class: u8) -> Interval {
        Interval {
            start,
            end,
            node,
            class,
        }
    }

    fn node(name: u32, parent: u32) -> Node {
        Node {
            name,
            parent,
            call_file: NONE,
            call_line: 0,
        }
    }

    #[test]
    fn sweep_picks_the_innermost_scope_and_falls_back_to_symbols() {
        let mut ex = Extracted {
            nodes: vec![node(0, NONE), node(1, 0), node(2, 1), node(3, NONE)],
            linkage: vec![true; 4],
            intervals: vec![
                iv(0x100, 0x200, 0, 0),
                iv(0x120, 0x140, 1, 0),
                iv(0x130, 0x138, 2, 0),
                iv(0x100, 0x300, 3, 1),
            ],
            sequences: vec![],
        };
        assert_eq!(
            sweep(&mut ex),
            vec![
                (0x100, 1),
                (0x120, 2),
                (0x130, 3),
                (0x138, 2),
                (0x140, 1),
                (0x200, 4),
                (0x300, 0)
            ]
        );
    }

    #[test]
    fn sweep_gives_non_linkage_scopes_the_symbol_name() {
        let mut ex = Extracted {
            nodes: vec![node(0, NONE), node(7, NONE)],
            linkage: vec![false, true],
            intervals: vec![iv(0x100, 0x200, 0, 0), iv(0x100, 0x180, 1, 1)],
            sequences: vec![],
        };
        assert_eq!(sweep(&mut ex), vec![(0x100, 3), (0x180, 1), (0x200, 0)]);
        assert_eq!(ex.nodes[2].name, 7);
    }

    #[test]
    fn merge_lines_lets_a_starting_sequence_win_over_an_ending_one() {
        let seqs = vec![
            Sequence {
                rows: vec![(0x10, 0, 5), (0x14, 0, 6)],
                end: 0x20,
            },
            Sequence {
                rows: vec![(0x20, 1, 9)],
                end: 0x28,
            },
        ];
        assert_eq!(
            merge_lines(seqs),
            vec![
                (0x10, Some((0, 5))),
                (0x14, Some((0, 6))),
                (0x20, Some((1, 9))),
                (0x28, None)
            ]
        );
    }

    #[test]
    fn prune_keeps_ancestors_and_renumbers() {
        let nodes = vec![node(0, NONE), node(0, NONE), node(0, 1), node(0, 2)];
        let (kept, scopes) = prune(nodes, vec![(0x10, 4), (0x20, 0)]);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[1].parent, 0);
        assert_eq!(kept[2].parent, 1);
        assert_eq!(scopes, vec![(0x10, 3), (0x20, 0)]);
    }
}
