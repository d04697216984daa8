//! Misbehaves on purpose: hits `ebreak` with no debugger. Expected end: scause 3.
#![no_std]
#![no_main]

use nexus_rt::println;

nexus_rt::entry!(main);

fn main() -> i32 {
    // SAFETY: `ebreak` touches no memory; it raises a breakpoint exception, and the kernel
    // ends this process (the misbehaviour under test).
    unsafe { core::arch::asm!("ebreak") };
    println!("fault-ebreak: FAIL: survived ebreak");
    1
}
