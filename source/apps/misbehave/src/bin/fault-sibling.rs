//! Misbehaves on purpose: stores to an address mapped only in a sibling (selftest-
//! client's heap). Expected end: a store page fault (scause 15), this process only; the
//! sibling's memory is untouched.
#![no_std]
#![no_main]

use nexus_rt::println;
use nexus_rt::proto::SIBLING_ADDR;

nexus_rt::entry!(main);

fn main() -> i32 {
    // SAFETY: the store cannot succeed, so no memory is written: this process never grows
    // its heap that far, so the address is unmapped here whatever a sibling maps there;
    // the store traps and the kernel ends this process (the misbehaviour under test).
    unsafe { core::ptr::write_volatile(SIBLING_ADDR as *mut u64, 0xdead_beef) };
    println!("fault-sibling: FAIL: the store succeeded");
    1
}
