//! The switch benchmark: the address-space switch timed at boot (with and without ASIDs,
//! and the TLB refill after it), and `bench_switch`'s switch pairs between IPC rounds,
//! against a spare space that maps only the kernel.

use crate::kernel::Kernel;
use crate::mm::space::AddressSpace;
use crate::{arch, kprintln};
use alloc::vec::Vec;

impl Kernel {
    /// Measures an address-space switch: `satp` write + `sfence.vma`, timed over a loop
    /// between two spaces that map only the kernel; then the switch the kernel makes with
    /// ASIDs (a tagged `satp` write alone), and the TLB refill per page after a switch.
    pub fn bench_space_switch(&mut self) {
        // An ASID no process has (ids run 1..tasks.len()), or 0 without ASIDs.
        let spare = if self.asids {
            self.tasks.len() as u16
        } else {
            0
        };
        let Some(other) = AddressSpace::new(&mut self.frames, spare) else {
            return;
        };
        let (a, b) = (self.kernel_space.satp(), other.satp());
        let switch = |_: ()| {
            arch::switch_space(b);
            arch::switch_space(a);
        };
        let ns = self.time_switches(switch, ());
        kprintln!("bench: address-space switch at boot (satp + sfence.vma) {ns} ns");
        if self.asids {
            let tagged = self.time_switches(
                |_: ()| {
                    arch::switch_space_tagged(b);
                    arch::switch_space_tagged(a);
                },
                (),
            );
            kprintln!(
                "bench: address-space switch with ASIDs (satp alone, {} ASID bits) {tagged} ns",
                self.asid_bits
            );
        }
        // The same switch followed by a touch of PAGES distinct pages: what refilling
        // the (emulated) TLB costs per page once a switch has flushed it.
        const PAGES: usize = 16;
        let mut pages = [0u64; PAGES];
        for p in pages.iter_mut() {
            *p = self.frames.alloc().unwrap_or(0);
        }
        let touch = |pages: &[u64; PAGES]| {
            for &pa in pages.iter().filter(|pa| **pa != 0) {
                // SAFETY: each `pa` is a zeroed frame just allocated for this loop,
                // identity-mapped for the kernel; an aligned u64 read of it is sound.
                unsafe { core::ptr::read_volatile(pa as *const u64) };
            }
        };
        let with_refill = self.time_switches(
            |pages: &[u64; PAGES]| {
                arch::switch_space(b);
                touch(pages);
                arch::switch_space(a);
                touch(pages);
            },
            &pages,
        );
        for pa in pages.into_iter().filter(|pa| *pa != 0) {
            self.frames.release(pa);
        }
        // Every loop ended in the kernel's space (`a`); the spare space stays for
        // `bench_switch`.
        self.spare_space = Some(other);
        kprintln!(
            "bench: TLB refill after a switch {} ns per page ({PAGES} pages)",
            with_refill.saturating_sub(ns) / PAGES as u64
        );
    }

    /// Nanoseconds `pairs` switch pairs take (`satp` + `sfence.vma` to the spare space and
    /// back to the loaded one), or `None` before the spare space exists.
    pub fn time_switch_pairs(&self, pairs: u64) -> Option<u64> {
        let (spare, back) = (self.spare_space.as_ref()?.satp(), self.loaded_satp);
        let start = arch::time();
        for _ in 0..pairs {
            arch::switch_space(spare);
            arch::switch_space(back);
        }
        Some(self.ticks_to_ns(arch::time() - start))
    }

    /// Nanoseconds a `memcpy` of `bytes` takes between two heap buffers of the kernel's
    /// (after one untimed copy, so the emulator has translated the copy loop and both
    /// buffers are touched), or `None` when the heap cannot hold both.
    pub fn time_copy(&self, bytes: usize) -> Option<u64> {
        let mut from = Vec::new();
        from.try_reserve_exact(bytes).ok()?;
        from.resize(bytes, 0x5au8);
        let mut to = Vec::new();
        to.try_reserve_exact(bytes).ok()?;
        to.resize(bytes, 0u8);
        to.copy_from_slice(&from);
        let start = arch::time();
        to.copy_from_slice(core::hint::black_box(&from));
        let ticks = arch::time() - start;
        core::hint::black_box(&to);
        Some(self.ticks_to_ns(ticks))
    }

    /// Nanoseconds per switch of `pair` (which makes two), after a warm-up: the emulator
    /// translates the loop's code on its first runs.
    fn time_switches<T: Copy>(&self, pair: impl Fn(T), arg: T) -> u64 {
        const ROUNDS: u64 = 2000;
        for _ in 0..64 {
            pair(arg);
        }
        let start = arch::time();
        for _ in 0..ROUNDS / 2 {
            pair(arg);
        }
        self.ticks_to_ns(arch::time() - start) / ROUNDS
    }
}
