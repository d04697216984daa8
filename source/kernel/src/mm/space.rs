//! Sv39 address spaces: the kernel's shared mappings plus one process's pages, and the
//! only way the kernel touches user memory (a checked walk, never a raw user pointer).

use super::frame::FrameAllocator;
use abi::layout::is_user_range;
use abi::SysError;
use alloc::vec::Vec;
use core::cell::Cell;
use kernel_core::sv39::{self, TableMemory, PAGE, PTE_G, PTE_R, PTE_U, PTE_W, PTE_X};

/// Page tables in identity-mapped RAM, read-only (no allocation).
struct PhysTables;

fn entry_ptr(table: u64, index: usize) -> *mut u64 {
    (table + (index % sv39::ENTRIES) as u64 * 8) as *mut u64
}

impl TableMemory for PhysTables {
    fn alloc_table(&mut self) -> Option<u64> {
        None
    }
    fn read(&self, table: u64, index: usize) -> u64 {
        // SAFETY: `table` is a page-table frame this kernel allocated (a root or a table
        // reached from one), identity-mapped; the index is reduced modulo 512.
        unsafe { core::ptr::read_volatile(entry_ptr(table, index)) }
    }
    fn write(&mut self, table: u64, index: usize, entry: u64) {
        // SAFETY: as in `read`; the kernel is the only writer of its page tables.
        unsafe { core::ptr::write_volatile(entry_ptr(table, index), entry) }
    }
}

/// Page tables that allocate new tables from the frame allocator.
struct AllocTables<'a>(&'a mut FrameAllocator);

impl TableMemory for AllocTables<'_> {
    fn alloc_table(&mut self) -> Option<u64> {
        self.0.alloc()
    }
    fn read(&self, table: u64, index: usize) -> u64 {
        PhysTables.read(table, index)
    }
    fn write(&mut self, table: u64, index: usize, entry: u64) {
        PhysTables.write(table, index, entry)
    }
}

/// Entries in a space's translation cache (direct-mapped by virtual page number).
const CACHE_SLOTS: usize = 16;

/// One remembered translation: `key` is the user page's address with bit 0 set (0: empty),
/// `val` the frame's physical address with the leaf's flag bits in its low 10 bits.
#[derive(Clone, Copy, Default)]
struct Cached {
    key: u64,
    val: u64,
}

/// Copies `n` bytes; short copies (IPC headers, small messages) inline, without the call
/// to `memcpy` far away in the kernel's text.
///
/// # Safety
/// As `core::ptr::copy_nonoverlapping`: both ranges valid for `n` bytes, not overlapping.
#[inline(always)]
unsafe fn copy_bytes(src: *const u8, dst: *mut u8, n: usize) {
    if n <= 32 {
        for i in 0..n {
            // SAFETY: `i < n`, within both ranges (the caller's contract); volatile keeps
            // the compiler from turning the loop back into a `memcpy` call.
            unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    } else {
        // SAFETY: the caller's contract.
        unsafe { core::ptr::copy_nonoverlapping(src, dst, n) };
    }
}

/// One address space: a root table, the data frames it owns, and a cache of the
/// translations the kernel has walked for it.
///
/// The cache rule: only a successful walk is remembered, and a live space never loses a
/// mapping or a right (the kernel has no unmap or protect; `grow` only adds pages, and
/// only `release`, which consumes the space and its cache, frees frames). So a cached
/// translation stays exactly what a fresh walk would return; an unmapped page is walked
/// every time (it may be mapped later). Anything that ever removes or narrows a mapping
/// must clear the cache.
pub struct AddressSpace {
    root: u64,
    asid: u16,
    frames: Vec<u64>,
    /// Current heap break (user address).
    pub brk: usize,
    cache: [Cell<Cached>; CACHE_SLOTS],
}

impl AddressSpace {
    /// A space with only the kernel's mappings: MMIO (root entry 0, the first GiB) and
    /// RAM (entry 2, 0x8000_0000..), both global and without the U bit; its own
    /// translations are tagged `asid` (0: untagged, switched with a full fence).
    pub fn new(frames: &mut FrameAllocator, asid: u16) -> Option<AddressSpace> {
        let root = frames.alloc()?;
        let mut mem = PhysTables;
        sv39::map_gigapage(&mut mem, root, 0, 0, PTE_R | PTE_W | PTE_G);
        sv39::map_gigapage(
            &mut mem,
            root,
            2,
            0x8000_0000,
            PTE_R | PTE_W | PTE_X | PTE_G,
        );
        Some(AddressSpace {
            root,
            asid,
            frames: Vec::new(),
            brk: abi::layout::HEAP_BASE,
            cache: Default::default(),
        })
    }

    /// The `satp` value that selects this space.
    pub fn satp(&self) -> u64 {
        sv39::satp_asid(self.root, self.asid)
    }

    /// The address-space identifier its translations carry (0: none).
    pub fn asid(&self) -> u16 {
        self.asid
    }

    /// Maps a fresh zeroed frame at `va` with `flags`; returns its physical address.
    pub fn map_zeroed(
        &mut self,
        frames: &mut FrameAllocator,
        va: usize,
        flags: u64,
    ) -> Result<u64, SysError> {
        let pa = frames.alloc().ok_or(SysError::NoMemory)?;
        let mut mem = AllocTables(frames);
        match sv39::map_page(&mut mem, self.root, va as u64, pa, flags) {
            Ok(()) => {
                self.frames.push(pa);
                Ok(pa)
            }
            Err(sv39::MapError::OutOfTables) => {
                frames.release(pa);
                Err(SysError::NoMemory)
            }
            Err(_) => {
                frames.release(pa);
                Err(SysError::BadAddress)
            }
        }
    }

    /// Returns every frame of this space (data, tables, root) to the allocator, and
    /// drops the translations cached under its ASID.
    pub fn release(self, frames: &mut FrameAllocator) {
        crate::arch::fence_asid(self.asid);
        for pa in &self.frames {
            frames.release(*pa);
        }
        let mut tables = Vec::new();
        sv39::for_each_table(&PhysTables, self.root, |t| tables.push(t));
        for t in tables {
            frames.release(t);
        }
        frames.release(self.root);
    }

    /// The physical address of user address `va`, if mapped with U and the rights asked.
    /// Answered from the cache when it can be (no page-table page touched), else walked.
    #[inline(always)]
    fn user_pa(&self, va: usize, write: bool) -> Result<u64, SysError> {
        let page = (va as u64) & !(PAGE - 1);
        let offset = (va as u64) & (PAGE - 1);
        let slot = &self.cache[(page / PAGE) as usize % CACHE_SLOTS];
        let hit = slot.get();
        let (frame, flags) = if hit.key == page | 1 {
            (hit.val & !(PAGE - 1), hit.val & 0x3FF)
        } else {
            let (pa, flags) =
                sv39::translate(&PhysTables, self.root, page).ok_or(SysError::BadAddress)?;
            slot.set(Cached {
                key: page | 1,
                val: pa | flags,
            });
            (pa, flags)
        };
        let need = PTE_U | PTE_R | if write { PTE_W } else { 0 };
        if flags & need != need {
            return Err(SysError::BadAddress);
        }
        Ok(frame + offset)
    }

    /// Checks that `[va, va + len)` is user memory mapped with the rights asked.
    #[inline(always)]
    pub fn check(&self, va: usize, len: usize, write: bool) -> Result<(), SysError> {
        if len == 0 {
            return Ok(());
        }
        if !is_user_range(va, len) {
            return Err(SysError::BadAddress);
        }
        let first = va & !(PAGE as usize - 1);
        let mut page = first;
        while page < va + len {
            self.user_pa(page, write)?;
            page += PAGE as usize;
        }
        Ok(())
    }

    /// Copies user memory at `va` into `out` (checked first; nothing copied on error).
    pub fn read_user(&self, va: usize, out: &mut [u8]) -> Result<(), SysError> {
        self.check(va, out.len(), false)?;
        let mut done = 0;
        while done < out.len() {
            let at = va + done;
            let n = (PAGE as usize - at % PAGE as usize).min(out.len() - done);
            let pa = self.user_pa(at, false)?;
            // SAFETY: `pa..pa + n` lies in one user frame this space owns (checked walk),
            // identity-mapped for the kernel; `out` is kernel memory, not aliasing it.
            unsafe { core::ptr::copy_nonoverlapping(pa as *const u8, out[done..].as_mut_ptr(), n) };
            done += n;
        }
        Ok(())
    }

    /// Copies `data` to user memory at `va` (checked first; nothing written on error).
    #[inline(always)]
    pub fn write_user(&self, va: usize, data: &[u8]) -> Result<(), SysError> {
        self.check(va, data.len(), true)?;
        let mut done = 0;
        while done < data.len() {
            let at = va + done;
            let n = (PAGE as usize - at % PAGE as usize).min(data.len() - done);
            let pa = self.user_pa(at, true)?;
            // SAFETY: as in `read_user`, for a frame mapped writable to the user.
            unsafe { copy_bytes(data[done..].as_ptr(), pa as *mut u8, n) };
            done += n;
        }
        Ok(())
    }

    /// Copies `len` bytes of this space's memory at `src_va` to `dst_va` in `dst`, straight
    /// from frame to frame (no kernel buffer). Both ranges are checked first (readable
    /// here, writable there); nothing is copied on error.
    #[inline(always)]
    pub fn copy_to(
        &self,
        src_va: usize,
        dst: &AddressSpace,
        dst_va: usize,
        len: usize,
    ) -> Result<(), SysError> {
        self.check(src_va, len, false)?;
        dst.check(dst_va, len, true)?;
        let mut done = 0;
        while done < len {
            let (from, to) = (src_va + done, dst_va + done);
            let n = (PAGE as usize - from % PAGE as usize)
                .min(PAGE as usize - to % PAGE as usize)
                .min(len - done);
            let (src_pa, dst_pa) = (self.user_pa(from, false)?, dst.user_pa(to, true)?);
            // SAFETY: both ranges lie within one user frame each (checked walks, chunk
            // clamped to both page ends), identity-mapped for the kernel; the frames
            // belong to two different spaces (the kernel never shares a frame between
            // spaces), so they do not overlap.
            unsafe { copy_bytes(src_pa as *const u8, dst_pa as *mut u8, n) };
            done += n;
        }
        Ok(())
    }

    /// Writes `data` at `offset` into the frame at `pa` (used while loading a program).
    pub fn fill_frame(pa: u64, offset: usize, data: &[u8]) {
        let len = data.len().min((PAGE as usize).saturating_sub(offset));
        // SAFETY: `pa` is a frame just allocated for this space; the write stays within
        // its 4 KiB (length clamped above).
        unsafe {
            core::ptr::copy_nonoverlapping(data.as_ptr(), (pa as usize + offset) as *mut u8, len)
        };
    }
}
