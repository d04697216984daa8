//! The archive's byte layout, version 1: little-endian `#[repr(C)]` structs with no
//! padding and alignment 1, so they overlay any byte buffer. The table of fields is in
//! the crate documentation; [`crate::build`] and [`crate::Archive`] write and read the
//! header and the entry table through these structs and check every value.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The header at offset 0.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Header {
    /// `NXINITRD`.
    pub magic: [u8; 8],
    /// Format version.
    pub version: U16,
    /// Zero.
    pub reserved: U16,
    /// Entries in the table after the header.
    pub count: U32,
    /// Length of the whole archive.
    pub total_len: U64,
}

/// One entry of the table.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Entry {
    /// Name, NUL-padded.
    pub name: [u8; 32],
    /// Offset of the entry's data in the archive.
    pub offset: U64,
    /// Length of the entry's data.
    pub len: U64,
}

impl Entry {
    /// The name bytes before the first NUL.
    pub fn name(&self) -> &[u8] {
        let len = self.name.iter().position(|b| *b == 0).unwrap_or(32);
        &self.name[..len]
    }
}

const _: () = assert!(size_of::<Header>() == crate::HEADER_LEN);
const _: () = assert!(size_of::<Entry>() == crate::ENTRY_LEN);
