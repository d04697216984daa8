//! The process heap: a linked-list allocator over memory from the `grow` syscall,
//! extended on demand in 64 KiB steps (the heap is contiguous from `HEAP_BASE`).

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use linked_list_allocator::LockedHeap;

const STEP: usize = 64 * 1024;

struct GrowingHeap(LockedHeap);

// SAFETY: allocation and deallocation are delegated to linked_list_allocator's `Heap`
// under its lock; the memory added is fresh, zeroed, mapped user memory from `grow`,
// contiguous with what the heap already holds (only this allocator calls `grow`).
unsafe impl GlobalAlloc for GrowingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.0.lock();
        if let Ok(p) = heap.allocate_first_fit(layout) {
            return p.as_ptr();
        }
        let want = (layout.size() + layout.align() + 64).next_multiple_of(STEP);
        let Ok(old) = crate::sys::grow(want) else {
            return null_mut();
        };
        if heap.size() == 0 {
            // SAFETY: [old, old + want) was just mapped for this process by `grow` and
            // is used by nothing else.
            unsafe { heap.init(old as *mut u8, want) };
        } else {
            // SAFETY: the new pages start exactly at the heap's current top (see above).
            unsafe { heap.extend(want) };
        }
        heap.allocate_first_fit(layout)
            .map_or(null_mut(), |p| p.as_ptr())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            // SAFETY: the caller returns a block this allocator handed out with `layout`.
            unsafe { self.0.lock().deallocate(p, layout) };
        }
    }
}

#[global_allocator]
static HEAP: GrowingHeap = GrowingHeap(LockedHeap::empty());

/// Bytes the heap has taken from the kernel so far (it never gives any back): the
/// process's heap footprint.
pub fn heap_bytes() -> usize {
    HEAP.0.lock().size()
}
