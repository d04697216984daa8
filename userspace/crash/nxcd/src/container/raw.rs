//! The container's byte layout, format 2: the file header and a section table entry as
//! little-endian `#[repr(C)]` structs with no padding and alignment 1, so they overlay
//! any byte buffer. The fields are specified in docs/reliability/crashdump-v2.md;
//! [`super::Container::parse`] and [`super::build`] read and write through these structs
//! and check every value.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{FILE_HEADER_LEN, SECTION_NAME_LEN, TABLE_ENTRY_LEN};

/// The file header at offset 0.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct FileHeader {
    /// `0x89 "NXCD" CR LF 0x1A`.
    pub magic: [u8; 8],
    /// Major format version.
    pub major: U16,
    /// Minor format version.
    pub minor: U16,
    /// Entries in the section table.
    pub section_count: U16,
    /// Zero.
    pub reserved0: U16,
    /// Length of the whole file.
    pub total_len: U64,
    /// CRC32 of the header's first 24 bytes and the section table.
    pub table_crc32: U32,
    /// Zero.
    pub reserved1: U32,
}

/// One section table entry.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct TableEntry {
    /// Name: printable ASCII, NUL-padded.
    pub name: [u8; SECTION_NAME_LEN],
    /// Absolute offset of the section's first byte.
    pub offset: U64,
    /// Length of the section.
    pub len: U64,
    /// CRC32 of the section bytes.
    pub crc32: U32,
    /// Zero.
    pub reserved: U32,
}

/// Bytes of the header covered by the table checksum (everything before it).
pub(super) const CHECKED_HEADER_LEN: usize = core::mem::offset_of!(FileHeader, table_crc32);
/// Offset of `reserved0` in the header.
pub(super) const RESERVED0_AT: usize = core::mem::offset_of!(FileHeader, reserved0);
/// Offset of `reserved1` in the header.
pub(super) const RESERVED1_AT: usize = core::mem::offset_of!(FileHeader, reserved1);
/// Offset of `reserved` in a table entry.
pub(super) const ENTRY_RESERVED_AT: usize = core::mem::offset_of!(TableEntry, reserved);

const _: () = assert!(size_of::<FileHeader>() == FILE_HEADER_LEN);
const _: () = assert!(size_of::<TableEntry>() == TABLE_ENTRY_LEN);
const _: () = assert!(CHECKED_HEADER_LEN == 24 && RESERVED0_AT == 14 && RESERVED1_AT == 28);
const _: () = assert!(ENTRY_RESERVED_AT == 36);
