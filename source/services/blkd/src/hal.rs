//! virtio-drivers' `Hal` on the kernel's device grant (docs/architecture/kernel.md,
//! Devices): DMA memory is `dma_alloc`, a device window is `mmio_map`, and a buffer the
//! driver shares with the device goes through a bounce region of DMA memory, since the
//! kernel translates no other user memory for a device.
//!
//! The bounce region is one allocation of [`BOUNCE_PAGES`], made once before the device
//! is set up. blkd makes one request at a time and virtio-drivers unshares every buffer
//! of a request before it returns, so sharing is a bump allocator that starts over when
//! the last shared buffer is unshared. A request that does not fit (blkd never makes
//! one: it moves at most 34 sectors at once) is a driver bug: it panics, which ends blkd
//! and never the kernel.
//!
//! `dma_dealloc` frees nothing: the kernel has no call for it, so pages stay the
//! driver's until it ends (virtio-drivers allocates its queue once, at setup).

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use nexus_rt::abi::layout::PAGE_SIZE;
use nexus_rt::abi::SysError;
use nexus_rt::sys;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// Pages of the bounce region (32 KiB: the 34-sector GPT read, the request header and
/// status beside it).
pub const BOUNCE_PAGES: usize = 8;
const BOUNCE_BYTES: usize = BOUNCE_PAGES * PAGE_SIZE;
/// Alignment of each shared buffer in the bounce region.
const ALIGN: usize = 16;

/// The bounce region (pa, va), what of it is in use, and how many buffers are shared.
static BOUNCE_PA: AtomicU64 = AtomicU64::new(0);
static BOUNCE_VA: AtomicUsize = AtomicUsize::new(0);
static BOUNCE_USED: AtomicUsize = AtomicUsize::new(0);
static BOUNCE_LIVE: AtomicUsize = AtomicUsize::new(0);

/// Allocates the bounce region; call once, before the device is set up.
pub fn init() -> Result<(), SysError> {
    let region = sys::dma_alloc(BOUNCE_PAGES)?;
    BOUNCE_PA.store(region.pa, Ordering::Relaxed);
    BOUNCE_VA.store(region.va as usize, Ordering::Relaxed);
    Ok(())
}

/// The `Hal` of a program holding a device grant.
pub struct GrantHal;

// SAFETY: `dma_alloc` returns the kernel's zeroed, physically contiguous, page-aligned
// pages mapped only in this process and never handed out twice (nor freed before the
// process ends); `mmio_phys_to_virt` returns the kernel's mapping of a window granted to
// this process alone; `share` hands the device an address inside the bounce region that
// no other shared buffer overlaps while it is shared.
unsafe impl Hal for GrantHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        match sys::dma_alloc(pages) {
            Ok(r) => match NonNull::new(r.va as usize as *mut u8) {
                Some(va) => (r.pa, va),
                None => (0, NonNull::dangling()),
            },
            // virtio-drivers reads a physical address of 0 as a failed allocation.
            Err(_) => (0, NonNull::dangling()),
        }
    }

    unsafe fn dma_dealloc(_paddr: PhysAddr, _vaddr: NonNull<u8>, _pages: usize) -> i32 {
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        // Only the PCI transport asks (for its BARs); blkd's transport is virtio-mmio.
        match sys::mmio_map(paddr as usize, size) {
            Ok(va) => match NonNull::new(va as *mut u8) {
                Some(p) => p,
                None => panic!("mmio_map of {paddr:#x} gave a null address"),
            },
            Err(e) => panic!("mmio_map of {paddr:#x} ({size} bytes): {e}"),
        }
    }

    unsafe fn share(buffer: NonNull<[u8]>, direction: BufferDirection) -> PhysAddr {
        let len = buffer.len();
        let va = BOUNCE_VA.load(Ordering::Relaxed);
        let offset = BOUNCE_USED.load(Ordering::Relaxed).next_multiple_of(ALIGN);
        if va == 0 || len > BOUNCE_BYTES.saturating_sub(offset) {
            panic!("bounce region full: {len} bytes at offset {offset} of {BOUNCE_BYTES}");
        }
        BOUNCE_USED.store(offset + len, Ordering::Relaxed);
        BOUNCE_LIVE.fetch_add(1, Ordering::Relaxed);
        let bounce = (va + offset) as *mut u8;
        if direction == BufferDirection::DeviceToDriver {
            // SAFETY: `[bounce, bounce + len)` lies inside the bounce region (checked
            // above), mapped writable for this process and shared with no other buffer.
            unsafe { core::ptr::write_bytes(bounce, 0, len) };
        } else {
            // SAFETY: the caller's buffer is valid for `len` bytes (Hal's contract); the
            // bounce range is as above and cannot overlap it (it is DMA memory).
            unsafe { core::ptr::copy_nonoverlapping(buffer.as_ptr() as *const u8, bounce, len) };
        }
        BOUNCE_PA.load(Ordering::Relaxed) + offset as u64
    }

    unsafe fn unshare(paddr: PhysAddr, buffer: NonNull<[u8]>, direction: BufferDirection) {
        let len = buffer.len();
        let offset = (paddr - BOUNCE_PA.load(Ordering::Relaxed)) as usize;
        if direction != BufferDirection::DriverToDevice {
            let bounce = (BOUNCE_VA.load(Ordering::Relaxed) + offset) as *const u8;
            // SAFETY: `paddr` came from `share` of this buffer (Hal's contract), so
            // `[bounce, bounce + len)` is its range of the bounce region; the caller's
            // buffer is valid for writes of `len` bytes.
            unsafe { core::ptr::copy_nonoverlapping(bounce, buffer.as_ptr() as *mut u8, len) };
        }
        if BOUNCE_LIVE.fetch_sub(1, Ordering::Relaxed) == 1 {
            BOUNCE_USED.store(0, Ordering::Relaxed);
        }
    }
}
