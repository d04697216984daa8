//! The binary container: file header, section table, section bytes.
//!
//! This layer knows nothing about JSON. [`Container::parse`] checks the whole structure
//! (magic, version, lengths, bounds, overlaps, checksums, names) and hands out borrowed
//! section slices; [`build`] lays sections out deterministically. All integers are
//! little-endian; every read is bounds-checked and every size is compared with its
//! [`Limits`] bound before anything is allocated.

use alloc::string::String;
use alloc::vec::Vec;

use zerocopy::{FromBytes, IntoBytes};

use crate::error::Error;
use crate::section::SectionName;

mod raw;

/// The eight magic bytes at offset 0: `0x89 "NXCD" CR LF 0x1A`.
pub const MAGIC: [u8; 8] = [0x89, b'N', b'X', b'C', b'D', 0x0d, 0x0a, 0x1a];
/// Major format version written and read by this crate.
pub const FORMAT_MAJOR: u16 = 2;
/// Minor format version written by this crate.
pub const FORMAT_MINOR: u16 = 0;
/// Length of the fixed file header.
pub const FILE_HEADER_LEN: usize = 32;
/// Length of one section table entry.
pub const TABLE_ENTRY_LEN: usize = 40;
/// Length of the name field of a section table entry.
pub const SECTION_NAME_LEN: usize = 16;

/// Size bounds, checked before any allocation by the reader and enforced by the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bound on the whole file (and on the decompressed size of a `.nxcd.zst`).
    pub max_total: u64,
    /// Bound on the number of section table entries.
    pub max_sections: u16,
    /// Bound on `header.json`.
    pub header: u64,
    /// Bound on `frames.json`.
    pub frames: u64,
    /// Bound on `maps.json`.
    pub maps: u64,
    /// Bound on `logs.jsonl`.
    pub logs: u64,
    /// Bound on `spans.jsonl`.
    pub spans: u64,
    /// Bound on `regs.bin`.
    pub regs: u64,
    /// Bound on a section unknown to this reader in a file of a newer minor version.
    pub unknown: u64,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

impl Limits {
    /// The bounds of format version 2.0; see the format document.
    pub const DEFAULT: Limits = Limits {
        max_total: 8 * MIB,
        max_sections: 16,
        header: 64 * KIB,
        frames: MIB,
        maps: MIB,
        logs: 4 * MIB,
        spans: MIB,
        regs: crate::regs::REGS_LEN as u64,
        unknown: MIB,
    };

    /// The bound for one section.
    pub const fn section(&self, name: SectionName) -> u64 {
        match name {
            SectionName::Header => self.header,
            SectionName::Frames => self.frames,
            SectionName::Maps => self.maps,
            SectionName::Logs => self.logs,
            SectionName::Spans => self.spans,
            SectionName::Regs => self.regs,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// One entry of the section table, as found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionEntry {
    /// The stored name (printable ASCII, without the NUL padding).
    pub name: String,
    /// The section, when this version defines it.
    pub known: Option<SectionName>,
    /// Absolute offset of the first byte.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// CRC32 (IEEE) of the section bytes.
    pub crc32: u32,
}

/// A structurally valid container: every section is in bounds, non-overlapping, within
/// its size bound and matches its checksum.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    bytes: &'a [u8],
    minor: u16,
    entries: Vec<SectionEntry>,
    known: [Option<(usize, usize)>; 6],
}

/// Decodes a NUL-padded name field: printable ASCII, then only NULs, at least one byte.
fn decode_name(raw: &[u8; SECTION_NAME_LEN]) -> Option<String> {
    let len = raw.iter().position(|&b| b == 0).unwrap_or(SECTION_NAME_LEN);
    let (name, padding) = raw.split_at(len);
    if name.is_empty()
        || !name.iter().all(|b| b.is_ascii_graphic())
        || padding.iter().any(|&b| b != 0)
    {
        return None;
    }
    Some(name.iter().map(|&b| char::from(b)).collect())
}

impl<'a> Container<'a> {
    /// Checks the container structure of `bytes` against `limits`.
    ///
    /// Checks, in order: file header length, magic, major version, reserved fields,
    /// total size bound, declared total length against the input length, section count,
    /// section table length, header-and-table checksum, then each entry (name, reserved
    /// field, size bound, bounds), overlaps, section checksums, required sections.
    pub fn parse(bytes: &'a [u8], limits: &Limits) -> Result<Container<'a>, Error> {
        let input_len = bytes.len() as u64;
        let mut found = [0u8; 8];
        for (dst, src) in found.iter_mut().zip(bytes) {
            *dst = *src;
        }
        let prefix_len = bytes.len().min(MAGIC.len());
        if bytes.get(..prefix_len) != MAGIC.get(..prefix_len) {
            return Err(Error::BadMagic { found });
        }
        let (header, _) =
            raw::FileHeader::ref_from_prefix(bytes).map_err(|_| Error::Truncated {
                what: "file header",
                needed: FILE_HEADER_LEN as u64,
                available: input_len,
            })?;
        let (major, minor) = (header.major.get(), header.minor.get());
        if major != FORMAT_MAJOR {
            return Err(Error::UnsupportedVersion { major, minor });
        }
        let count = header.section_count.get();
        if header.reserved0.get() != 0 {
            return Err(Error::ReservedNotZero {
                offset: raw::RESERVED0_AT as u64,
            });
        }
        let total_len = header.total_len.get();
        let table_crc = header.table_crc32.get();
        if header.reserved1.get() != 0 {
            return Err(Error::ReservedNotZero {
                offset: raw::RESERVED1_AT as u64,
            });
        }
        if input_len > limits.max_total {
            return Err(Error::FileTooLarge {
                size: input_len,
                limit: limits.max_total,
            });
        }
        if total_len > limits.max_total {
            return Err(Error::FileTooLarge {
                size: total_len,
                limit: limits.max_total,
            });
        }
        if input_len < total_len {
            return Err(Error::Truncated {
                what: "file",
                needed: total_len,
                available: input_len,
            });
        }
        if input_len > total_len {
            return Err(Error::TrailingData {
                declared: total_len,
                actual: input_len,
            });
        }
        if count > limits.max_sections {
            return Err(Error::TooManySections {
                count,
                limit: limits.max_sections,
            });
        }
        // count <= u16::MAX, so this cannot overflow.
        let table_end = FILE_HEADER_LEN + usize::from(count) * TABLE_ENTRY_LEN;
        let table = bytes
            .get(FILE_HEADER_LEN..table_end)
            .ok_or(Error::Truncated {
                what: "section table",
                needed: table_end as u64,
                available: input_len,
            })?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&header.as_bytes()[..raw::CHECKED_HEADER_LEN]);
        hasher.update(table);
        let actual = hasher.finalize();
        if actual != table_crc {
            return Err(Error::BadTableChecksum {
                expected: table_crc,
                actual,
            });
        }

        let mut entries = Vec::with_capacity(usize::from(count));
        let mut known: [Option<(usize, usize)>; 6] = [None; 6];
        // The table is exactly `count` entries long: this cast cannot fail.
        let table = <[raw::TableEntry]>::ref_from_bytes(table).map_err(|_| Error::Truncated {
            what: "section table",
            needed: table_end as u64,
            available: input_len,
        })?;
        for (index, raw_entry) in (0..count).zip(table) {
            let name = decode_name(&raw_entry.name).ok_or(Error::BadSectionName { index })?;
            let offset = raw_entry.offset.get();
            let len = raw_entry.len.get();
            let crc32 = raw_entry.crc32.get();
            if raw_entry.reserved.get() != 0 {
                let base = FILE_HEADER_LEN + usize::from(index) * TABLE_ENTRY_LEN;
                return Err(Error::ReservedNotZero {
                    offset: (base + raw::ENTRY_RESERVED_AT) as u64,
                });
            }
            let section = SectionName::from_name(&name);
            let limit = match section {
                Some(s) => {
                    if known[s.index()].is_some() {
                        return Err(Error::DuplicateSection { section: name });
                    }
                    limits.section(s)
                }
                None if minor > FORMAT_MINOR => {
                    if entries.iter().any(|e: &SectionEntry| e.name == name) {
                        return Err(Error::DuplicateSection { section: name });
                    }
                    limits.unknown
                }
                None => return Err(Error::UnknownSection { index, name }),
            };
            if len > limit {
                return Err(Error::OversizedSection {
                    section: name,
                    len,
                    limit,
                });
            }
            let end = offset.checked_add(len);
            let in_bounds = offset >= table_end as u64 && end.is_some_and(|e| e <= total_len);
            let range = if in_bounds {
                usize::try_from(offset)
                    .ok()
                    .zip(end.and_then(|e| usize::try_from(e).ok()))
            } else {
                None
            };
            let Some((start, stop)) = range else {
                return Err(Error::SectionOutOfBounds {
                    section: name,
                    offset,
                    len,
                    data_start: table_end as u64,
                    file_len: total_len,
                });
            };
            if let Some(s) = section {
                known[s.index()] = Some((start, stop));
            }
            entries.push(SectionEntry {
                name,
                known: section,
                offset,
                len,
                crc32,
            });
        }

        // Overlaps: sort non-empty ranges by start; each must start at or after the
        // previous one's end.
        let mut order: Vec<&SectionEntry> = entries.iter().filter(|e| e.len > 0).collect();
        order.sort_by_key(|e| (e.offset, e.len));
        for pair in order.windows(2) {
            if let [a, b] = pair {
                if b.offset < a.offset.saturating_add(a.len) {
                    return Err(Error::OverlappingSections {
                        first: a.name.clone(),
                        second: b.name.clone(),
                    });
                }
            }
        }

        for entry in &entries {
            let data = usize::try_from(entry.offset)
                .ok()
                .zip(usize::try_from(entry.offset.saturating_add(entry.len)).ok())
                .and_then(|(s, e)| bytes.get(s..e))
                .ok_or_else(|| Error::SectionOutOfBounds {
                    section: entry.name.clone(),
                    offset: entry.offset,
                    len: entry.len,
                    data_start: table_end as u64,
                    file_len: total_len,
                })?;
            let actual = crc32fast::hash(data);
            if actual != entry.crc32 {
                return Err(Error::BadChecksum {
                    section: entry.name.clone(),
                    expected: entry.crc32,
                    actual,
                });
            }
        }

        for section in SectionName::ALL {
            if section.is_required() && known[section.index()].is_none() {
                return Err(Error::MissingSection { section });
            }
        }

        Ok(Container {
            bytes,
            minor,
            entries,
            known,
        })
    }

    /// The minor format version of the file.
    pub fn minor_version(&self) -> u16 {
        self.minor
    }

    /// The section table, in file order (including sections skipped as unknown).
    pub fn entries(&self) -> &[SectionEntry] {
        &self.entries
    }

    /// The bytes of a known section, if present.
    pub fn section(&self, name: SectionName) -> Option<&'a [u8]> {
        let bytes: &'a [u8] = self.bytes;
        self.known
            .get(name.index())
            .copied()
            .flatten()
            .and_then(|(start, end)| bytes.get(start..end))
    }
}

/// Lays out the given sections (name, bytes) in the order given: file header, table,
/// then the section bytes back to back. Checks each section and the total against
/// `limits`.
pub fn build(sections: &[(SectionName, &[u8])], limits: &Limits) -> Result<Vec<u8>, Error> {
    let count = u16::try_from(sections.len())
        .ok()
        .filter(|&c| c <= limits.max_sections)
        .ok_or(Error::TooManySections {
            count: u16::try_from(sections.len()).unwrap_or(u16::MAX),
            limit: limits.max_sections,
        })?;
    let table_end = FILE_HEADER_LEN + usize::from(count) * TABLE_ENTRY_LEN;
    let mut total = table_end as u64;
    for (name, data) in sections {
        let len = data.len() as u64;
        let limit = limits.section(*name);
        if len > limit {
            return Err(Error::OversizedSection {
                section: String::from(name.as_str()),
                len,
                limit,
            });
        }
        total = total.saturating_add(len);
    }
    if total > limits.max_total {
        return Err(Error::FileTooLarge {
            size: total,
            limit: limits.max_total,
        });
    }
    let capacity = usize::try_from(total).map_err(|_| Error::FileTooLarge {
        size: total,
        limit: limits.max_total,
    })?;
    let mut header = raw::FileHeader {
        magic: MAGIC,
        major: FORMAT_MAJOR.into(),
        minor: FORMAT_MINOR.into(),
        section_count: count.into(),
        reserved0: 0.into(),
        total_len: total.into(),
        table_crc32: 0.into(),
        reserved1: 0.into(),
    };
    let mut table = Vec::with_capacity(usize::from(count) * TABLE_ENTRY_LEN);
    let mut offset = table_end as u64;
    for (name, data) in sections {
        let mut entry = raw::TableEntry {
            name: [0; SECTION_NAME_LEN],
            offset: offset.into(),
            len: (data.len() as u64).into(),
            crc32: crc32fast::hash(data).into(),
            reserved: 0.into(),
        };
        for (dst, src) in entry.name.iter_mut().zip(name.as_str().as_bytes()) {
            *dst = *src;
        }
        table.extend_from_slice(entry.as_bytes());
        offset = offset.saturating_add(data.len() as u64);
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header.as_bytes()[..raw::CHECKED_HEADER_LEN]);
    hasher.update(&table);
    header.table_crc32 = hasher.finalize().into();
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&table);
    for (_, data) in sections {
        out.extend_from_slice(data);
    }
    Ok(out)
}
