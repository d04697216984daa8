//! What the builder needs from an ELF besides DWARF: its Build-ID (or the documented
//! fallback), architecture, `.gnu_debuglink`, executable address ranges and the
//! function symbols that stand in where DWARF says nothing.

use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, SectionFlags, SymbolKind};
use sha2::{Digest, Sha256};
use std::format;
use std::string::String;
use std::vec::Vec;

use crate::BuildIdKind;

/// Bytes of the fallback Build-ID (as long as a SHA-1 GNU Build-ID).
pub const FALLBACK_ID_LEN: usize = 20;

/// A function symbol of the symbol table.
#[derive(Debug, Clone)]
pub struct Sym {
    pub addr: u64,
    pub name: String,
    /// For a local symbol, the name of the `STT_FILE` symbol before it in the table.
    pub file: Option<String>,
    /// Position in the symbol table (earlier wins among symbols at one address).
    pub order: usize,
    /// End of the executable section holding the symbol.
    pub section_end: u64,
}

/// The Build-ID and where it came from.
pub fn build_id(file: &object::File<'_>) -> Result<(Vec<u8>, BuildIdKind), object::Error> {
    if let Some(id) = file.build_id()? {
        if !id.is_empty() {
            return Ok((id.to_vec(), BuildIdKind::Gnu));
        }
    }
    Ok((fallback_id(file), BuildIdKind::Fallback))
}

/// The fallback Build-ID: the first 20 bytes of SHA-256 over every allocated section
/// with contents (`SHF_ALLOC`, not `SHT_NOBITS`) in address order, each as
/// `address (u64 LE) || size (u64 LE) || contents`. It depends only on what is loaded,
/// not on headers, symbols or debug sections, so `strip` does not change it. An ELF
/// without section headers hashes its loadable segments the same way instead.
pub fn fallback_id(file: &object::File<'_>) -> Vec<u8> {
    let mut parts: Vec<(u64, u64, &[u8])> = file
        .sections()
        .filter(|s| match s.flags() {
            SectionFlags::Elf { sh_flags, .. } => sh_flags.0 & object::elf::SHF_ALLOC.0 != 0,
            _ => false,
        })
        .filter(|s| s.kind() != object::SectionKind::UninitializedData)
        .filter_map(|s| Some((s.address(), s.size(), s.data().ok()?)))
        .collect();
    if parts.is_empty() {
        parts = file
            .segments()
            .filter_map(|s| Some((s.address(), s.size(), s.data().ok()?)))
            .collect();
    }
    parts.sort_by_key(|p| (p.0, p.1));
    let mut h = Sha256::new();
    for (addr, size, data) in parts {
        h.update(addr.to_le_bytes());
        h.update(size.to_le_bytes());
        h.update(data);
    }
    h.finalize()[..FALLBACK_ID_LEN].to_vec()
}

/// The architecture's name as the index records it.
pub fn arch_name(file: &object::File<'_>) -> String {
    use object::Architecture as A;
    match file.architecture() {
        A::Riscv64 => "riscv64".into(),
        A::Riscv32 => "riscv32".into(),
        A::X86_64 | A::X86_64_X32 => "x86_64".into(),
        A::I386 => "x86".into(),
        A::Aarch64 => "aarch64".into(),
        A::Arm => "arm".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Address ranges of executable sections: scopes and lines outside them (code the linker
/// dropped, left at address 0 or a tombstone) are ignored.
pub fn text_ranges(file: &object::File<'_>) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = file
        .sections()
        .filter(|s| match s.flags() {
            SectionFlags::Elf { sh_flags, .. } => {
                let need = object::elf::SHF_EXECINSTR.0 | object::elf::SHF_ALLOC.0;
                sh_flags.0 & need == need
            }
            _ => false,
        })
        .filter(|s| s.size() > 0)
        .map(|s| (s.address(), s.address().saturating_add(s.size())))
        .collect();
    out.sort_unstable();
    out
}

/// Whether `[start, end)` overlaps any of `ranges` (sorted).
pub fn in_text(ranges: &[(u64, u64)], start: u64, end: u64) -> bool {
    let i = ranges.partition_point(|r| r.1 <= start);
    ranges.get(i).is_some_and(|r| r.0 < end)
}

/// Function symbols (`STT_FUNC`, or `STT_NOTYPE` that is not a mapping symbol) defined
/// in executable sections, in symbol-table order, with the `STT_FILE` name that binutils
/// attributes to local ones.
pub fn function_symbols(file: &object::File<'_>, text: &[(u64, u64)]) -> Vec<Sym> {
    let mut out = Vec::new();
    let mut current_file: Option<String> = None;
    let table: Vec<object::Symbol<'_, '_>> = if file.symbols().next().is_some() {
        file.symbols().collect()
    } else {
        file.dynamic_symbols().collect()
    };
    for (order, s) in table.into_iter().enumerate() {
        let kind = s.kind();
        if kind == SymbolKind::File {
            current_file = s.name().ok().map(String::from);
            continue;
        }
        if !matches!(kind, SymbolKind::Text | SymbolKind::Unknown) || !s.is_definition() {
            continue;
        }
        // binutils passes over local, hidden, zero-sized untyped symbols (annotation
        // markers such as an assembly loop's label), never taking them for functions.
        if let object::SymbolFlags::Elf { st_info, st_other } = s.flags() {
            let notype = st_info.st_type() == object::elf::STT_NOTYPE;
            let hidden = st_other.visibility() == object::elf::STV_HIDDEN;
            if notype && hidden && s.is_local() && s.size() == 0 {
                continue;
            }
        }
        let Ok(name) = s.name() else { continue };
        // Mapping symbols (`$x`, `$d`) and assembler-local labels (`.L0 `, which RISC-V
        // relaxation leaves in the table) never name a function.
        if name.is_empty() || name.starts_with('$') || name.starts_with(".L") {
            continue;
        }
        let addr = s.address();
        let Some(&(_, section_end)) = text.iter().find(|r| r.0 <= addr && addr < r.1) else {
            continue;
        };
        out.push(Sym {
            addr,
            name: name.into(),
            file: if s.is_local() {
                current_file.clone()
            } else {
                None
            },
            order,
            section_end,
        });
    }
    out
}

/// Whether the file carries DWARF (a non-empty `.debug_info` with contents).
pub fn has_dwarf(file: &object::File<'_>) -> bool {
    [".debug_info", ".zdebug_info"].iter().any(|n| {
        file.section_by_name(n)
            .is_some_and(|s| s.kind() != object::SectionKind::UninitializedData && s.size() > 0)
    })
}
