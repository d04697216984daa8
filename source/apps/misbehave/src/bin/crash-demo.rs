//! Crashes on purpose, through a known call chain, for the crash dump pipeline:
//! `main` -> `crash_outer` -> `crash_middle` (`#[inline(always)]`, so its code sits inside
//! `crash_outer`) -> `crash_inner`, which stores to [`CRASH_ADDR`] (unmapped: below
//! `abi::layout::USER_START`). Expected end: a store page fault (scause 15, stval
//! 0x10), this process only. Its supervisor hands the record to crashd, whose dump's
//! frames, symbolized on the host with `nxsym index` over this ELF, name the four
//! functions, `crash_middle` as inlined into `crash_outer`.
//!
//! Each call's result is used after it returns, so no call is a tail call and every
//! frame stays on the frame-pointer chain (the OS target builds with frame pointers).
#![no_std]
#![no_main]

use core::hint::black_box;
use nexus_rt::println;

nexus_rt::entry!(main);

/// The address `crash_inner` stores to: in the unmapped page at 0.
pub const CRASH_ADDR: usize = 0x10;

fn main() -> i32 {
    let got = crash_outer(black_box(CRASH_ADDR));
    println!("crash-demo: FAIL: the store succeeded ({got})");
    1
}

#[inline(never)]
fn crash_outer(addr: usize) -> usize {
    black_box(crash_middle(black_box(addr))) + 1
}

#[inline(always)]
fn crash_middle(addr: usize) -> usize {
    black_box(crash_inner(black_box(addr))).wrapping_mul(3)
}

#[inline(never)]
fn crash_inner(addr: usize) -> usize {
    // SAFETY: the store cannot succeed, so no memory is written: `addr` is below
    // `USER_START`, where nothing is ever mapped; the store traps and the kernel ends
    // this process (the misbehaviour under test).
    unsafe { core::ptr::write_volatile(addr as *mut u64, 0xdead_beef) };
    black_box(addr)
}
