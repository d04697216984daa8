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

use crate::layout::{
    Layout, FIRST_USABLE_LBA, GPT_ENTRIES, GPT_ENTRY_LEN, GPT_ENTRY_SECTORS, SECTOR,
};
use crate::Error;

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
    let mut m = [0u8; 512];
    let e = &mut m[446..462];
    e[0] = 0x00; // not bootable
    e[1..4].copy_from_slice(&[0x00, 0x02, 0x00]); // CHS of LBA 1
    e[4] = 0xee; // GPT protective
    e[5..8].copy_from_slice(&[0xff, 0xff, 0xff]);
    e[8..12].copy_from_slice(&1u32.to_le_bytes());
    let size = u32::try_from(total_sectors - 1).unwrap_or(u32::MAX);
    e[12..16].copy_from_slice(&size.to_le_bytes());
    m[510] = 0x55;
    m[511] = 0xaa;
    m
}

/// The 128-entry array (16 KiB) for `parts`.
pub fn entry_array(parts: &[GptPartition]) -> Vec<u8> {
    let mut out = vec![0u8; (GPT_ENTRIES * GPT_ENTRY_LEN) as usize];
    for (p, e) in parts
        .iter()
        .zip(out.chunks_exact_mut(GPT_ENTRY_LEN as usize))
    {
        e[0..16].copy_from_slice(&p.type_guid);
        e[16..32].copy_from_slice(&p.guid);
        e[32..40].copy_from_slice(&p.first_lba.to_le_bytes());
        e[40..48].copy_from_slice(&p.last_lba.to_le_bytes());
        // attributes (48..56) zero
        for (i, unit) in p.name.encode_utf16().take(NAME_UNITS).enumerate() {
            e[56 + 2 * i..58 + 2 * i].copy_from_slice(&unit.to_le_bytes());
        }
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
    let mut s = [0u8; 512];
    s[0..8].copy_from_slice(GPT_SIGNATURE);
    s[8..12].copy_from_slice(&GPT_REVISION.to_le_bytes());
    s[12..16].copy_from_slice(&GPT_HEADER_LEN.to_le_bytes());
    s[24..32].copy_from_slice(&h.my_lba.to_le_bytes());
    s[32..40].copy_from_slice(&h.alternate_lba.to_le_bytes());
    s[40..48].copy_from_slice(&h.first_usable.to_le_bytes());
    s[48..56].copy_from_slice(&h.last_usable.to_le_bytes());
    s[56..72].copy_from_slice(h.disk_guid);
    s[72..80].copy_from_slice(&h.entries_lba.to_le_bytes());
    s[80..84].copy_from_slice(&(GPT_ENTRIES as u32).to_le_bytes());
    s[84..88].copy_from_slice(&(GPT_ENTRY_LEN as u32).to_le_bytes());
    s[88..92].copy_from_slice(&h.entries_crc.to_le_bytes());
    let crc = crc32fast::hash(&s[..GPT_HEADER_LEN as usize]);
    s[16..20].copy_from_slice(&crc.to_le_bytes());
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

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

/// Parses the protective MBR and primary GPT from the first 34 sectors of an image.
pub fn parse_primary(head: &[u8]) -> Result<ParsedGpt, Error> {
    let need = ((2 + GPT_ENTRY_SECTORS) * SECTOR) as usize;
    if head.len() < need {
        return Err(Error::Gpt {
            what: "image too short for a protective MBR and primary GPT",
        });
    }
    if head[510..512] != [0x55, 0xaa] || head[446 + 4] != 0xee {
        return Err(Error::Gpt {
            what: "LBA 0 is not a protective MBR",
        });
    }
    let h = &head[512..1024];
    if &h[0..8] != GPT_SIGNATURE {
        return Err(Error::Gpt {
            what: "LBA 1 has no EFI PART signature",
        });
    }
    if u32_at(h, 12) != GPT_HEADER_LEN
        || u32_at(h, 80) as u64 != GPT_ENTRIES
        || u32_at(h, 84) as u64 != GPT_ENTRY_LEN
        || u64_at(h, 72) != 2
    {
        return Err(Error::Gpt {
            what: "primary header has an unsupported size, entry count or entry location",
        });
    }
    let mut copy = [0u8; 92];
    copy.copy_from_slice(&h[..92]);
    copy[16..20].fill(0);
    if crc32fast::hash(&copy) != u32_at(h, 16) {
        return Err(Error::Gpt {
            what: "primary header CRC32 mismatch",
        });
    }
    let entries = &head[1024..need];
    if crc32fast::hash(entries) != u32_at(h, 88) {
        return Err(Error::Gpt {
            what: "primary entry array CRC32 mismatch",
        });
    }
    let mut disk_guid = [0u8; 16];
    disk_guid.copy_from_slice(&h[56..72]);
    let mut partitions = Vec::new();
    for e in entries.chunks_exact(GPT_ENTRY_LEN as usize) {
        if e[0..16].iter().all(|b| *b == 0) {
            continue;
        }
        let mut type_guid = [0u8; 16];
        type_guid.copy_from_slice(&e[0..16]);
        let mut guid = [0u8; 16];
        guid.copy_from_slice(&e[16..32]);
        let units: Vec<u16> = e[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|u| *u != 0)
            .collect();
        partitions.push(GptPartition {
            type_guid,
            guid,
            first_lba: u64_at(e, 32),
            last_lba: u64_at(e, 40),
            name: String::from_utf16_lossy(&units),
        });
    }
    Ok(ParsedGpt {
        disk_guid,
        backup_lba: u64_at(h, 32),
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
