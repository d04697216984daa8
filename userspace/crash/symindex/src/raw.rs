//! The fixed-size records inside the index's byte strings: a block directory record, a
//! `nodes` record and a string offset, as little-endian `#[repr(C)]` structs with no
//! padding and alignment 1, so a table's bytes are read in place as a slice of records.
//! The format is specified in docs/reliability/crashdump-v2.md; [`crate::blocks`] and
//! [`crate::lookup`] read through these types and check every value.

use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::format::NODE_RECORD;

/// One block of a block table's directory.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct DirRecord {
    /// Address of the block's first entry.
    pub first_addr: U64,
    /// Offset of the block in the data string (a block ends where the next begins).
    pub offset: U32,
}

/// One scope of the `nodes` table.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct NodeRecord {
    /// String id of the function name, or `NONE`.
    pub name: U32,
    /// Parent scope id, or `NONE`.
    pub parent: U32,
    /// String id of the call site's file, or `NONE`.
    pub call_file: U32,
    /// Line of the call site (0 when unknown).
    pub call_line: U32,
}

/// One entry of `string_offsets`.
pub(crate) type StringOffset = U32;

/// Size of a directory record.
pub(crate) const DIR_RECORD: usize = 12;

const _: () = assert!(size_of::<DirRecord>() == DIR_RECORD);
const _: () = assert!(size_of::<NodeRecord>() == NODE_RECORD);
