//! Sv39 address spaces: the kernel's shared mappings plus one process's pages, and the
//! only way the kernel touches user memory: a user pointer is an allegation until
//! [`AddressSpace::check`] turns it into a [`USlice`], which the copy functions take.

use super::frame::FrameAllocator;
use abi::layout::is_user_range;
use abi::{SysError, UserRange};
use alloc::vec::Vec;
use core::cell::Cell;
use kernel_core::sv39::{self, TableMemory, PAGE, PTE_DEVICE, PTE_G, PTE_R, PTE_U, PTE_W, PTE_X};

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

/// What the kernel will do with a user range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read it (a message to send, a name, an image).
    Read,
    /// Write it (a receive buffer, a header, a record).
    Write,
}

/// A user range the caller's page table confirmed: mapped, U, in RAM, and writable when
/// checked for [`Access::Write`]. Only [`AddressSpace::check`] makes one, and only the
/// space that made it copies through it (it carries that space's root), so a copy never
/// repeats the rights check. It stays valid while the space lives: a live space never
/// loses a mapping or narrows a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct USlice {
    addr: usize,
    len: usize,
    root: u64,
    write: bool,
}

impl USlice {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
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

    /// The physical address and leaf flags of user address `va`, if it is mapped.
    /// Answered from the cache when it can be (no page-table page touched), else walked;
    /// only a successful walk is remembered.
    #[inline(always)]
    fn lookup(&self, va: usize) -> Option<(u64, u64)> {
        let page = (va as u64) & !(PAGE - 1);
        let offset = (va as u64) & (PAGE - 1);
        let slot = &self.cache[(page / PAGE) as usize % CACHE_SLOTS];
        let hit = slot.get();
        let (frame, flags) = if hit.key == page | 1 {
            (hit.val & !(PAGE - 1), hit.val & 0x3FF)
        } else {
            let (pa, flags) = sv39::translate(&PhysTables, self.root, page)?;
            slot.set(Cached {
                key: page | 1,
                val: pa | flags,
            });
            (pa, flags)
        };
        Some((frame + offset, flags))
    }

    /// Checks the caller's claim about `range`: user memory, mapped with U and the rights
    /// `access` needs, in RAM (never a device window); on success the range becomes a
    /// [`USlice`], which the copy functions take without checking again.
    #[inline(always)]
    pub fn check(&self, range: UserRange, access: Access) -> Result<USlice, SysError> {
        let slice = USlice {
            addr: range.addr,
            len: range.len,
            root: self.root,
            write: access == Access::Write,
        };
        if range.len == 0 {
            return Ok(slice);
        }
        if !is_user_range(range.addr, range.len) {
            return Err(SysError::BadAddress);
        }
        let need = PTE_U | PTE_R | if slice.write { PTE_W } else { 0 };
        let end = range.addr + range.len;
        let mut page = range.addr & !(PAGE as usize - 1);
        while page < end {
            match self.lookup(page) {
                Some((_, flags)) if flags & need == need && flags & PTE_DEVICE == 0 => {}
                _ => return Err(SysError::BadAddress),
            }
            page += PAGE as usize;
        }
        Ok(slice)
    }

    /// The frame address of `va` inside a slice this space checked. A failure cannot
    /// happen while the space lives (it never loses a mapping); it is still an error, not
    /// a fault, should it ever.
    #[inline(always)]
    fn frame_of(&self, va: usize) -> Result<u64, SysError> {
        self.lookup(va)
            .map(|(pa, _)| pa)
            .ok_or(SysError::BadAddress)
    }

    /// Whether `slice` was checked by this space (for writing, when `write`) and holds
    /// `len` bytes.
    #[inline(always)]
    fn owns(&self, slice: &USlice, len: usize, write: bool) -> Result<(), SysError> {
        if slice.root != self.root || len > slice.len || (write && !slice.write) {
            return Err(SysError::BadAddress);
        }
        Ok(())
    }

    /// Copies the first `out.len()` bytes of `src` (checked by this space) into `out`.
    pub fn read_user(&self, src: &USlice, out: &mut [u8]) -> Result<(), SysError> {
        self.owns(src, out.len(), false)?;
        let mut done = 0;
        while done < out.len() {
            let at = src.addr + done;
            let n = (PAGE as usize - at % PAGE as usize).min(out.len() - done);
            let pa = self.frame_of(at)?;
            // SAFETY: `pa..pa + n` lies in one user RAM frame this space owns (checked by
            // `check`, which `USlice` proves), identity-mapped for the kernel; `out` is
            // kernel memory, not aliasing it.
            unsafe { core::ptr::copy_nonoverlapping(pa as *const u8, out[done..].as_mut_ptr(), n) };
            done += n;
        }
        Ok(())
    }

    /// Copies `data` to the start of `dst` (checked writable by this space).
    #[inline(always)]
    pub fn write_user(&self, dst: &USlice, data: &[u8]) -> Result<(), SysError> {
        self.owns(dst, data.len(), true)?;
        let mut done = 0;
        while done < data.len() {
            let at = dst.addr + done;
            let n = (PAGE as usize - at % PAGE as usize).min(data.len() - done);
            let pa = self.frame_of(at)?;
            // SAFETY: as in `read_user`, for a frame checked writable for the user.
            unsafe { copy_bytes(data[done..].as_ptr(), pa as *mut u8, n) };
            done += n;
        }
        Ok(())
    }

    /// Copies the first `len` bytes of `src` (checked readable here) to the start of
    /// `dst` (checked writable by `dst_space`), straight from frame to frame (no kernel
    /// buffer).
    #[inline(always)]
    pub fn copy_to(
        &self,
        src: &USlice,
        dst_space: &AddressSpace,
        dst: &USlice,
        len: usize,
    ) -> Result<(), SysError> {
        self.owns(src, len, false)?;
        dst_space.owns(dst, len, true)?;
        let mut done = 0;
        while done < len {
            let (from, to) = (src.addr + done, dst.addr + done);
            let n = (PAGE as usize - from % PAGE as usize)
                .min(PAGE as usize - to % PAGE as usize)
                .min(len - done);
            let (src_pa, dst_pa) = (self.frame_of(from)?, dst_space.frame_of(to)?);
            // SAFETY: both ranges lie within one user RAM frame each (checked slices,
            // chunk clamped to both page ends), identity-mapped for the kernel; the
            // frames belong to two different spaces (the kernel never shares a RAM frame
            // between spaces), so they do not overlap.
            unsafe { copy_bytes(src_pa as *const u8, dst_pa as *mut u8, n) };
            done += n;
        }
        Ok(())
    }

    /// Whether user address `va` is mapped (with any rights).
    pub fn is_mapped(&self, va: usize) -> bool {
        self.lookup(va).is_some()
    }

    /// Maps the device page at physical `pa` at `va` for the user (read and write, never
    /// executable, marked [`PTE_DEVICE`] so no IPC copy goes through it). The frame is
    /// the device's: the space does not own or free it.
    pub fn map_device(
        &mut self,
        frames: &mut FrameAllocator,
        va: usize,
        pa: u64,
    ) -> Result<(), SysError> {
        let mut mem = AllocTables(frames);
        match sv39::map_page(
            &mut mem,
            self.root,
            va as u64,
            pa,
            PTE_U | PTE_R | PTE_W | PTE_DEVICE,
        ) {
            Ok(()) => Ok(()),
            Err(sv39::MapError::OutOfTables) => Err(SysError::NoMemory),
            Err(_) => Err(SysError::BadAddress),
        }
    }

    /// Maps the frame `pa` (allocated for this space, which now owns and frees it) at
    /// `va` with `flags`.
    pub fn map_owned(
        &mut self,
        frames: &mut FrameAllocator,
        va: usize,
        pa: u64,
        flags: u64,
    ) -> Result<(), SysError> {
        let mut mem = AllocTables(frames);
        match sv39::map_page(&mut mem, self.root, va as u64, pa, flags) {
            Ok(()) => {
                self.frames.push(pa);
                Ok(())
            }
            Err(sv39::MapError::OutOfTables) => Err(SysError::NoMemory),
            Err(_) => Err(SysError::BadAddress),
        }
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
