//! Misbehaves on purpose, every time it runs: loads from address 0x8 (unmapped, below
//! `abi::layout::USER_START`). Expected end: a load page fault (scause 13, stval 0x8),
//! this process only. Its manifest line is `app restart=on-failure`: execd starts it at
//! boot and restarts it after each crash with a growing delay until it is in the
//! crash-loop state, which selftest-client checks through execd's `Status`
//! (`SELFTEST: crash loop ok`).
#![no_std]
#![no_main]

use nexus_rt::println;

nexus_rt::entry!(main);

/// The address it loads from: in the unmapped page at 0.
const LOAD_ADDR: usize = 0x8;

fn main() -> i32 {
    // SAFETY: the read cannot succeed, so no memory is read: nothing is ever mapped below
    // `USER_START`; the load traps and the kernel ends this process (the misbehaviour
    // under test).
    let value = unsafe { core::ptr::read_volatile(core::hint::black_box(LOAD_ADDR) as *const u64) };
    println!("fault-loop: FAIL: read {value:#x} from {LOAD_ADDR:#x}");
    1
}
