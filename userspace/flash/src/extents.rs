//! Written extents of a range: sorted, disjoint, merged half-open intervals, bounded in
//! number. When the bound is reached the smallest extent is forgotten, which is always
//! safe: forgetting data only makes the host send it again.

use alloc::vec::Vec;

use crate::proto::Reader;
use crate::FrameError;

/// Most extents kept per range.
pub const MAX_EXTENTS: usize = 256;

/// Half-open intervals `[start, end)` of a range that are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extents {
    list: Vec<(u64, u64)>,
}

impl Extents {
    /// No extent.
    pub fn new() -> Extents {
        Extents::default()
    }

    /// The intervals, sorted.
    pub fn intervals(&self) -> &[(u64, u64)] {
        &self.list
    }

    /// Adds `[start, end)`, merging with neighbours.
    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut s, mut e) = (start, end);
        let mut out = Vec::with_capacity(self.list.len() + 1);
        let mut placed = false;
        for &(a, b) in &self.list {
            if b < s {
                out.push((a, b));
            } else if a > e {
                if !placed {
                    out.push((s, e));
                    placed = true;
                }
                out.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        if !placed {
            out.push((s, e));
        }
        self.list = out;
        while self.list.len() > MAX_EXTENTS {
            let smallest = self
                .list
                .iter()
                .enumerate()
                .min_by_key(|(_, (a, b))| b - a)
                .map(|(i, _)| i)
                .unwrap_or(0);
            self.list.remove(smallest);
        }
    }

    /// Bytes covered.
    pub fn covered(&self) -> u64 {
        self.list.iter().map(|(a, b)| b - a).sum()
    }

    /// Whether `[0, len)` is entirely covered.
    pub fn is_complete(&self, len: u64) -> bool {
        len == 0 || self.list.first().is_some_and(|&(a, b)| a == 0 && b >= len)
    }

    /// The parts of `[0, len)` not covered, in order.
    pub fn missing(&self, len: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut at = 0u64;
        for &(a, b) in &self.list {
            if a >= len {
                break;
            }
            if a > at {
                out.push((at, a));
            }
            at = at.max(b);
        }
        if at < len {
            out.push((at, len));
        }
        out
    }

    /// Appends `count u16 | count × (start u64, end u64)`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.list.len() as u16).to_le_bytes());
        for (a, b) in &self.list {
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
    }

    pub(crate) fn decode_from(r: &mut Reader<'_>) -> Result<Extents, FrameError> {
        let n = usize::from(r.u16("extent count")?);
        if n > MAX_EXTENTS {
            return Err(FrameError {
                command: "extents",
                field: "extent count",
            });
        }
        let mut ext = Extents::new();
        for _ in 0..n {
            let a = r.u64("extent start")?;
            let b = r.u64("extent end")?;
            ext.insert(a, b);
        }
        Ok(ext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_reports_missing_parts() {
        let mut e = Extents::new();
        e.insert(10, 20);
        e.insert(30, 40);
        e.insert(20, 30);
        assert_eq!(e.intervals(), &[(10, 40)]);
        e.insert(0, 5);
        assert_eq!(e.missing(50), [(5, 10), (40, 50)]);
        assert!(!e.is_complete(50));
        e.insert(0, 50);
        assert!(e.is_complete(50));
        assert_eq!(e.covered(), 50);
    }

    #[test]
    fn stays_bounded_by_forgetting_the_smallest() {
        let mut e = Extents::new();
        for i in 0..(MAX_EXTENTS as u64 + 10) {
            e.insert(i * 10, i * 10 + 1 + (i % 3));
        }
        assert_eq!(e.intervals().len(), MAX_EXTENTS);
    }
}
