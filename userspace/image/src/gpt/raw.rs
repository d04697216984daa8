//! The on-disk structures of a GPT disk (UEFI 2.x, chapter 5): the protective MBR, the
//! GPT header and a partition entry, as little-endian `#[repr(C)]` structs with no
//! padding and alignment 1, so they overlay any byte buffer. [`super`] writes and reads
//! the disk through them and checks every value.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::layout::GPT_ENTRY_LEN;

/// One of the four MBR partition records.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct MbrPartition {
    /// 0x80 when bootable.
    pub boot_indicator: u8,
    /// CHS address of the first sector.
    pub start_chs: [u8; 3],
    /// Partition type (0xEE: GPT protective).
    pub os_type: u8,
    /// CHS address of the last sector.
    pub end_chs: [u8; 3],
    /// First LBA.
    pub starting_lba: U32,
    /// Length in sectors.
    pub size_in_lba: U32,
}

/// LBA 0: the (protective) master boot record.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct Mbr {
    /// Boot code, unused.
    pub boot_code: [u8; 446],
    /// Partition records.
    pub partitions: [MbrPartition; 4],
    /// `55 AA`.
    pub signature: [u8; 2],
}

/// The GPT header (the first 92 bytes of its sector; the rest is zero).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct Header {
    /// `EFI PART`.
    pub signature: [u8; 8],
    /// Revision (1.0).
    pub revision: U32,
    /// Length of this header (92).
    pub header_size: U32,
    /// CRC32 of this header with this field zero.
    pub header_crc32: U32,
    /// Zero.
    pub reserved: U32,
    /// LBA of this header.
    pub my_lba: U64,
    /// LBA of the other header.
    pub alternate_lba: U64,
    /// First LBA a partition may use.
    pub first_usable_lba: U64,
    /// Last LBA a partition may use.
    pub last_usable_lba: U64,
    /// Disk GUID (on-disk order).
    pub disk_guid: [u8; 16],
    /// First LBA of the entry array.
    pub entries_lba: U64,
    /// Entries in the array.
    pub entry_count: U32,
    /// Bytes per entry.
    pub entry_size: U32,
    /// CRC32 of the entry array.
    pub entries_crc32: U32,
}

/// One partition entry.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(super) struct Entry {
    /// Partition type GUID (zero: unused entry).
    pub type_guid: [u8; 16],
    /// Unique partition GUID.
    pub guid: [u8; 16],
    /// First LBA.
    pub first_lba: U64,
    /// Last LBA (inclusive).
    pub last_lba: U64,
    /// Attribute flags.
    pub attributes: U64,
    /// Name, UTF-16LE, NUL-padded.
    pub name: [U16; super::NAME_UNITS],
}

const _: () = assert!(size_of::<Mbr>() == 512);
const _: () = assert!(size_of::<Header>() == super::GPT_HEADER_LEN as usize);
const _: () = assert!(size_of::<Entry>() as u64 == GPT_ENTRY_LEN);
