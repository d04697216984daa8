//! The ELF64 little-endian structures the load planner reads (System V gABI): the file
//! header, a program header and a note header, as `#[repr(C)]` structs with no padding
//! and alignment 1, so they overlay any byte buffer. [`super::plan`] reads through them
//! and checks every value.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// `Elf64_Ehdr`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct FileHeader {
    /// Magic, class, data encoding, version, OS ABI, padding.
    pub ident: [u8; 16],
    /// Object file type.
    pub e_type: U16,
    /// Machine.
    pub e_machine: U16,
    /// Object file version.
    pub e_version: U32,
    /// Entry point.
    pub e_entry: U64,
    /// Program header table offset.
    pub e_phoff: U64,
    /// Section header table offset.
    pub e_shoff: U64,
    /// Processor flags.
    pub e_flags: U32,
    /// This header's size.
    pub e_ehsize: U16,
    /// Size of one program header.
    pub e_phentsize: U16,
    /// Number of program headers.
    pub e_phnum: U16,
    /// Size of one section header.
    pub e_shentsize: U16,
    /// Number of section headers.
    pub e_shnum: U16,
    /// Section name string table index.
    pub e_shstrndx: U16,
}

/// `Elf64_Phdr`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct ProgramHeader {
    /// Segment type.
    pub p_type: U32,
    /// Permissions (`PF_X` 1, `PF_W` 2, `PF_R` 4).
    pub p_flags: U32,
    /// Offset of the segment's bytes in the file.
    pub p_offset: U64,
    /// Virtual address.
    pub p_vaddr: U64,
    /// Physical address (unused).
    pub p_paddr: U64,
    /// Bytes in the file.
    pub p_filesz: U64,
    /// Bytes in memory.
    pub p_memsz: U64,
    /// Alignment.
    pub p_align: U64,
}

/// `Elf64_Nhdr`: followed by the name and the descriptor, each padded to 4 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct NoteHeader {
    /// Name length, including its NUL.
    pub n_namesz: U32,
    /// Descriptor length.
    pub n_descsz: U32,
    /// Note type.
    pub n_type: U32,
}

/// Size of [`ProgramHeader`], the only `e_phentsize` accepted.
pub(super) const PROGRAM_HEADER_LEN: usize = 56;

const _: () = assert!(size_of::<FileHeader>() == 64);
const _: () = assert!(size_of::<ProgramHeader>() == PROGRAM_HEADER_LEN);
const _: () = assert!(size_of::<NoteHeader>() == 12);
