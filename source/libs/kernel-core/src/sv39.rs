//! Sv39 page tables, built over an abstract physical memory.
//!
//! Three levels of 512 eight-byte entries; a virtual address's bits 38..30, 29..21 and
//! 20..12 index the levels. The kernel implements [`TableMemory`] over identity-mapped
//! RAM; the tests implement it over a map of fake frames. The same walker serves
//! mapping, translation and the kernel's check of user pointers.

use core::fmt;

/// Entry is valid.
pub const PTE_V: u64 = 1 << 0;
/// Readable.
pub const PTE_R: u64 = 1 << 1;
/// Writable.
pub const PTE_W: u64 = 1 << 2;
/// Executable.
pub const PTE_X: u64 = 1 << 3;
/// Accessible from U-mode.
pub const PTE_U: u64 = 1 << 4;
/// Global mapping (present in every address space).
pub const PTE_G: u64 = 1 << 5;
/// Accessed (set up front: the hardware may fault instead of setting it).
pub const PTE_A: u64 = 1 << 6;
/// Dirty (set up front, as `PTE_A`).
pub const PTE_D: u64 = 1 << 7;
/// Software bit (RSW, bit 8): the leaf maps a device window, not RAM. The kernel never
/// copies IPC data through such a page.
pub const PTE_DEVICE: u64 = 1 << 8;
/// Page size in bytes: `abi::layout::PAGE_SIZE`, as the `u64` page-table arithmetic
/// uses it.
pub const PAGE: u64 = abi::layout::PAGE_SIZE as u64;
/// Entries per table.
pub const ENTRIES: usize = 512;
/// `satp` mode field for Sv39.
pub const SATP_SV39: u64 = 8 << 60;

/// Physical memory holding page tables.
pub trait TableMemory {
    /// A new zeroed, page-aligned table, or `None` when memory is exhausted.
    fn alloc_table(&mut self) -> Option<u64>;
    /// Entry `index` of the table at physical address `table`.
    fn read(&self, table: u64, index: usize) -> u64;
    /// Sets entry `index` of the table at physical address `table`.
    fn write(&mut self, table: u64, index: usize, entry: u64);
}

/// Why a mapping failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// An address is not page-aligned or the virtual address is not canonical Sv39.
    Misaligned,
    /// No memory for an intermediate table.
    OutOfTables,
    /// The page is already mapped, or a superpage covers it.
    AlreadyMapped,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MapError::Misaligned => "address misaligned or not Sv39",
            MapError::OutOfTables => "out of page-table memory",
            MapError::AlreadyMapped => "page already mapped",
        })
    }
}

impl core::error::Error for MapError {}

/// A leaf entry for physical address `pa` with permission `flags` (V, A, D added).
pub fn leaf(pa: u64, flags: u64) -> u64 {
    ((pa >> 12) << 10) | flags | PTE_V | PTE_A | PTE_D
}

/// A pointer entry to the next-level table at `pa`.
pub fn branch(pa: u64) -> u64 {
    ((pa >> 12) << 10) | PTE_V
}

/// The physical address an entry points at.
pub fn entry_pa(entry: u64) -> u64 {
    ((entry >> 10) & ((1 << 44) - 1)) << 12
}

/// Whether an entry is a leaf (has any of R, W, X).
pub fn is_leaf(entry: u64) -> bool {
    entry & (PTE_R | PTE_W | PTE_X) != 0
}

/// The `satp` value selecting the table at `root` (ASID 0).
pub fn satp(root: u64) -> u64 {
    satp_asid(root, 0)
}

/// The `satp` value selecting the table at `root`, its translations tagged `asid`.
pub fn satp_asid(root: u64, asid: u16) -> u64 {
    SATP_SV39 | (u64::from(asid) << 44) | ((root >> 12) & ((1 << 44) - 1))
}

/// The ASID field of a `satp` value.
pub fn satp_asid_of(satp: u64) -> u16 {
    ((satp >> 44) & 0xFFFF) as u16
}

/// The index of `va` at `level` (2 = root, 0 = last level).
pub fn vpn(va: u64, level: usize) -> usize {
    ((va >> (12 + 9 * level)) & 0x1FF) as usize
}

fn canonical(va: u64) -> bool {
    let top = va >> 38;
    top == 0 || top == (1 << 26) - 1
}

/// Maps the 4 KiB page at `va` to `pa` with `flags`, creating tables as needed.
pub fn map_page(
    mem: &mut impl TableMemory,
    root: u64,
    va: u64,
    pa: u64,
    flags: u64,
) -> Result<(), MapError> {
    if !va.is_multiple_of(PAGE) || !pa.is_multiple_of(PAGE) || !canonical(va) {
        return Err(MapError::Misaligned);
    }
    let mut table = root;
    for level in [2, 1] {
        let e = mem.read(table, vpn(va, level));
        table = if e & PTE_V == 0 {
            let next = mem.alloc_table().ok_or(MapError::OutOfTables)?;
            mem.write(table, vpn(va, level), branch(next));
            next
        } else if is_leaf(e) {
            return Err(MapError::AlreadyMapped);
        } else {
            entry_pa(e)
        };
    }
    if mem.read(table, vpn(va, 0)) & PTE_V != 0 {
        return Err(MapError::AlreadyMapped);
    }
    mem.write(table, vpn(va, 0), leaf(pa, flags));
    Ok(())
}

/// Installs a 1 GiB leaf at root index `index` (for the kernel's shared mappings).
pub fn map_gigapage(mem: &mut impl TableMemory, root: u64, index: usize, pa: u64, flags: u64) {
    mem.write(root, index % ENTRIES, leaf(pa, flags));
}

/// Translates `va`: the physical address and the leaf's flags, if mapped.
pub fn translate(mem: &impl TableMemory, root: u64, va: u64) -> Option<(u64, u64)> {
    if !canonical(va) {
        return None;
    }
    let mut table = root;
    for level in [2usize, 1, 0] {
        let e = mem.read(table, vpn(va, level));
        if e & PTE_V == 0 {
            return None;
        }
        if is_leaf(e) {
            let span = 1u64 << (12 + 9 * level);
            return Some((entry_pa(e) + (va & (span - 1)), e & 0x3FF));
        }
        table = entry_pa(e);
    }
    None
}

/// Calls `f` with the physical address of every table reachable from `root` below the
/// root itself (to free an address space's tables).
pub fn for_each_table(mem: &impl TableMemory, root: u64, mut f: impl FnMut(u64)) {
    for i in 0..ENTRIES {
        let e = mem.read(root, i);
        if e & PTE_V != 0 && !is_leaf(e) {
            let mid = entry_pa(e);
            for j in 0..ENTRIES {
                let e2 = mem.read(mid, j);
                if e2 & PTE_V != 0 && !is_leaf(e2) {
                    f(entry_pa(e2));
                }
            }
            f(mid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::collections::BTreeMap;

    struct FakeMem {
        tables: BTreeMap<u64, [u64; ENTRIES]>,
        next: u64,
        limit: usize,
    }

    impl FakeMem {
        fn new(limit: usize) -> Self {
            FakeMem {
                tables: BTreeMap::new(),
                next: 0x8100_0000,
                limit,
            }
        }
    }

    impl TableMemory for FakeMem {
        fn alloc_table(&mut self) -> Option<u64> {
            if self.tables.len() >= self.limit {
                return None;
            }
            let pa = self.next;
            self.next += PAGE;
            self.tables.insert(pa, [0; ENTRIES]);
            Some(pa)
        }
        fn read(&self, table: u64, index: usize) -> u64 {
            self.tables[&table][index]
        }
        fn write(&mut self, table: u64, index: usize, entry: u64) {
            self.tables.get_mut(&table).unwrap()[index] = entry;
        }
    }

    #[test]
    fn maps_and_translates_pages() {
        let mut m = FakeMem::new(16);
        let root = m.alloc_table().unwrap();
        map_page(
            &mut m,
            root,
            0x4001_0000,
            0x8300_0000,
            PTE_R | PTE_X | PTE_U,
        )
        .unwrap();
        map_page(
            &mut m,
            root,
            0x4001_1000,
            0x8300_5000,
            PTE_R | PTE_W | PTE_U,
        )
        .unwrap();
        assert_eq!(m.tables.len(), 3, "root + one level-1 + one level-0 table");
        let (pa, fl) = translate(&m, root, 0x4001_0123).unwrap();
        assert_eq!(pa, 0x8300_0123);
        assert_eq!(fl & (PTE_R | PTE_W | PTE_X | PTE_U), PTE_R | PTE_X | PTE_U);
        assert_eq!(translate(&m, root, 0x4001_1fff).unwrap().0, 0x8300_5fff);
        assert_eq!(translate(&m, root, 0x4001_2000), None);
        assert_eq!(translate(&m, root, 0x4000_0000), None);
        assert_eq!(
            map_page(&mut m, root, 0x4001_0000, 0x8300_1000, PTE_R),
            Err(MapError::AlreadyMapped)
        );
        let mut seen = std::vec::Vec::new();
        for_each_table(&m, root, |t| seen.push(t));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn entry_encoding_matches_the_privileged_spec() {
        let e = leaf(0x8020_0000, PTE_R | PTE_W);
        assert_eq!(e & 0x3FF, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
        assert_eq!(e >> 10, 0x80200);
        assert_eq!(entry_pa(e), 0x8020_0000);
        assert!(!is_leaf(branch(0x8000_1000)));
        assert_eq!(satp(0x8040_0000), (8 << 60) | 0x80400);
        assert_eq!(satp_asid(0x8040_0000, 7), (8 << 60) | (7 << 44) | 0x80400);
        assert_eq!(satp_asid_of(satp_asid(0x8040_0000, 0xFFFF)), 0xFFFF);
        assert_eq!(satp_asid_of(satp(0x8040_0000)), 0);
        assert_eq!(vpn(0x8020_0000, 2), 2);
        assert_eq!(vpn(0x4001_2000, 2), 1);
        assert_eq!(vpn(0x4001_2000, 0), 0x12);
    }

    #[test]
    fn gigapages_translate_with_offset_and_block_small_maps() {
        let mut m = FakeMem::new(16);
        let root = m.alloc_table().unwrap();
        map_gigapage(&mut m, root, 2, 0x8000_0000, PTE_R | PTE_W | PTE_X | PTE_G);
        assert_eq!(translate(&m, root, 0x8020_1234).unwrap().0, 0x8020_1234);
        assert_eq!(
            map_page(&mut m, root, 0x8000_0000, 0x8000_0000, PTE_R),
            Err(MapError::AlreadyMapped)
        );
    }

    #[test]
    fn rejects_misaligned_and_noncanonical_and_exhaustion() {
        let mut m = FakeMem::new(2);
        let root = m.alloc_table().unwrap();
        assert_eq!(
            map_page(&mut m, root, 0x4000_0001, 0, PTE_R),
            Err(MapError::Misaligned)
        );
        assert_eq!(
            map_page(&mut m, root, 0x4000_0000, 1, PTE_R),
            Err(MapError::Misaligned)
        );
        assert_eq!(
            map_page(&mut m, root, 1 << 40, 0, PTE_R),
            Err(MapError::Misaligned)
        );
        assert_eq!(translate(&m, root, 1 << 40), None);
        assert_eq!(
            map_page(&mut m, root, 0x4000_0000, 0x9000_0000, PTE_R),
            Err(MapError::OutOfTables)
        );
    }
}
