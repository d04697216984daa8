//! Physical frames: free RAM after the kernel image, minus the initrd and device tree.
//!
//! A bump pointer over up to four free ranges plus a free list of returned frames.
//! Every frame handed out is zeroed.

use alloc::vec::Vec;
use kernel_core::frames::FreeRanges;
use kernel_core::sv39::PAGE;

/// The frame allocator.
pub struct FrameAllocator {
    ranges: Vec<(u64, u64)>,
    free: Vec<u64>,
    in_use: usize,
}

impl FrameAllocator {
    /// Free RAM `[start, end)` minus the `holes` (each rounded out to whole pages).
    pub fn new(start: u64, end: u64, holes: &[(u64, u64)]) -> FrameAllocator {
        let free = FreeRanges::new(start, end, holes);
        FrameAllocator {
            ranges: free.ranges().to_vec(),
            free: Vec::new(),
            in_use: 0,
        }
    }

    /// A zeroed frame, or `None` when RAM is exhausted.
    pub fn alloc(&mut self) -> Option<u64> {
        let pa = match self.free.pop() {
            Some(pa) => pa,
            None => {
                let range = self.ranges.iter_mut().find(|(a, b)| a < b)?;
                let pa = range.0;
                range.0 += PAGE;
                pa
            }
        };
        // SAFETY: `pa` is a page of free RAM (never the kernel image, initrd, device tree
        // or a frame in use), identity-mapped for the kernel; nothing else references it.
        unsafe { core::ptr::write_bytes(pa as *mut u8, 0, PAGE as usize) };
        self.in_use += 1;
        Some(pa)
    }

    /// `n` zeroed frames at consecutive physical addresses (DMA memory); returns the
    /// first. Taken from the never-used part of RAM, since the free list is not ordered;
    /// `None` when no range has `n` pages left. Each frame is returned on its own.
    pub fn alloc_contiguous(&mut self, n: usize) -> Option<u64> {
        let bytes = (n as u64).checked_mul(PAGE).filter(|b| *b > 0)?;
        let range = self.ranges.iter_mut().find(|(a, b)| b - a >= bytes)?;
        let pa = range.0;
        range.0 += bytes;
        // SAFETY: `[pa, pa + bytes)` is free RAM never handed out before (the bump part
        // of one range), identity-mapped for the kernel; nothing else references it.
        unsafe { core::ptr::write_bytes(pa as *mut u8, 0, bytes as usize) };
        self.in_use += n;
        Some(pa)
    }

    /// Returns a frame.
    pub fn release(&mut self, pa: u64) {
        self.in_use = self.in_use.saturating_sub(1);
        self.free.push(pa);
    }

    /// Frames currently handed out.
    pub fn in_use(&self) -> usize {
        self.in_use
    }
}
