//! GPT encoding and parsing (UEFI 2.x, chapter 5): the protective MBR, the primary and
//! backup headers and entry arrays, GUIDs derived from content, and a bounded parser for
//! `nx image inspect` and verification.
//!
//! GUIDs are stored in the on-disk (mixed-endian) byte order throughout; only
//! [`guid_to_string`] converts to the textual form.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write as _;

use sha2::Digest as _;
use zerocopy::{FromBytes, FromZeros, IntoBytes};

use crate::layout::{
    Layout, FIRST_USABLE_LBA, GPT_ENTRIES, GPT_ENTRY_LEN, GPT_ENTRY_SECTORS, SECTOR,
};
use crate::Error;

mod raw;

/// The "Linux filesystem data" partition type (0FC63DAF-8483-4772-8E79-3D69D8477DE4),
/// used for every segment partition, on-disk byte order.
pub const LINUX_DATA_TYPE: [u8; 16] = [
    0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4,
];

const GPT_SIGNATURE: &[u8; 8] = b"EFI PART";
const GPT_REVISION: u32 = 0x0001_0000;
const GPT_HEADER_LEN: u32 = 92;
/// Longest partition name (UTF-16 code units).
pub const NAME_UNITS: usize = 36;

/// A partition entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptPartition {
    /// Partition type GUID (on-disk order).
    pub type_guid: [u8; 16],
    /// Unique partition GUID (on-disk order).
    pub guid: [u8; 16],
    /// First LBA.
    pub first_lba: u64,
    /// Last LBA (inclusive).
    pub last_lba: u64,
    /// Partition name (ASCII for the partitions this crate writes).
    pub name: String,
}

/// Derives a GUID from `parts`: the first 16 bytes of SHA-256 over a domain tag and the
/// length-prefixed parts, marked as an RFC 4122 variant, version 4 GUID.
pub fn derive_guid(domain: &str, parts: &[&[u8]]) -> [u8; 16] {
    let mut h = sha2::Sha256::new();
    h.update(domain.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let digest: [u8; 32] = h.finalize().into();
    let mut g = [0u8; 16];
    g.copy_from_slice(&digest[..16]);
    // Version nibble: the high nibble of time_hi_and_version (a little-endian u16 at 6).
    g[7] = (g[7] & 0x0f) | 0x40;
    // Variant bits 10 in clock_seq_hi (byte 8, stored as is).
    g[8] = (g[8] & 0x3f) | 0x80;
    g
}

/// The textual form of an on-disk GUID (uppercase, as sgdisk prints it).
pub fn guid_to_string(g: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    let order = [3usize, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    for (i, idx) in order.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{:02X}", g[*idx]);
    }
    s
}

/// The protective MBR for a disk of `total_sectors`.
pub fn protective_mbr(total_sectors: u64) -> [u8; 512] {
    let mut mbr = raw::Mbr::new_zeroed();
    mbr.partitions[0] = raw::MbrPartition {
        boot_indicator: 0,             // not bootable
        start_chs: [0x00, 0x02, 0x00], // CHS of LBA 1
        os_type: 0xee,                 // GPT protective
        end_chs: [0xff, 0xff, 0xff],
        starting_lba: 1.into(),
        size_in_lba: u32::try_from(total_sectors - 1).unwrap_or(u32::MAX).into(),
    };
    mbr.signature = [0x55, 0xaa];
    let mut m = [0u8; 512];
    m.copy_from_slice(mbr.as_bytes());
    m
}

/// The 128-entry array (16 KiB) for `parts`.
pub fn entry_array(parts: &[GptPartition]) -> Vec<u8> {
    let mut out = vec![0u8; (GPT_ENTRIES * GPT_ENTRY_LEN) as usize];
    for (p, e) in parts
        .iter()
        .zip(out.chunks_exact_mut(GPT_ENTRY_LEN as usize))
    {
        let mut entry = raw::Entry {
            type_guid: p.type_guid,
            guid: p.guid,
            first_lba: p.first_lba.into(),
            last_lba: p.last_lba.into(),
            attributes: 0.into(),
            name: [0.into(); NAME_UNITS],
        };
        for (dst, unit) in entry.name.iter_mut().zip(p.name.encode_utf16()) {
            *dst = unit.into();
        }
        e.copy_from_slice(entry.as_bytes());
    }
    out
}

struct HeaderFields<'a> {
    my_lba: u64,
    alternate_lba: u64,
    first_usable: u64,
    last_usable: u64,
    disk_guid: &'a [u8; 16],
    entries_lba: u64,
    entries_crc: u32,
}

fn header(h: &HeaderFields<'_>) -> [u8; 512] {
    let mut header = raw::Header {
        signature: *GPT_SIGNATURE,
        revision: GPT_REVISION.into(),
        header_size: GPT_HEADER_LEN.into(),
        header_crc32: 0.into(),
        reserved: 0.into(),
        my_lba: h.my_lba.into(),
        alternate_lba: h.alternate_lba.into(),
        first_usable_lba: h.first_usable.into(),
        last_usable_lba: h.last_usable.into(),
        disk_guid: *h.disk_guid,
        entries_lba: h.entries_lba.into(),
        entry_count: (GPT_ENTRIES as u32).into(),
        entry_size: (GPT_ENTRY_LEN as u32).into(),
        entries_crc32: h.entries_crc.into(),
    };
    header.header_crc32 = crc32fast::hash(header.as_bytes()).into();
    let mut s = [0u8; 512];
    s[..GPT_HEADER_LEN as usize].copy_from_slice(header.as_bytes());
    s
}

/// The primary (header then entries, LBAs 1..=33) and backup (entries then header, the
/// last 33 LBAs) GPT regions for `layout`.
pub fn regions(
    layout: &Layout,
    disk_guid: &[u8; 16],
    parts: &[GptPartition],
) -> (Vec<u8>, Vec<u8>) {
    let entries = entry_array(parts);
    let entries_crc = crc32fast::hash(&entries);
    let last = layout.total_sectors() - 1;
    let fields = |my_lba, alternate_lba, entries_lba| HeaderFields {
        my_lba,
        alternate_lba,
        first_usable: FIRST_USABLE_LBA,
        last_usable: layout.last_usable_lba(),
        disk_guid,
        entries_lba,
        entries_crc,
    };
    let mut primary = Vec::with_capacity(((1 + GPT_ENTRY_SECTORS) * SECTOR) as usize);
    primary.extend_from_slice(&header(&fields(1, last, 2)));
    primary.extend_from_slice(&entries);
    let mut backup = Vec::with_capacity(primary.len());
    backup.extend_from_slice(&entries);
    backup.extend_from_slice(&header(&fields(last, 1, last - GPT_ENTRY_SECTORS)));
    (primary, backup)
}

/// A parsed GPT: disk GUID and used entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedGpt {
    /// Disk GUID (on-disk order).
    pub disk_guid: [u8; 16],
    /// Last LBA of the disk according to the header (its alternate LBA).
    pub backup_lba: u64,
    /// Entries whose type GUID is not zero, in table order.
    pub partitions: Vec<GptPartition>,
}

/// Parses the protective MBR and primary GPT from the first 34 sectors of an image.
pub fn parse_primary(head: &[u8]) -> Result<ParsedGpt, Error> {
    let need = ((2 + GPT_ENTRY_SECTORS) * SECTOR) as usize;
    let gpt = |what| Error::Gpt { what };
    let too_short = gpt("image too short for a protective MBR and primary GPT");
    let head = head.get(..need).ok_or(too_short.clone())?;
    let (mbr, rest) = raw::Mbr::ref_from_prefix(head).map_err(|_| too_short.clone())?;
    let (sector, entries) = rest.split_at(SECTOR as usize);
    let (mut h, _) = raw::Header::read_from_prefix(sector).map_err(|_| too_short.clone())?;
    if mbr.signature != [0x55, 0xaa] || mbr.partitions[0].os_type != 0xee {
        return Err(gpt("LBA 0 is not a protective MBR"));
    }
    if &h.signature != GPT_SIGNATURE {
        return Err(gpt("LBA 1 has no EFI PART signature"));
    }
    if h.header_size.get() != GPT_HEADER_LEN
        || u64::from(h.entry_count.get()) != GPT_ENTRIES
        || u64::from(h.entry_size.get()) != GPT_ENTRY_LEN
        || h.entries_lba.get() != 2
    {
        return Err(gpt(
            "primary header has an unsupported size, entry count or entry location",
        ));
    }
    let header_crc = h.header_crc32.get();
    h.header_crc32 = 0.into();
    if crc32fast::hash(h.as_bytes()) != header_crc {
        return Err(gpt("primary header CRC32 mismatch"));
    }
    if crc32fast::hash(entries) != h.entries_crc32.get() {
        return Err(gpt("primary entry array CRC32 mismatch"));
    }
    let entries = <[raw::Entry]>::ref_from_bytes(entries).map_err(|_| too_short)?;
    let partitions = entries
        .iter()
        .filter(|e| e.type_guid != [0; 16])
        .map(|e| {
            let units: Vec<u16> = e
                .name
                .iter()
                .map(|u| u.get())
                .take_while(|u| *u != 0)
                .collect();
            GptPartition {
                type_guid: e.type_guid,
                guid: e.guid,
                first_lba: e.first_lba.get(),
                last_lba: e.last_lba.get(),
                name: String::from_utf16_lossy(&units),
            }
        })
        .collect();
    Ok(ParsedGpt {
        disk_guid: h.disk_guid,
        backup_lba: h.alternate_lba.get(),
        partitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SegmentName;

    #[test]
    fn guid_text_uses_mixed_endian_order() {
        assert_eq!(
            guid_to_string(&LINUX_DATA_TYPE),
            "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
        );
        let g = derive_guid("t", &[b"a"]);
        let s = guid_to_string(&g);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "A" | "B"));
    }

    #[test]
    fn primary_region_parses_back() {
        let layout = crate::Layout::plan(&[(SegmentName::Kernel, 4096)], None).unwrap();
        let seg = layout.segments()[0];
        let parts = [GptPartition {
            type_guid: LINUX_DATA_TYPE,
            guid: derive_guid("p", &[b"k"]),
            first_lba: seg.first_lba(),
            last_lba: seg.last_lba(),
            name: String::from("kernel"),
        }];
        let disk = derive_guid("d", &[]);
        let (primary, backup) = regions(&layout, &disk, &parts);
        assert_eq!(primary.len(), backup.len());
        let mut head = protective_mbr(layout.total_sectors()).to_vec();
        head.extend_from_slice(&primary);
        let parsed = parse_primary(&head).unwrap();
        assert_eq!(parsed.disk_guid, disk);
        assert_eq!(parsed.partitions, parts);
        head[600] ^= 1;
        assert!(parse_primary(&head).is_err());
    }
}
