//! ELF load plans: which pages a static RV64 executable needs, with which permissions,
//! where its bytes come from, its entry point and its GNU build-id.
//!
//! Only what the kernel loads is accepted: ELF64, little-endian, RISC-V, `ET_EXEC`, at
//! most [`MAX_SEGMENTS`] `PT_LOAD` segments, all inside the user image window
//! (`abi::layout::USER_IMAGE_START..HEAP_BASE`), with file ranges inside the file.

use abi::layout::{HEAP_BASE, USER_IMAGE_START};
use core::fmt;

use zerocopy::little_endian::U64;
use zerocopy::FromBytes;

mod raw;

use raw::{FileHeader, NoteHeader, ProgramHeader, PROGRAM_HEADER_LEN};

/// Most loadable segments a program may have.
pub const MAX_SEGMENTS: usize = 8;
/// Longest build-id kept.
pub const MAX_BUILD_ID: usize = 32;

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const NT_GNU_BUILD_ID: u32 = 3;
const EM_RISCV: u16 = 243;
const ET_EXEC: u16 = 2;

/// Segment permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perms {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
}

/// One loadable segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Segment {
    /// Virtual address of the first byte.
    pub vaddr: usize,
    /// Bytes in memory (the tail past `file_len` is zero).
    pub mem_len: usize,
    /// Offset of the segment's bytes in the file.
    pub file_offset: usize,
    /// Bytes taken from the file.
    pub file_len: usize,
    /// Permissions.
    pub perms: Perms,
}

/// What the kernel needs to load a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// Entry point.
    pub entry: usize,
    /// Loadable segments (`segment_count` valid).
    pub segments: [Segment; MAX_SEGMENTS],
    /// Valid entries of `segments`.
    pub segment_count: usize,
    /// GNU build-id (`build_id_len` valid bytes; 0 when the note is missing).
    pub build_id: [u8; MAX_BUILD_ID],
    /// Valid bytes of `build_id`.
    pub build_id_len: usize,
}

impl LoadPlan {
    /// The loadable segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.segment_count]
    }

    /// The build-id bytes.
    pub fn build_id(&self) -> &[u8] {
        &self.build_id[..self.build_id_len]
    }

    /// `(lowest vaddr, end of the highest segment)`: the module's range and link base.
    pub fn span(&self) -> (usize, usize) {
        let start = self.segments().iter().map(|s| s.vaddr).min().unwrap_or(0);
        let end = self
            .segments()
            .iter()
            .map(|s| s.vaddr + s.mem_len)
            .max()
            .unwrap_or(0);
        (start, end)
    }
}

/// Why an ELF cannot be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than the ELF header or a table it declares.
    Truncated,
    /// Not `\x7fELF`.
    BadMagic,
    /// Not ELF64 little-endian version 1.
    BadClass,
    /// Not a RISC-V executable (`ET_EXEC`, `EM_RISCV`).
    NotRiscvExecutable,
    /// Program header entries of an unexpected size.
    BadPhentsize,
    /// More than [`MAX_SEGMENTS`] loadable segments.
    TooManySegments,
    /// Segment `index` lies outside the user image window or overflows.
    SegmentOutOfRange(usize),
    /// Segment `index`'s file bytes lie outside the file, or exceed its memory size.
    SegmentFileRange(usize),
    /// The entry point is not inside an executable segment.
    BadEntry,
    /// No loadable segment.
    NoSegments,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Truncated => f.write_str("ELF truncated"),
            ElfError::BadMagic => f.write_str("not an ELF file"),
            ElfError::BadClass => f.write_str("not ELF64 little-endian"),
            ElfError::NotRiscvExecutable => f.write_str("not a RISC-V executable"),
            ElfError::BadPhentsize => f.write_str("bad program header entry size"),
            ElfError::TooManySegments => f.write_str("too many loadable segments"),
            ElfError::SegmentOutOfRange(i) => write!(f, "segment {i} outside the user image"),
            ElfError::SegmentFileRange(i) => write!(f, "segment {i} file range invalid"),
            ElfError::BadEntry => f.write_str("entry point not in an executable segment"),
            ElfError::NoSegments => f.write_str("no loadable segment"),
        }
    }
}

impl core::error::Error for ElfError {}

/// A 64-bit file field as a `usize`.
fn size(v: U64) -> Result<usize, ElfError> {
    usize::try_from(v.get()).map_err(|_| ElfError::Truncated)
}

/// Builds the load plan of `elf`.
pub fn plan(elf: &[u8]) -> Result<LoadPlan, ElfError> {
    if elf.get(..4).ok_or(ElfError::Truncated)? != b"\x7fELF" {
        return Err(ElfError::BadMagic);
    }
    if elf.get(4..7).ok_or(ElfError::Truncated)? != [2, 1, 1] {
        return Err(ElfError::BadClass);
    }
    let (h, _) = FileHeader::ref_from_prefix(elf).map_err(|_| ElfError::Truncated)?;
    if h.e_type.get() != ET_EXEC || h.e_machine.get() != EM_RISCV {
        return Err(ElfError::NotRiscvExecutable);
    }
    let entry = size(h.e_entry)?;
    let phoff = size(h.e_phoff)?;
    if usize::from(h.e_phentsize.get()) != PROGRAM_HEADER_LEN {
        return Err(ElfError::BadPhentsize);
    }
    let mut out = LoadPlan {
        entry,
        segments: [Segment::default(); MAX_SEGMENTS],
        segment_count: 0,
        build_id: [0; MAX_BUILD_ID],
        build_id_len: 0,
    };
    for i in 0..usize::from(h.e_phnum.get()) {
        let at = i
            .checked_mul(PROGRAM_HEADER_LEN)
            .and_then(|o| o.checked_add(phoff))
            .ok_or(ElfError::Truncated)?;
        let rest = elf.get(at..).ok_or(ElfError::Truncated)?;
        let (ph, _) = ProgramHeader::ref_from_prefix(rest).map_err(|_| ElfError::Truncated)?;
        let flags = ph.p_flags.get();
        let offset = size(ph.p_offset)?;
        let vaddr = size(ph.p_vaddr)?;
        let filesz = size(ph.p_filesz)?;
        let memsz = size(ph.p_memsz)?;
        let file_end = offset.checked_add(filesz);
        match ph.p_type.get() {
            PT_LOAD => {
                if memsz == 0 {
                    continue;
                }
                let index = out.segment_count;
                if index == MAX_SEGMENTS {
                    return Err(ElfError::TooManySegments);
                }
                let end = vaddr.checked_add(memsz);
                if vaddr < USER_IMAGE_START || end.is_none_or(|e| e > HEAP_BASE) {
                    return Err(ElfError::SegmentOutOfRange(index));
                }
                if filesz > memsz || file_end.is_none_or(|e| e > elf.len()) {
                    return Err(ElfError::SegmentFileRange(index));
                }
                out.segments[index] = Segment {
                    vaddr,
                    mem_len: memsz,
                    file_offset: offset,
                    file_len: filesz,
                    perms: Perms {
                        read: flags & 4 != 0,
                        write: flags & 2 != 0,
                        exec: flags & 1 != 0,
                    },
                };
                out.segment_count += 1;
            }
            PT_NOTE => {
                let Some(end) = file_end.filter(|e| *e <= elf.len()) else {
                    continue;
                };
                if let Some(id) = find_build_id(&elf[offset..end]) {
                    let n = id.len().min(MAX_BUILD_ID);
                    out.build_id[..n].copy_from_slice(&id[..n]);
                    out.build_id_len = n;
                }
            }
            _ => {}
        }
    }
    if out.segment_count == 0 {
        return Err(ElfError::NoSegments);
    }
    let entry_ok = out
        .segments()
        .iter()
        .any(|s| s.perms.exec && entry >= s.vaddr && entry < s.vaddr + s.mem_len);
    if !entry_ok {
        return Err(ElfError::BadEntry);
    }
    Ok(out)
}

/// The descriptor of the first `NT_GNU_BUILD_ID` note named `GNU` in a note segment.
pub fn find_build_id(notes: &[u8]) -> Option<&[u8]> {
    let mut rest = notes;
    while let Ok((nh, after)) = NoteHeader::ref_from_prefix(rest) {
        let namesz = nh.n_namesz.get() as usize;
        let descsz = nh.n_descsz.get() as usize;
        let desc_start = namesz.next_multiple_of(4);
        let name = after.get(..namesz)?;
        let desc = after.get(desc_start..desc_start.checked_add(descsz)?)?;
        if nh.n_type.get() == NT_GNU_BUILD_ID && name == b"GNU\0" {
            return Some(desc);
        }
        rest = after.get(desc_start.checked_add(descsz.next_multiple_of(4))?..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    /// An independent synthesizer of small RISC-V executables.
    fn synth(segments: &[(u32, u32, u64, u64, u64, u64)], entry: u64) -> Vec<u8> {
        let phoff = 64u64;
        let mut b = Vec::new();
        b.extend_from_slice(b"\x7fELF\x02\x01\x01");
        b.resize(16, 0);
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&243u16.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&entry.to_le_bytes());
        b.extend_from_slice(&phoff.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&64u16.to_le_bytes());
        b.extend_from_slice(&56u16.to_le_bytes());
        b.extend_from_slice(&(segments.len() as u16).to_le_bytes());
        b.extend_from_slice(&[0; 6]);
        assert_eq!(b.len(), 64);
        for (ty, flags, off, vaddr, filesz, memsz) in segments {
            b.extend_from_slice(&ty.to_le_bytes());
            b.extend_from_slice(&flags.to_le_bytes());
            b.extend_from_slice(&off.to_le_bytes());
            b.extend_from_slice(&vaddr.to_le_bytes());
            b.extend_from_slice(&vaddr.to_le_bytes());
            b.extend_from_slice(&filesz.to_le_bytes());
            b.extend_from_slice(&memsz.to_le_bytes());
            b.extend_from_slice(&4096u64.to_le_bytes());
        }
        b.resize(0x1000, 0);
        b
    }

    fn note() -> Vec<u8> {
        let mut n = Vec::new();
        n.extend_from_slice(&4u32.to_le_bytes());
        n.extend_from_slice(&20u32.to_le_bytes());
        n.extend_from_slice(&3u32.to_le_bytes());
        n.extend_from_slice(b"GNU\0");
        n.extend_from_slice(&[0x5a; 20]);
        n
    }

    /// Text, data with bss, and a build-id note, entered at 0x4001_0010.
    fn text_data_note() -> Vec<u8> {
        let mut elf = synth(
            &[
                (1, 5, 0x200, 0x4001_0000, 0x100, 0x100),
                (1, 6, 0x300, 0x4001_1000, 0x10, 0x2000),
                (4, 4, 0x400, 0, 36, 36),
            ],
            0x4001_0010,
        );
        elf[0x400..0x400 + 36].copy_from_slice(&note());
        elf
    }

    #[test]
    fn plans_text_data_bss_and_build_id() {
        let elf = text_data_note();
        let p = plan(&elf).unwrap();
        assert_eq!(p.entry, 0x4001_0010);
        assert_eq!(p.segments().len(), 2);
        assert!(p.segments()[0].perms.exec && !p.segments()[0].perms.write);
        assert!(p.segments()[1].perms.write && !p.segments()[1].perms.exec);
        assert_eq!(p.segments()[1].mem_len, 0x2000);
        assert_eq!(p.build_id(), &[0x5a; 20]);
        assert_eq!(p.span(), (0x4001_0000, 0x4001_3000));
    }

    #[test]
    fn rejects_what_the_kernel_cannot_load() {
        let text = (1u32, 5u32, 0x200u64, 0x4001_0000u64, 0x100u64, 0x100u64);
        let cases: [(Vec<u8>, ElfError); 6] = [
            (
                synth(&[(1, 5, 0, 0x8020_0000, 0, 0x100)], 0x8020_0000),
                ElfError::SegmentOutOfRange(0),
            ),
            (
                synth(&[(1, 5, 0, 0x5fff_ff00, 0, 0x200)], 0x5fff_ff00),
                ElfError::SegmentOutOfRange(0),
            ),
            (
                synth(&[(1, 5, 0xff0, 0x4001_0000, 0x100, 0x100)], 0x4001_0000),
                ElfError::SegmentFileRange(0),
            ),
            (
                synth(&[(1, 5, 0, 0x4001_0000, 0x200, 0x100)], 0x4001_0000),
                ElfError::SegmentFileRange(0),
            ),
            (synth(&[text], 0x4002_0000), ElfError::BadEntry),
            (synth(&[], 0), ElfError::NoSegments),
        ];
        for (elf, want) in cases {
            assert_eq!(plan(&elf), Err(want));
        }
        let nine = [text; 9];
        assert_eq!(
            plan(&synth(&nine, 0x4001_0000)),
            Err(ElfError::TooManySegments)
        );
        let mut bad = synth(&[text], 0x4001_0000);
        bad[0] = 0;
        assert_eq!(plan(&bad), Err(ElfError::BadMagic));
        let mut bad = synth(&[text], 0x4001_0000);
        bad[4] = 1;
        assert_eq!(plan(&bad), Err(ElfError::BadClass));
        let mut bad = synth(&[text], 0x4001_0000);
        bad[18] = 62;
        assert_eq!(plan(&bad), Err(ElfError::NotRiscvExecutable));
        let good = synth(&[text], 0x4001_0000);
        for n in 0..200 {
            let _ = plan(&good[..n]);
        }
    }

    #[test]
    fn no_bit_flip_or_truncation_panics_and_accepted_plans_stay_in_bounds() {
        let elf = text_data_note();
        let header_and_table = 64 + 3 * 56;
        for n in 0..elf.len() {
            let _ = plan(&elf[..n]);
        }
        for i in 0..header_and_table {
            for bit in 0..8 {
                let mut b = elf.clone();
                b[i] ^= 1 << bit;
                if let Ok(p) = plan(&b) {
                    for s in p.segments() {
                        assert!(s.vaddr >= USER_IMAGE_START && s.vaddr + s.mem_len <= HEAP_BASE);
                        assert!(s.file_len <= s.mem_len && s.file_offset + s.file_len <= b.len());
                    }
                }
            }
        }
    }

    #[test]
    fn build_id_note_parser_is_bounded() {
        let n = note();
        assert_eq!(find_build_id(&n), Some(&[0x5a; 20][..]));
        for len in 0..n.len() {
            assert_eq!(find_build_id(&n[..len]), None);
        }
        let mut other = n.clone();
        other[8] = 1;
        assert_eq!(find_build_id(&other), None);
    }
}
