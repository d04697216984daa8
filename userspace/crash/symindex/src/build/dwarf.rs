//! DWARF extraction: scopes (functions and inlined calls with their address ranges) and
//! line sequences, resolved the way binutils `addr2line -f -i -C` resolves them, so the
//! index answers as addr2line would:
//!
//! - a function's name is its (demangled) `DW_AT_linkage_name`, else `DW_AT_name`,
//!   following `DW_AT_abstract_origin` / `DW_AT_specification` until one is found;
//! - an inlined call's parent is the nearest enclosing subprogram or inlined call, and
//!   its call site is `DW_AT_call_file` / `DW_AT_call_line`;
//! - file names are joined with their directory and the unit's `DW_AT_comp_dir` as
//!   binutils joins them (`comp_dir/dir/name` for a relative dir, `dir/name` for an
//!   absolute one, the name alone when absolute);
//! - within a line sequence, of several rows at one address the last one counts.

use std::borrow::Cow;
use std::collections::HashMap;
use std::format;
use std::rc::Rc;
use std::string::String;
use std::vec::Vec;

use gimli::{AttributeValue, DwAt};
use object::{Object, ObjectSection};

use super::demangle::demangle;
use super::elf::in_text;
use crate::format::NONE;
use crate::write::{Node, Strings};

type R<'a> = gimli::EndianSlice<'a, gimli::RunTimeEndian>;

/// An address range owned by a scope.
#[derive(Debug, Clone, Copy)]
pub struct Interval {
    pub start: u64,
    pub end: u64,
    pub node: u32,
    /// 0 for DWARF scopes, 1 for symbol-table stand-ins (DWARF always wins).
    pub class: u8,
}

/// One line sequence: rows `(address, file id, line)` ending at `end`.
#[derive(Debug, Clone)]
pub struct Sequence {
    pub rows: Vec<(u64, u32, u32)>,
    pub end: u64,
}

/// What extraction produced.
#[derive(Debug, Default)]
pub struct Extracted {
    pub nodes: Vec<Node>,
    pub intervals: Vec<Interval>,
    pub sequences: Vec<Sequence>,
    /// Per node: whether its name is a linkage name (or a plain name in a language
    /// without mangling). binutils shows the symbol table's name instead when it is not.
    pub linkage: Vec<bool>,
}

/// A unit and an offset inside it.
type UnitAt<'a> = (Rc<gimli::Unit<R<'a>>>, gimli::UnitOffset);

/// Most `DW_AT_abstract_origin` / `DW_AT_specification` hops followed for one name.
const MAX_NAME_HOPS: u32 = 16;

struct Ctx<'a, 's> {
    dwarf: &'a gimli::Dwarf<R<'a>>,
    headers: Vec<gimli::UnitHeader<R<'a>>>,
    units: HashMap<usize, Rc<gimli::Unit<R<'a>>>>,
    names: HashMap<usize, (u32, bool)>,
    /// Whether the current unit's language mangles names (C++, Rust, D, Ada, Java).
    mangled_lang: bool,
    strings: &'s mut Strings,
    text: &'a [(u64, u64)],
}

fn unit_start(h: &gimli::UnitHeader<R<'_>>) -> usize {
    h.offset().0
}

/// Reads DWARF from `file` into scopes and line sequences, interning names and paths.
pub fn extract(
    file: &object::File<'_>,
    text: &[(u64, u64)],
    strings: &mut Strings,
) -> Result<Extracted, gimli::Error> {
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let sections = gimli::DwarfSections::load(|id| -> Result<Cow<'_, [u8]>, gimli::Error> {
        Ok(match file.section_by_name(id.name()) {
            Some(s) => s.uncompressed_data().unwrap_or(Cow::Borrowed(&[])),
            None => Cow::Borrowed(&[]),
        })
    })?;
    let dwarf = sections.borrow(|s| gimli::EndianSlice::new(s, endian));
    let mut headers = Vec::new();
    let mut iter = dwarf.units();
    while let Some(h) = iter.next()? {
        headers.push(h);
    }
    let mut ctx = Ctx {
        dwarf: &dwarf,
        headers: headers.clone(),
        units: HashMap::new(),
        names: HashMap::new(),
        mangled_lang: true,
        strings,
        text,
    };
    let mut out = Extracted::default();
    for h in headers {
        let unit = Rc::new(dwarf.unit(h)?);
        ctx.units.insert(unit_start(&h), unit.clone());
        let mut files = HashMap::new();
        ctx.scopes(&unit, &mut files, &mut out)?;
        ctx.lines(&unit, &mut files, &mut out)?;
        // Keep memory bounded: only units referenced across units stay cached.
        ctx.units.remove(&unit_start(&h));
    }
    Ok(out)
}

impl<'a> Ctx<'a, '_> {
    fn string(
        &self,
        unit: &gimli::Unit<R<'a>>,
        v: AttributeValue<R<'a>>,
    ) -> Result<String, gimli::Error> {
        let s = self.dwarf.attr_string(unit, v)?;
        Ok(s.to_string_lossy().into_owned())
    }

    /// binutils' `concat_filename`.
    fn file_path(
        &self,
        unit: &gimli::Unit<R<'a>>,
        index: u64,
    ) -> Result<Option<String>, gimli::Error> {
        let Some(program) = unit.line_program.as_ref() else {
            return Ok(None);
        };
        let header = program.header();
        let v5 = header.version() >= 5;
        let entry = if v5 {
            header.file_names().get(index as usize)
        } else if index == 0 {
            return Ok(Some("<unknown>".into()));
        } else {
            header.file_names().get(index as usize - 1)
        };
        let Some(entry) = entry else {
            return Ok(Some("<unknown>".into()));
        };
        let name = self.string(unit, entry.path_name())?;
        if name.starts_with('/') {
            return Ok(Some(name));
        }
        let dir_index = entry.directory_index();
        let dir = if v5 {
            header.include_directories().get(dir_index as usize)
        } else if dir_index == 0 {
            None
        } else {
            header.include_directories().get(dir_index as usize - 1)
        };
        let subdir = match dir {
            Some(d) => Some(self.string(unit, *d)?),
            None => None,
        };
        let comp_dir = unit.comp_dir.map(|c| c.to_string_lossy().into_owned());
        let (dir_name, subdir) = match subdir {
            Some(s) if s.starts_with('/') => (Some(s), None),
            s => match comp_dir {
                Some(c) => (Some(c), s),
                None => (s, None),
            },
        };
        Ok(Some(match (dir_name, subdir) {
            (None, _) => name,
            (Some(d), None) => format!("{d}/{name}"),
            (Some(d), Some(s)) => format!("{d}/{s}/{name}"),
        }))
    }

    fn file_id(
        &mut self,
        unit: &gimli::Unit<R<'a>>,
        files: &mut HashMap<u64, u32>,
        index: u64,
    ) -> Result<u32, gimli::Error> {
        if let Some(&id) = files.get(&index) {
            return Ok(id);
        }
        let id = match self.file_path(unit, index)? {
            Some(p) => self.strings.intern(&p),
            None => NONE,
        };
        files.insert(index, id);
        Ok(id)
    }

    fn unit_for(
        &mut self,
        off: gimli::DebugInfoOffset,
    ) -> Result<Option<UnitAt<'a>>, gimli::Error> {
        let i = self.headers.partition_point(|h| unit_start(h) <= off.0);
        let Some(h) = i.checked_sub(1).and_then(|i| self.headers.get(i)).copied() else {
            return Ok(None);
        };
        let Some(uoff) = off.to_unit_offset(&h) else {
            return Ok(None);
        };
        let start = unit_start(&h);
        let unit = match self.units.get(&start) {
            Some(u) => u.clone(),
            None => {
                let u = Rc::new(self.dwarf.unit(h)?);
                self.units.insert(start, u.clone());
                u
            }
        };
        Ok(Some((unit, uoff)))
    }

    /// The name string id of the DIE at `off` in `unit`.
    fn name_at(
        &mut self,
        unit: &gimli::Unit<R<'a>>,
        off: gimli::UnitOffset,
        hops: u32,
    ) -> Result<(u32, bool), gimli::Error> {
        let key = unit_start(&unit.header) + off.0;
        if let Some(&id) = self.names.get(&key) {
            return Ok(id);
        }
        let entry = unit.entry(off)?;
        let id = self.name_of(unit, &entry, hops)?;
        self.names.insert(key, id);
        Ok(id)
    }

    fn name_of(
        &mut self,
        unit: &gimli::Unit<R<'a>>,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
        hops: u32,
    ) -> Result<(u32, bool), gimli::Error> {
        let (mut linkage, mut name, mut origin) = (None, None, None);
        for attr in entry.attrs() {
            match attr.name() {
                gimli::DW_AT_linkage_name | gimli::DW_AT_MIPS_linkage_name => {
                    linkage = Some(attr.value())
                }
                gimli::DW_AT_name => name = Some(attr.value()),
                gimli::DW_AT_abstract_origin | gimli::DW_AT_specification => {
                    origin = Some(attr.value())
                }
                _ => {}
            }
        }
        let is_linkage = linkage.is_some() || !self.mangled_lang;
        if let Some(v) = linkage.or(name) {
            let raw = self.string(unit, v)?;
            return Ok((self.strings.intern(&demangle(&raw)), is_linkage));
        }
        if hops >= MAX_NAME_HOPS {
            return Ok((NONE, false));
        }
        match origin {
            Some(AttributeValue::UnitRef(o)) => self.name_at(unit, o, hops + 1),
            Some(AttributeValue::DebugInfoRef(o)) => match self.unit_for(o)? {
                Some((u, uo)) => self.name_at(&u, uo, hops + 1),
                None => Ok((NONE, false)),
            },
            _ => Ok((NONE, false)),
        }
    }

    fn ranges(
        &self,
        unit: &gimli::Unit<R<'a>>,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
    ) -> Result<Vec<(u64, u64)>, gimli::Error> {
        let mut out = Vec::new();
        let mut it = self.dwarf.die_ranges(unit, entry)?;
        while let Some(r) = it.next()? {
            if r.begin < r.end && in_text(self.text, r.begin, r.end) {
                out.push((r.begin, r.end));
            }
        }
        Ok(out)
    }

    fn scopes(
        &mut self,
        unit: &gimli::Unit<R<'a>>,
        files: &mut HashMap<u64, u32>,
        out: &mut Extracted,
    ) -> Result<(), gimli::Error> {
        // (depth, enclosing scope for the children of the entry at that depth)
        let mut stack: Vec<(isize, Option<u32>)> = Vec::new();
        let mut cursor = unit.entries();
        while let Some(entry) = cursor.next_dfs()? {
            let depth = entry.depth();
            while stack.last().is_some_and(|s| s.0 >= depth) {
                stack.pop();
            }
            let enclosing = stack.last().and_then(|s| s.1);
            let tag = entry.tag();
            if depth == 0 {
                self.mangled_lang = mangles(entry.attr_value(gimli::DW_AT_language));
            }
            let inlined = tag == gimli::DW_TAG_inlined_subroutine;
            if tag == gimli::DW_TAG_subprogram || inlined {
                let ranges = self.ranges(unit, entry)?;
                let parent = if inlined { enclosing } else { None };
                let scope = if ranges.is_empty() || (inlined && parent.is_none()) {
                    None
                } else {
                    let (name, is_linkage) = self.name_of(unit, entry, 0)?;
                    let (mut call_file, mut call_line) = (NONE, 0);
                    if inlined {
                        if let Some(f) = udata(entry, gimli::DW_AT_call_file) {
                            call_file = self.file_id(unit, files, f)?;
                        }
                        call_line = udata(entry, gimli::DW_AT_call_line).unwrap_or(0) as u32;
                    }
                    let id = out.nodes.len() as u32;
                    out.nodes.push(Node {
                        name,
                        parent: parent.unwrap_or(NONE),
                        call_file,
                        call_line,
                    });
                    out.linkage.push(is_linkage);
                    for (start, end) in ranges {
                        out.intervals.push(Interval {
                            start,
                            end,
                            node: id,
                            class: 0,
                        });
                    }
                    Some(id)
                };
                if entry.has_children() {
                    stack.push((depth, scope));
                }
            } else if entry.has_children() {
                stack.push((depth, enclosing));
            }
        }
        Ok(())
    }

    fn lines(
        &mut self,
        unit: &gimli::Unit<R<'a>>,
        files: &mut HashMap<u64, u32>,
        out: &mut Extracted,
    ) -> Result<(), gimli::Error> {
        let Some(program) = unit.line_program.clone() else {
            return Ok(());
        };
        let mut rows = program.rows();
        let mut seq: Vec<(u64, u32, u32)> = Vec::new();
        while let Some((_, row)) = rows.next_row()? {
            let addr = row.address();
            if row.end_sequence() {
                let mut rows = core::mem::take(&mut seq);
                // A row at the sequence's end address covers no bytes.
                while rows.last().is_some_and(|r| r.0 >= addr) {
                    rows.pop();
                }
                if let Some(first) = rows.first() {
                    if first.0 < addr && in_text(self.text, first.0, addr) {
                        out.sequences.push(Sequence { rows, end: addr });
                    }
                }
                continue;
            }
            let file = self.file_id(unit, files, row.file_index())?;
            let line = row
                .line()
                .map_or(0, |l| l.get().min(u64::from(u32::MAX)) as u32);
            match seq.last_mut() {
                Some(last) if last.0 == addr => *last = (addr, file, line),
                _ => seq.push((addr, file, line)),
            }
        }
        Ok(())
    }
}

/// binutils' `mangle_style`: languages whose plain `DW_AT_name` is not a linkage name.
fn mangles(lang: Option<AttributeValue<R<'_>>>) -> bool {
    let Some(AttributeValue::Language(l)) = lang else {
        return false;
    };
    matches!(
        l,
        gimli::DW_LANG_C_plus_plus
            | gimli::DW_LANG_C_plus_plus_03
            | gimli::DW_LANG_C_plus_plus_11
            | gimli::DW_LANG_C_plus_plus_14
            | gimli::DW_LANG_Rust
            | gimli::DW_LANG_D
            | gimli::DW_LANG_Java
            | gimli::DW_LANG_Ada83
            | gimli::DW_LANG_Ada95
            | gimli::DW_LANG_Ada2005
            | gimli::DW_LANG_Ada2012
    )
}

fn udata(entry: &gimli::DebuggingInformationEntry<R<'_>>, at: DwAt) -> Option<u64> {
    match entry.attr_value(at)? {
        AttributeValue::FileIndex(v) | AttributeValue::Udata(v) => Some(v),
        v => v.udata_value(),
    }
}
