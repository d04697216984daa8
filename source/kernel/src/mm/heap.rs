//! The kernel heap: a fixed 4 MiB region in .bss under a linked-list allocator.
//!
//! It holds the task table, trap frames, queued messages and fault records: bounded by
//! the manifest's 32 programs and the 4 KiB message limit.

use linked_list_allocator::LockedHeap;

const HEAP_SIZE: usize = 4 * 1024 * 1024;

static mut HEAP_SPACE: [u8; HEAP_SIZE] = [0; HEAP_SIZE];

#[global_allocator]
static ALLOCATOR: LockedHeap = LockedHeap::empty();

/// Hands the heap region to the allocator. Called once, first thing at boot.
pub fn init() {
    let start = core::ptr::addr_of_mut!(HEAP_SPACE).cast::<u8>();
    // SAFETY: HEAP_SPACE is a static region used by nothing but the allocator, and
    // `init` runs once on the single boot hart before any allocation.
    unsafe { ALLOCATOR.lock().init(start, HEAP_SIZE) };
}
