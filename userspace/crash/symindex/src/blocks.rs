//! Delta-encoded blocks: how the index stores its two address-sorted tables (scopes and
//! lines) so that a lookup binary-searches a packed block directory read in place and
//! then decodes exactly one block.
//!
//! A table is two byte strings. The directory holds one 12-byte record per block:
//! `first_addr: u64 LE`, `offset: u32 LE` (into the data string; a block ends where the
//! next begins). The data string holds the blocks back to back. Every entry in a block
//! starts with `varint(addr - previous_addr)`; the first entry's previous address is the
//! block's `first_addr`, so its delta is 0, and later deltas are never 0. Varints are
//! unsigned LEB128 of at most 10 bytes.
//!
//! Scope entries follow the delta with `varint(node + 1)` (0: no scope from here on).
//! Line entries follow it with `varint(zigzag(line - previous_line) << 2 | kind)`, where
//! `previous_line` starts at 0 in each block and `kind` is 0 (same file as the previous
//! entry), 1 (a new file id follows as a varint) or 2 (no line information from here on;
//! the line delta is then 0 and the file is forgotten).

use crate::raw::{DirRecord, DIR_RECORD};
use crate::Error;
use alloc::vec::Vec;
use zerocopy::{FromBytes, IntoBytes};

/// Entries per block: small enough that one block decodes in well under a microsecond.
pub(crate) const ENTRIES_PER_BLOCK: usize = 32;

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A cursor over one block's bytes.
struct BlockCursor<'a> {
    buf: &'a [u8],
    pos: usize,
    table: &'static str,
    block: usize,
}

impl BlockCursor<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn bad(&self, why: &'static str) -> Error {
        Error::BadBlock {
            table: self.table,
            block: self.block,
            why,
        }
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| self.bad("entry runs past the block"))?;
            self.pos += 1;
            let bits = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(self.bad("varint overflows 64 bits"));
            }
            v |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.bad("varint longer than 10 bytes"))
    }

    fn u32(&mut self, why: &'static str) -> Result<u32, Error> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| self.bad(why))
    }
}

/// A block table read in place.
#[derive(Clone, Copy)]
pub(crate) struct BlockTable<'a> {
    dir: &'a [DirRecord],
    data: &'a [u8],
    table: &'static str,
}

impl<'a> BlockTable<'a> {
    pub(crate) fn new(dir: &'a [u8], data: &'a [u8], table: &'static str) -> Result<Self, Error> {
        let dir = <[DirRecord]>::ref_from_bytes(dir).map_err(|_| Error::BadTable {
            table,
            why: "directory is not a whole number of records",
        })?;
        if dir.first().is_some_and(|r| r.offset.get() != 0) {
            return Err(Error::BadTable {
                table,
                why: "first block does not start at offset 0",
            });
        }
        Ok(BlockTable { dir, data, table })
    }

    pub(crate) fn blocks(&self) -> usize {
        self.dir.len()
    }

    fn first_addr(&self, i: usize) -> u64 {
        self.dir.get(i).map_or(u64::MAX, |r| r.first_addr.get())
    }

    /// The block whose range holds `addr`: its number, first address and bytes.
    fn block_for(&self, addr: u64) -> Result<Option<BlockCursor<'a>>, Error> {
        let n = self.blocks();
        // Number of blocks whose first address is <= addr.
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.first_addr(mid) <= addr {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == 0 {
            return Ok(None);
        }
        let i = lo - 1;
        let bad = |why| Error::BadBlock {
            table: self.table,
            block: i,
            why,
        };
        let start = self
            .dir
            .get(i)
            .ok_or(bad("directory record cut"))?
            .offset
            .get();
        let end = match self.dir.get(i + 1) {
            Some(next) => next.offset.get(),
            None => u32::try_from(self.data.len()).map_err(|_| bad("data larger than 4 GiB"))?,
        };
        let buf = self
            .data
            .get(start as usize..end as usize)
            .ok_or(bad("offsets outside the data or decreasing"))?;
        Ok(Some(BlockCursor {
            buf,
            pos: 0,
            table: self.table,
            block: i,
        }))
    }

    /// A walk over the block that holds `addr`, if any block does.
    fn walk(&self, addr: u64) -> Result<Option<Walk<'a>>, Error> {
        Ok(self.block_for(addr)?.map(|c| {
            let cur = self.first_addr(c.block);
            Walk {
                c,
                cur,
                first: true,
            }
        }))
    }

    /// Scope table: the value of the last entry at or below `addr` (`node + 1`, 0 = none).
    pub(crate) fn scope_at(&self, addr: u64) -> Result<u32, Error> {
        let Some(mut w) = self.walk(addr)? else {
            return Ok(0);
        };
        let mut value = 0u32;
        while w.next_at_or_below(addr)? {
            value = w.c.u32("node id above 32 bits")?;
        }
        w.finish()?;
        Ok(value)
    }

    /// Line table: `(file id, line)` of the last entry at or below `addr`, if it has one.
    pub(crate) fn line_at(&self, addr: u64) -> Result<Option<(u32, u32)>, Error> {
        let Some(mut w) = self.walk(addr)? else {
            return Ok(None);
        };
        let mut line: i64 = 0;
        let mut file: Option<u32> = None;
        let mut value = None;
        while w.next_at_or_below(addr)? {
            let c = &mut w.c;
            let word = c.varint()?;
            let z = word >> 2;
            let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
            match word & 3 {
                0 => {}
                1 => file = Some(c.u32("file id above 32 bits")?),
                2 => {
                    if d != 0 {
                        return Err(c.bad("end entry with a line delta"));
                    }
                    file = None;
                    value = None;
                    continue;
                }
                _ => return Err(c.bad("unknown line entry kind")),
            }
            line = line.checked_add(d).ok_or_else(|| c.bad("line overflows"))?;
            let f = file.ok_or_else(|| c.bad("line entry before any file"))?;
            let l = u32::try_from(line).map_err(|_| c.bad("line outside 0..2^32"))?;
            value = Some((f, l));
        }
        w.finish()?;
        Ok(value)
    }
}

/// Decoding one block's entries in address order.
struct Walk<'a> {
    c: BlockCursor<'a>,
    cur: u64,
    first: bool,
}

impl Walk<'_> {
    /// Reads the next entry's address delta; true if that entry is at or below `addr`
    /// (its value is next in the cursor), false at the block's end or past `addr`.
    fn next_at_or_below(&mut self, addr: u64) -> Result<bool, Error> {
        if self.c.at_end() {
            return Ok(false);
        }
        let delta = self.c.varint()?;
        if self.first != (delta == 0) {
            return Err(self.c.bad("address deltas must be 0 first, then positive"));
        }
        self.first = false;
        self.cur = self
            .cur
            .checked_add(delta)
            .ok_or_else(|| self.c.bad("address overflows"))?;
        Ok(self.cur <= addr)
    }

    /// A block must hold at least one entry.
    fn finish(&self) -> Result<(), Error> {
        if self.first {
            Err(self.c.bad("empty block"))
        } else {
            Ok(())
        }
    }
}

/// Splits `addrs` (strictly increasing) into blocks, calling `entry` for each entry with
/// its block-relative state reset at every block start; returns `(directory, data)`.
fn encode<T>(
    entries: &[(u64, T)],
    mut entry: impl FnMut(&mut Vec<u8>, &T, bool),
) -> (Vec<u8>, Vec<u8>) {
    let mut dir = Vec::with_capacity(entries.len().div_ceil(ENTRIES_PER_BLOCK) * DIR_RECORD);
    let mut data = Vec::new();
    for chunk in entries.chunks(ENTRIES_PER_BLOCK) {
        let first = chunk.first().map_or(0, |e| e.0);
        let record = DirRecord {
            first_addr: first.into(),
            offset: (data.len() as u32).into(),
        };
        dir.extend_from_slice(record.as_bytes());
        let mut prev = first;
        for (i, (addr, v)) in chunk.iter().enumerate() {
            put_varint(&mut data, addr - prev);
            prev = *addr;
            entry(&mut data, v, i == 0);
        }
    }
    (dir, data)
}

/// Encodes a scope table from `(addr, node + 1)` breakpoints, strictly increasing.
pub(crate) fn encode_scopes(entries: &[(u64, u32)]) -> (Vec<u8>, Vec<u8>) {
    encode(entries, |out, v, _| put_varint(out, u64::from(*v)))
}

/// Encodes a line table from `(addr, Some((file, line)) | None)` breakpoints.
pub(crate) fn encode_lines(entries: &[(u64, Option<(u32, u32)>)]) -> (Vec<u8>, Vec<u8>) {
    let mut prev_line: i64 = 0;
    let mut prev_file: Option<u32> = None;
    encode(entries, |out, v, block_start| {
        if block_start {
            prev_line = 0;
            prev_file = None;
        }
        match v {
            None => {
                put_varint(out, 2);
                prev_file = None;
            }
            Some((file, line)) => {
                let d = i64::from(*line) - prev_line;
                let z = ((d << 1) ^ (d >> 63)) as u64;
                prev_line = i64::from(*line);
                if prev_file == Some(*file) {
                    put_varint(out, z << 2);
                } else {
                    put_varint(out, (z << 2) | 1);
                    put_varint(out, u64::from(*file));
                    prev_file = Some(*file);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lookup_finds_the_last_breakpoint_at_or_below() {
        let entries: Vec<(u64, u32)> = (0..100u64)
            .map(|i| (0x1000 + i * 16, (i % 7) as u32))
            .collect();
        let (dir, data) = encode_scopes(&entries);
        let t = BlockTable::new(&dir, &data, "scopes").unwrap();
        assert_eq!(t.scope_at(0xfff).unwrap(), 0);
        for (i, (a, v)) in entries.iter().enumerate() {
            assert_eq!(t.scope_at(*a).unwrap(), *v, "entry {i}");
            assert_eq!(t.scope_at(a + 15).unwrap(), *v, "entry {i} end");
        }
    }

    #[test]
    fn line_lookup_tracks_files_lines_and_gaps_across_blocks() {
        let mut entries = Vec::new();
        for i in 0..200u64 {
            let v = if i % 11 == 10 {
                None
            } else {
                Some(((i / 5) as u32, (1000 - i * 3) as u32))
            };
            entries.push((0x8000_0000 + i * 4, v));
        }
        let (dir, data) = encode_lines(&entries);
        let t = BlockTable::new(&dir, &data, "lines").unwrap();
        for (a, v) in &entries {
            assert_eq!(t.line_at(*a).unwrap(), *v);
            assert_eq!(t.line_at(a + 3).unwrap(), *v);
        }
        assert_eq!(t.line_at(0).unwrap(), None);
    }

    #[test]
    fn rejects_blocks_with_offsets_outside_the_data() {
        let (mut dir, data) = encode_scopes(&[(1, 1), (2, 2)]);
        dir.extend_from_slice(&5u64.to_le_bytes());
        dir.extend_from_slice(&999u32.to_le_bytes());
        let t = BlockTable::new(&dir, &data, "scopes").unwrap();
        assert!(matches!(t.scope_at(1), Err(Error::BadBlock { .. })));
        assert!(matches!(t.scope_at(6), Err(Error::BadBlock { .. })));
    }

    #[test]
    fn rejects_ragged_directories() {
        assert!(matches!(
            BlockTable::new(&[0; 13], &[], "lines"),
            Err(Error::BadTable { table: "lines", .. })
        ));
    }
}
