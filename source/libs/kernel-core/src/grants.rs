//! Device grants and DMA bookkeeping: which device windows a driver may map, where they
//! appear in its space, and where its DMA regions go.
//!
//! The kernel finds the virtio-mmio windows in the device tree ([`Window`]); the boot
//! manifest grants a program device kinds (a kind repeated is granted again), and
//! [`assign`] gives each grant one window, never the same window to two grants;
//! [`assign_all`] does it for every program of the manifest, in manifest order. A request to map `[pa, pa + len)` is checked
//! by [`check_mmio`] against the caller's grants: inside a granted window it maps that
//! whole window (and only it) at the grant's slot of `abi::layout::MMIO_BASE`; inside a
//! window of another program it is `Denied`; anywhere else `BadAddress`; a length of 0,
//! or one running past the window's end, `BadLength`. [`DmaBook`] hands out a driver's
//! DMA virtual range, within `abi::layout::DMA_MAX`.

use crate::sv39::PAGE;
use abi::layout::{DMA_BASE, DMA_MAX, MAX_GRANTS, MMIO_BASE, MMIO_SLOT};
use abi::SysError;
use alloc::vec::Vec;

/// A device's MMIO window, found at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Physical address of the window (page-aligned).
    pub pa: u64,
    /// Length in bytes.
    pub len: u64,
    /// The virtio device id read from it at boot (0: no device in that slot).
    pub device_id: u32,
    /// Its PLIC interrupt line.
    pub irq: u32,
}

impl Window {
    /// Whether `pa` lies inside the window.
    pub fn holds(&self, pa: u64) -> bool {
        pa >= self.pa && pa - self.pa < self.len
    }
}

/// Where a checked `mmio_map` goes: the whole granted window, page by page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmioPlan {
    /// Physical address of the window's first page.
    pub window_pa: u64,
    /// Virtual address the window's first page is mapped at.
    pub window_va: usize,
    /// Pages the window spans.
    pub pages: usize,
    /// Virtual address of the `pa` asked for.
    pub va: usize,
}

/// Checks a request to map `[pa, pa + len)` for a program holding `granted` (indices into
/// `windows`, in grant order).
pub fn check_mmio(
    windows: &[Window],
    granted: &[usize],
    pa: usize,
    len: usize,
) -> Result<MmioPlan, SysError> {
    if len == 0 {
        return Err(SysError::BadLength);
    }
    let pa = pa as u64;
    let held = granted
        .iter()
        .enumerate()
        .find_map(|(slot, &w)| windows.get(w).filter(|w| w.holds(pa)).map(|w| (slot, w)));
    let Some((slot, w)) = held else {
        return Err(if windows.iter().any(|w| w.holds(pa)) {
            SysError::Denied
        } else {
            SysError::BadAddress
        });
    };
    let offset = pa - w.pa;
    if len as u64 > w.len - offset {
        return Err(SysError::BadLength);
    }
    let pages = w.len.div_ceil(PAGE) as usize;
    if slot >= MAX_GRANTS || pages * PAGE as usize > MMIO_SLOT {
        return Err(SysError::BadAddress);
    }
    let window_va = MMIO_BASE + slot * MMIO_SLOT;
    Ok(MmioPlan {
        window_pa: w.pa,
        window_va,
        pages,
        va: window_va + offset as usize,
    })
}

/// The window a grant of virtio device `kind` gets: the first one holding such a device
/// that no earlier grant took (`taken`, indices into `windows`).
pub fn assign(windows: &[Window], kind: u32, taken: &[usize]) -> Option<usize> {
    windows
        .iter()
        .enumerate()
        .find(|(i, w)| w.device_id == kind && kind != 0 && !taken.contains(i))
        .map(|(i, _)| i)
}

/// The windows of every program's grants: `programs` yields, per program in manifest
/// order, its granted virtio device ids in grant order. Each grant takes the first
/// window of its kind that no earlier grant took; a grant with no window left gets none
/// (its program then learns of one device fewer from `device_info`).
pub fn assign_all<P, K>(windows: &[Window], programs: P) -> Vec<Vec<usize>>
where
    P: IntoIterator<Item = K>,
    K: IntoIterator<Item = u32>,
{
    let mut taken = Vec::new();
    programs
        .into_iter()
        .map(|kinds| {
            let mut mine = Vec::new();
            for kind in kinds {
                if let Some(w) = assign(windows, kind, &taken) {
                    taken.push(w);
                    mine.push(w);
                }
            }
            mine
        })
        .collect()
}

/// A driver's DMA virtual range: regions follow each other from `DMA_BASE`, up to
/// `DMA_MAX` bytes in all; they live until the driver ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DmaBook {
    used: usize,
}

impl DmaBook {
    /// Reserves `pages` pages; returns the region's virtual address, or `NoMemory` past
    /// the limit (nothing reserved then).
    pub fn reserve(&mut self, pages: usize) -> Result<usize, SysError> {
        let bytes = pages
            .checked_mul(PAGE as usize)
            .filter(|b| *b > 0)
            .ok_or(SysError::BadLength)?;
        if bytes > DMA_MAX - self.used {
            return Err(SysError::NoMemory);
        }
        let va = DMA_BASE + self.used;
        self.used += bytes;
        Ok(va)
    }

    /// Gives back the most recent reservation of `pages` (the kernel could not back it).
    pub fn unreserve(&mut self, pages: usize) {
        self.used = self
            .used
            .saturating_sub(pages.saturating_mul(PAGE as usize));
    }

    /// Bytes reserved so far.
    pub fn used(&self) -> usize {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const SLOTS: [Window; 3] = [
        Window {
            pa: 0x1000_1000,
            len: 0x1000,
            device_id: 0,
            irq: 1,
        },
        Window {
            pa: 0x1000_2000,
            len: 0x1000,
            device_id: 2,
            irq: 2,
        },
        Window {
            pa: 0x1000_3000,
            len: 0x1000,
            device_id: 2,
            irq: 3,
        },
    ];

    #[test]
    fn granted_window_is_mapped_whole_at_the_grant_slot() {
        let plan = check_mmio(&SLOTS, &[2], 0x1000_3008, 4).unwrap();
        assert_eq!(
            plan,
            MmioPlan {
                window_pa: 0x1000_3000,
                window_va: MMIO_BASE,
                pages: 1,
                va: MMIO_BASE + 8,
            }
        );
        let second = check_mmio(&SLOTS, &[1, 2], 0x1000_3000, 0x1000).unwrap();
        assert_eq!(second.window_va, MMIO_BASE + MMIO_SLOT);
    }

    #[test]
    fn another_programs_window_is_denied() {
        assert_eq!(
            check_mmio(&SLOTS, &[2], 0x1000_2000, 4),
            Err(SysError::Denied)
        );
        assert_eq!(
            check_mmio(&SLOTS, &[], 0x1000_3000, 4),
            Err(SysError::Denied)
        );
    }

    #[test]
    fn address_outside_every_window_is_bad_address() {
        for pa in [0, 0x1000_0000, 0x1000_4000, 0x8020_0000, usize::MAX] {
            assert_eq!(check_mmio(&SLOTS, &[2], pa, 4), Err(SysError::BadAddress));
        }
    }

    #[test]
    fn zero_or_overlong_length_is_bad_length() {
        assert_eq!(
            check_mmio(&SLOTS, &[2], 0x1000_3000, 0),
            Err(SysError::BadLength)
        );
        assert_eq!(
            check_mmio(&SLOTS, &[2], 0x1000_3ffc, 8),
            Err(SysError::BadLength)
        );
        assert_eq!(
            check_mmio(&SLOTS, &[2], 0x1000_3000, usize::MAX),
            Err(SysError::BadLength)
        );
        assert!(check_mmio(&SLOTS, &[2], 0x1000_3ffc, 4).is_ok());
    }

    #[test]
    fn each_window_goes_to_one_grant_only() {
        assert_eq!(assign(&SLOTS, 2, &[]), Some(1));
        assert_eq!(assign(&SLOTS, 2, &[1]), Some(2));
        assert_eq!(assign(&SLOTS, 2, &[1, 2]), None);
        assert_eq!(assign(&SLOTS, 0, &[]), None, "an empty slot is no device");
        assert_eq!(assign(&SLOTS, 1, &[]), None);
    }

    #[test]
    fn repeated_grants_of_a_kind_take_the_next_free_windows() {
        // Slot 0 empty, 1 and 2 block devices, 3 an rng.
        let mut slots = SLOTS.to_vec();
        slots.push(Window {
            pa: 0x1000_4000,
            len: 0x1000,
            device_id: 4,
            irq: 4,
        });
        // init nothing; blkd two disks; a second rng user the one rng; a third disk
        // grant finds no disk left.
        let got = assign_all(&slots, [vec![], vec![2, 2], vec![4], vec![2]]);
        assert_eq!(got, [vec![], vec![1, 2], vec![3], vec![]]);
        // A program's grants are in its flag order, each a window of the kind asked.
        let got = assign_all(&slots, [vec![4, 2, 2]]);
        assert_eq!(got, [vec![3, 1, 2]]);
        // Each window at most once across programs.
        let got = assign_all(&slots, [vec![2], vec![2], vec![2]]);
        assert_eq!(got, [vec![1], vec![2], vec![]]);
    }

    #[test]
    fn dma_regions_follow_each_other_up_to_the_limit() {
        let mut book = DmaBook::default();
        assert_eq!(book.reserve(1), Ok(DMA_BASE));
        assert_eq!(book.reserve(2), Ok(DMA_BASE + 4096));
        let left = (DMA_MAX - book.used()) / 4096;
        assert_eq!(book.reserve(left + 1), Err(SysError::NoMemory));
        assert_eq!(book.reserve(left), Ok(DMA_BASE + 3 * 4096));
        assert_eq!(book.reserve(1), Err(SysError::NoMemory));
        book.unreserve(left);
        assert_eq!(book.reserve(1), Ok(DMA_BASE + 3 * 4096));
        assert_eq!(book.reserve(0), Err(SysError::BadLength));
        assert_eq!(book.reserve(usize::MAX), Err(SysError::BadLength));
    }
}
