//! The user address space (Sv39), the same for every process.
//!
//! Programs link into `[USER_IMAGE_START, HEAP_BASE)`; the heap grows from `HEAP_BASE`
//! by `grow` up to `HEAP_MAX`; the stack occupies the pages below `STACK_TOP`, with an
//! unmapped guard page above and below. Everything outside `[USER_START, USER_END)`
//! belongs to the kernel and is mapped without the U bit.

/// Page size in bytes.
pub const PAGE_SIZE: usize = 4096;
/// First user virtual address (the second 1 GiB of Sv39's lower half).
pub const USER_START: usize = 0x4000_0000;
/// End (exclusive) of user virtual addresses.
pub const USER_END: usize = 0x8000_0000;
/// Lowest address a program's loadable segments may use.
pub const USER_IMAGE_START: usize = 0x4001_0000;
/// Start of the heap; program segments must end at or below it.
pub const HEAP_BASE: usize = 0x6000_0000;
/// Most the heap may grow, in bytes.
pub const HEAP_MAX: usize = 16 * 1024 * 1024;
/// Top (exclusive) of the user stack; the page at `STACK_TOP` stays unmapped.
pub const STACK_TOP: usize = 0x7FFF_F000;
/// Size of the user stack in bytes.
pub const STACK_SIZE: usize = 64 * 1024;
/// Where granted device windows are mapped: the window of the caller's `i`-th grant at
/// `MMIO_BASE + i * MMIO_SLOT`.
pub const MMIO_BASE: usize = 0x7000_0000;
/// Virtual space per granted device window (its window must fit).
pub const MMIO_SLOT: usize = 0x1_0000;
/// Most device grants one program may hold.
pub const MAX_GRANTS: usize = 8;
/// Where DMA regions are mapped, one after the other, as `dma_alloc` hands them out.
pub const DMA_BASE: usize = 0x7100_0000;
/// Most DMA memory one program may hold, in bytes.
pub const DMA_MAX: usize = 1024 * 1024;
/// The Sv39 address the kernel links at (mapped, but not user-accessible).
pub const KERNEL_BASE: usize = 0x8020_0000;

/// Whether `[addr, addr + len)` lies inside the user half without overflow.
pub fn is_user_range(addr: usize, len: usize) -> bool {
    match addr.checked_add(len) {
        Some(end) => addr >= USER_START && end <= USER_END,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ranges_are_checked_without_overflow() {
        assert!(is_user_range(USER_START, 1));
        assert!(is_user_range(USER_END - 1, 1));
        assert!(!is_user_range(USER_END - 1, 2));
        assert!(!is_user_range(USER_START - 1, 1));
        assert!(!is_user_range(KERNEL_BASE, 8));
        assert!(!is_user_range(usize::MAX, 2));
        const { assert!(HEAP_BASE + HEAP_MAX < MMIO_BASE) };
        const { assert!(MMIO_BASE + MAX_GRANTS * MMIO_SLOT <= DMA_BASE) };
        const { assert!(DMA_BASE + DMA_MAX < STACK_TOP - STACK_SIZE) };
    }
}
