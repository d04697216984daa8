//! Free physical memory at boot: RAM after the kernel image, minus holes (the initrd and
//! the device tree), as page-aligned ranges for the frame allocator.

use crate::sv39::PAGE;

/// Most free ranges the computation keeps (each hole splits at most one range in two).
pub const MAX_RANGES: usize = 8;

/// Free ranges, ascending and non-empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeRanges {
    ranges: [(u64, u64); MAX_RANGES],
    count: usize,
}

impl FreeRanges {
    /// `[start, end)` rounded inwards to whole pages, minus every hole rounded outwards
    /// to whole pages. Pieces beyond [`MAX_RANGES`] are dropped, highest first, rather
    /// than overflow: memory may be lost, never handed out twice.
    pub fn new(start: u64, end: u64, holes: &[(u64, u64)]) -> FreeRanges {
        let mut out = FreeRanges {
            ranges: [(0, 0); MAX_RANGES],
            count: 0,
        };
        let first = (start.next_multiple_of(PAGE), end & !(PAGE - 1));
        if first.0 < first.1 {
            out.ranges[0] = first;
            out.count = 1;
        }
        for &(h0, h1) in holes {
            let (h0, h1) = (h0 & !(PAGE - 1), h1.saturating_add(PAGE - 1) & !(PAGE - 1));
            let mut next = [(0u64, 0u64); MAX_RANGES];
            let mut n = 0;
            for &(r0, r1) in out.ranges() {
                let pieces = if h1 <= r0 || h0 >= r1 {
                    [(r0, r1), (0, 0)]
                } else {
                    [(r0, h0.max(r0)), (h1.min(r1), r1)]
                };
                for (a, b) in pieces {
                    if a < b && n < MAX_RANGES {
                        next[n] = (a, b);
                        n += 1;
                    }
                }
            }
            out.ranges = next;
            out.count = n;
        }
        out
    }

    /// The ranges.
    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges[..self.count]
    }

    /// Total free bytes.
    pub fn total(&self) -> u64 {
        self.ranges().iter().map(|(a, b)| b - a).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn punches_initrd_and_device_tree_out_of_ram() {
        let ram = (0x8060_0123, 0x8800_0000);
        let initrd = (0x8400_0000, 0x8494_1234);
        let dtb = (0x87e0_0000, 0x87e0_1f00);
        let f = FreeRanges::new(ram.0, ram.1, &[initrd, dtb]);
        assert_eq!(
            f.ranges(),
            &[
                (0x8060_1000, 0x8400_0000),
                (0x8494_2000, 0x87e0_0000),
                (0x87e0_2000, 0x8800_0000)
            ]
        );
        for (a, b) in f.ranges() {
            assert!(a % PAGE == 0 && b % PAGE == 0 && a < b);
            for h in [initrd, dtb] {
                assert!(*b <= h.0 || *a >= h.1, "range overlaps a hole");
            }
        }
    }

    #[test]
    fn holes_outside_touching_or_covering_everything() {
        let f = FreeRanges::new(
            0x8000_0000,
            0x8000_0000 + 8 * MIB,
            &[(0x9000_0000, 0x9100_0000)],
        );
        assert_eq!(f.total(), 8 * MIB);
        let f = FreeRanges::new(
            0x8000_0000,
            0x8000_0000 + 8 * MIB,
            &[(0x8000_0000, 0x8000_1000)],
        );
        assert_eq!(f.ranges(), &[(0x8000_1000, 0x8080_0000)]);
        let f = FreeRanges::new(0x8000_0000, 0x8080_0000, &[(0x7000_0000, 0x9000_0000)]);
        assert!(f.ranges().is_empty());
        let f = FreeRanges::new(0x8000_0000, 0x8000_0800, &[]);
        assert!(f.ranges().is_empty(), "less than a page is nothing");
        let f = FreeRanges::new(0x8000_0000, 0x8080_0000, &[(0x8010_0000, u64::MAX)]);
        assert_eq!(f.ranges(), &[(0x8000_0000, 0x8010_0000)]);
    }

    #[test]
    fn many_holes_never_overflow_and_never_free_a_hole() {
        let holes: [(u64, u64); 12] = core::array::from_fn(|i| {
            let at = 0x8000_0000 + (i as u64 + 1) * MIB;
            (at, at + 0x1000)
        });
        let f = FreeRanges::new(0x8000_0000, 0x8000_0000 + 16 * MIB, &holes);
        assert!(f.ranges().len() <= MAX_RANGES);
        for (a, b) in f.ranges() {
            for h in holes {
                assert!(*b <= h.0 || *a >= h.1);
            }
        }
    }
}
