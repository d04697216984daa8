//! The initrd archive (programs the kernel loads) and the boot manifest inside it.
//!
//! Format (all integers little-endian), documented in docs/architecture/kernel.md:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `NXINITRD` |
//! | 8 | 2 | version `1` |
//! | 10 | 2 | reserved, 0 |
//! | 12 | 4 | entry count `n` (at most [`MAX_ENTRIES`]) |
//! | 16 | 8 | total length of the archive |
//! | 24 | 48·n | entries: name (32 bytes, NUL-padded), data offset `u64`, data length `u64` |
//! | ... | | data, each entry's bytes starting 8-aligned, zero padding between |
//!
//! The builder sorts entries by name and pads with zeros, so the same set of files gives
//! the same bytes whatever the order they were given in. The reader checks every
//! offset and length before slicing and never panics on untrusted bytes.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[doc(hidden)]
pub mod fuzz;
pub mod manifest;
mod raw;

use alloc::vec::Vec;
use core::fmt;

use zerocopy::{FromBytes, IntoBytes};

/// The archive's magic bytes.
pub const MAGIC: [u8; 8] = *b"NXINITRD";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// Most entries an archive may hold.
pub const MAX_ENTRIES: usize = 64;
/// Longest entry name in bytes.
pub const MAX_NAME: usize = 31;
/// Largest archive, in bytes.
pub const MAX_TOTAL: usize = 64 * 1024 * 1024;
const HEADER_LEN: usize = 24;
const ENTRY_LEN: usize = 48;

/// What is wrong with an archive or a builder input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than the header or table needs.
    Truncated,
    /// The magic is not `NXINITRD`.
    BadMagic,
    /// An unknown version.
    UnsupportedVersion(u16),
    /// The reserved header field is not zero.
    ReservedNotZero,
    /// More entries than [`MAX_ENTRIES`].
    TooManyEntries(usize),
    /// The declared total length differs from the input's length, or is over the cap.
    BadTotalLength(u64),
    /// Entry `index` has a malformed name (empty, too long, bad bytes, junk after NUL).
    BadName(usize),
    /// Entry `index`'s data lies outside the archive or overlaps the table.
    EntryOutOfBounds(usize),
    /// Entry `index` is not sorted strictly after the previous one (duplicate or order).
    Unsorted(usize),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("initrd: truncated header or entry table"),
            Error::BadMagic => f.write_str("initrd: bad magic"),
            Error::UnsupportedVersion(v) => write!(f, "initrd: unsupported version {v}"),
            Error::ReservedNotZero => f.write_str("initrd: reserved header field not 0"),
            Error::TooManyEntries(n) => write!(f, "initrd: {n} entries (at most {MAX_ENTRIES})"),
            Error::BadTotalLength(n) => write!(f, "initrd: total length {n} does not fit"),
            Error::BadName(i) => write!(f, "initrd: entry {i}: malformed name"),
            Error::EntryOutOfBounds(i) => write!(f, "initrd: entry {i}: data out of bounds"),
            Error::Unsorted(i) => write!(f, "initrd: entry {i}: duplicate or out of order"),
        }
    }
}

impl core::error::Error for Error {}

/// Whether `name` is a valid entry name: 1..=31 bytes of `[a-z0-9._-]`.
pub fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Builds an archive from `(name, bytes)` pairs, in any order.
pub fn build(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, Error> {
    if entries.len() > MAX_ENTRIES {
        return Err(Error::TooManyEntries(entries.len()));
    }
    let mut sorted: Vec<(&str, &[u8])> = entries.to_vec();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for (i, (name, _)) in sorted.iter().enumerate() {
        if !is_valid_name(name.as_bytes()) {
            return Err(Error::BadName(i));
        }
        if i > 0 && sorted[i - 1].0 == *name {
            return Err(Error::Unsorted(i));
        }
    }
    let mut offset = HEADER_LEN + ENTRY_LEN * sorted.len();
    let mut table = Vec::with_capacity(ENTRY_LEN * sorted.len());
    for (name, data) in &sorted {
        offset = offset.next_multiple_of(8);
        let mut e = raw::Entry {
            name: [0; 32],
            offset: (offset as u64).into(),
            len: (data.len() as u64).into(),
        };
        e.name[..name.len()].copy_from_slice(name.as_bytes());
        table.extend_from_slice(e.as_bytes());
        offset += data.len();
    }
    if offset > MAX_TOTAL {
        return Err(Error::BadTotalLength(offset as u64));
    }
    let header = raw::Header {
        magic: MAGIC,
        version: VERSION.into(),
        reserved: 0.into(),
        count: (sorted.len() as u32).into(),
        total_len: (offset as u64).into(),
    };
    let mut out = Vec::with_capacity(offset);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&table);
    for (_, data) in &sorted {
        out.resize(out.len().next_multiple_of(8), 0);
        out.extend_from_slice(data);
    }
    Ok(out)
}

/// A checked, read-only view of an archive.
#[derive(Debug, Clone, Copy)]
pub struct Archive<'a> {
    bytes: &'a [u8],
    table: &'a [raw::Entry],
}

impl<'a> Archive<'a> {
    /// Checks the whole archive (header, table, every entry) and returns a view of it.
    pub fn parse(bytes: &'a [u8]) -> Result<Archive<'a>, Error> {
        let (head, rest) = raw::Header::ref_from_prefix(bytes).map_err(|_| {
            if bytes.len() >= 8 && bytes[..8] != MAGIC {
                Error::BadMagic
            } else {
                Error::Truncated
            }
        })?;
        if head.magic != MAGIC {
            return Err(Error::BadMagic);
        }
        let version = head.version.get();
        if version != VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        if head.reserved.get() != 0 {
            return Err(Error::ReservedNotZero);
        }
        let count = head.count.get() as usize;
        if count > MAX_ENTRIES {
            return Err(Error::TooManyEntries(count));
        }
        let total = head.total_len.get();
        if total != bytes.len() as u64 || total > MAX_TOTAL as u64 {
            return Err(Error::BadTotalLength(total));
        }
        let table_end = HEADER_LEN + ENTRY_LEN * count;
        let (table, _) = <[raw::Entry]>::ref_from_prefix_with_elems(rest, count)
            .map_err(|_| Error::Truncated)?;
        let mut prev: Option<&[u8]> = None;
        for (i, e) in table.iter().enumerate() {
            let name = e.name();
            if !is_valid_name(name) || e.name[name.len()..].iter().any(|b| *b != 0) {
                return Err(Error::BadName(i));
            }
            if prev.is_some_and(|p| p >= name) {
                return Err(Error::Unsorted(i));
            }
            prev = Some(name);
            let (off, len) = (e.offset.get(), e.len.get());
            let end = off.checked_add(len).ok_or(Error::EntryOutOfBounds(i))?;
            if off < table_end as u64 || end > total {
                return Err(Error::EntryOutOfBounds(i));
            }
        }
        Ok(Archive { bytes, table })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the archive has no entries.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Entry `index` as `(name, data)`, if it exists.
    pub fn entry(&self, index: usize) -> Option<(&'a str, &'a [u8])> {
        let e = self.table.get(index)?;
        let name = core::str::from_utf8(e.name()).ok()?;
        let off = usize::try_from(e.offset.get()).ok()?;
        let len = usize::try_from(e.len.get()).ok()?;
        let data = self.bytes.get(off..off.checked_add(len)?)?;
        Some((name, data))
    }

    /// The data of the entry called `name`.
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        (0..self.len())
            .filter_map(|i| self.entry(i))
            .find(|(n, _)| *n == name)
            .map(|(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_is_deterministic_and_order_independent() {
        let a = build(&[
            ("init", b"AAAA"),
            ("samgrd", b"BBBBBBBBB"),
            ("boot.manifest", b"x"),
        ])
        .unwrap();
        let b = build(&[
            ("samgrd", b"BBBBBBBBB"),
            ("boot.manifest", b"x"),
            ("init", b"AAAA"),
        ])
        .unwrap();
        assert_eq!(a, b);
        let ar = Archive::parse(&a).unwrap();
        assert_eq!(ar.len(), 3);
        assert_eq!(ar.entry(0), Some(("boot.manifest", &b"x"[..])));
        assert_eq!(ar.find("samgrd"), Some(&b"BBBBBBBBB"[..]));
        assert_eq!(ar.find("init"), Some(&b"AAAA"[..]));
        assert_eq!(ar.find("nope"), None);
        // Data is 8-aligned.
        for i in 0..3 {
            let (_, d) = ar.entry(i).unwrap();
            assert_eq!((d.as_ptr() as usize - a.as_ptr() as usize) % 8, 0);
        }
    }

    #[test]
    fn builder_rejects_bad_names_and_duplicates() {
        assert_eq!(build(&[("Init", b"")]), Err(Error::BadName(0)));
        assert_eq!(build(&[("", b"")]), Err(Error::BadName(0)));
        assert_eq!(build(&[("a/b", b"")]), Err(Error::BadName(0)));
        let long = "a".repeat(32);
        assert_eq!(build(&[(long.as_str(), b"")]), Err(Error::BadName(0)));
        assert_eq!(build(&[("x", b"1"), ("x", b"2")]), Err(Error::Unsorted(1)));
    }

    #[test]
    fn reader_rejects_malformed_archives() {
        let good = build(&[("a", b"12345"), ("b", b"678")]).unwrap();
        let table: [(usize, u8, Error); 6] = [
            (0, b'X', Error::BadMagic),
            (8, 2, Error::UnsupportedVersion(2)),
            (11, 1, Error::ReservedNotZero),
            (12, 65, Error::TooManyEntries(65)),
            (24, b'A', Error::BadName(0)),
            (72, b'a', Error::Unsorted(1)),
        ];
        for (off, val, want) in table {
            let mut b = good.clone();
            b[off] = val;
            assert_eq!(Archive::parse(&b).unwrap_err(), want, "byte {off}");
        }
        let mut b = good.clone();
        b[24 + 40] = 200; // entry 0 length
        assert_eq!(Archive::parse(&b).unwrap_err(), Error::EntryOutOfBounds(0));
        let mut b = good.clone();
        b[24 + 32] = 0; // entry 0 offset inside the table
        assert_eq!(Archive::parse(&b).unwrap_err(), Error::EntryOutOfBounds(0));
        let mut b = good.clone();
        b[24 + 2] = 0xff; // junk after the name's NUL
        assert_eq!(Archive::parse(&b).unwrap_err(), Error::BadName(0));
        assert!(matches!(
            Archive::parse(&good[..good.len() - 1]),
            Err(Error::BadTotalLength(_))
        ));
        assert_eq!(Archive::parse(&good[..10]).unwrap_err(), Error::Truncated);
        assert_eq!(Archive::parse(b"NOTANINITRD").unwrap_err(), Error::BadMagic);
    }

    #[test]
    fn no_truncation_or_bit_flip_panics() {
        let good = build(&[("a", b"12345"), ("bb", b"678"), ("c", &[7; 40])]).unwrap();
        for n in 0..good.len() {
            let _ = Archive::parse(&good[..n]);
        }
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                if let Ok(ar) = Archive::parse(&b) {
                    for j in 0..ar.len() {
                        let _ = ar.entry(j);
                    }
                }
            }
        }
    }
}
