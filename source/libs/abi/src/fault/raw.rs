//! The fault record's byte layout, version 1: little-endian `#[repr(C)]` structs with no
//! padding and alignment 1, so they overlay any byte buffer. The table of fields is in
//! the parent module's documentation; [`super::FaultRecord`] encodes and decodes through
//! these structs and checks every value.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{HEADER_LEN, MAX_BUILD_ID, MAX_NAME, MODULE_LEN, REG_COUNT};

/// The fixed header: everything before the stack copy.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct Header {
    /// `NXFR`.
    pub magic: [u8; 4],
    /// Format version.
    pub version: U16,
    /// Zero.
    pub reserved0: U16,
    /// Length of the whole record.
    pub total_len: U32,
    /// Bytes of stack copy after the header.
    pub stack_len: U32,
    /// Module entries after the stack copy.
    pub module_count: U32,
    /// Zero.
    pub reserved1: U32,
    /// Registers in `regs.bin` order.
    pub regs: [U64; REG_COUNT],
    /// Address the stack copy starts at.
    pub stack_base: U64,
}

/// One module entry.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct Module {
    /// Lowest runtime address.
    pub start: U64,
    /// End (exclusive) at runtime.
    pub end: U64,
    /// Lowest link-time address.
    pub link_base: U64,
    /// Valid bytes of `build_id`.
    pub build_id_len: u8,
    /// Valid bytes of `name`.
    pub name_len: u8,
    /// Zero.
    pub reserved: [u8; 6],
    /// Build-id, zero-padded.
    pub build_id: [u8; MAX_BUILD_ID],
    /// Name, zero-padded.
    pub name: [u8; MAX_NAME],
}

/// Offset of `reserved1` in the header (named by [`super::RecordError::Reserved`]).
pub(super) const RESERVED1_AT: usize = 20;
/// Offset of `reserved0` in the header.
pub(super) const RESERVED0_AT: usize = 6;

const _: () = assert!(size_of::<Header>() == HEADER_LEN);
const _: () = assert!(size_of::<Module>() == MODULE_LEN);
const _: () = assert!(core::mem::offset_of!(Header, reserved0) == RESERVED0_AT);
const _: () = assert!(core::mem::offset_of!(Header, reserved1) == RESERVED1_AT);
