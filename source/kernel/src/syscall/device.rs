//! Device syscalls for user-mode drivers: what they were granted, the MMIO window of a
//! granted device, and DMA memory. Each checks the caller's grants first
//! (`kernel_core::grants`); a refused request is an error for the caller.

use crate::kernel::Kernel;
use crate::mm::space::Access;
use abi::args::{DeviceInfoArgs, DmaAllocArgs, MmioMapArgs};
use abi::layout::PAGE_SIZE;
use abi::{DeviceInfo, DmaRegion, SysError};
use kernel_core::grants;
use kernel_core::sv39::{PTE_R, PTE_U, PTE_W};

/// `device_info(index, info_ptr) -> device id`.
pub fn device_info(k: &mut Kernel, args: DeviceInfoArgs) -> Result<usize, SysError> {
    let id = k.current;
    let window = k
        .task(id)
        .and_then(|t| t.grants.get(args.index).copied())
        .ok_or(SysError::NoDevice)?;
    let w = *k.windows.get(window).ok_or(SysError::NoDevice)?;
    let info = DeviceInfo {
        pa: w.pa,
        len: w.len,
        device_id: w.device_id,
        irq: w.irq,
    };
    let space = k
        .cur()
        .and_then(|t| t.space.as_ref())
        .ok_or(SysError::BadAddress)?;
    space.write_user(&space.check(args.info, Access::Write)?, &info.to_bytes())?;
    Ok(w.device_id as usize)
}

/// `mmio_map(pa, len) -> va`: maps the whole granted window holding the range (once;
/// later calls find it mapped) and returns the virtual address of `pa`.
pub fn mmio_map(k: &mut Kernel, args: MmioMapArgs) -> Result<usize, SysError> {
    let id = k.current;
    let Kernel {
        frames,
        tasks,
        windows,
        ..
    } = k;
    let task = tasks
        .get_mut(id as usize)
        .and_then(|t| t.as_mut())
        .ok_or(SysError::BadAddress)?;
    let plan = grants::check_mmio(windows, &task.grants, args.pa, args.len)?;
    let grant = (plan.window_va - abi::layout::MMIO_BASE) / abi::layout::MMIO_SLOT;
    if task.mapped & (1 << grant) != 0 {
        return Ok(plan.va);
    }
    let space = task.space.as_mut().ok_or(SysError::BadAddress)?;
    for page in 0..plan.pages {
        let va = plan.window_va + page * PAGE_SIZE;
        if !space.is_mapped(va) {
            space.map_device(frames, va, plan.window_pa + (page * PAGE_SIZE) as u64)?;
        }
    }
    task.mapped |= 1 << grant;
    crate::arch::fence_asid(space.asid());
    Ok(plan.va)
}

/// `dma_alloc(pages, region_ptr) -> va` (programs holding a device grant only).
pub fn dma_alloc(k: &mut Kernel, args: DmaAllocArgs) -> Result<usize, SysError> {
    let id = k.current;
    let Kernel { frames, tasks, .. } = k;
    let task = tasks
        .get_mut(id as usize)
        .and_then(|t| t.as_mut())
        .ok_or(SysError::BadAddress)?;
    if task.grants.is_empty() {
        return Err(SysError::Denied);
    }
    let pages = args.pages()?;
    let space = task.space.as_mut().ok_or(SysError::BadAddress)?;
    let out = space.check(args.region, Access::Write)?;
    let va = task.dma.reserve(pages)?;
    let Some(pa) = frames.alloc_contiguous(pages) else {
        task.dma.unreserve(pages);
        return Err(SysError::NoMemory);
    };
    for page in 0..pages {
        let offset = page * PAGE_SIZE;
        let frame = pa + offset as u64;
        if let Err(e) = space.map_owned(frames, va + offset, frame, PTE_U | PTE_R | PTE_W) {
            // The pages not yet handed to the space go back now; those mapped are the
            // space's and return when it ends. The virtual range stays used.
            for rest in page..pages {
                frames.release(pa + (rest * PAGE_SIZE) as u64);
            }
            crate::arch::fence_asid(space.asid());
            return Err(e);
        }
    }
    crate::arch::fence_asid(space.asid());
    let region = DmaRegion { pa, va: va as u64 };
    space.write_user(&out, &region.to_bytes())?;
    Ok(va)
}
