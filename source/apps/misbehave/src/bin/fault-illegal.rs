//! Misbehaves on purpose: executes an illegal instruction. Expected end: scause 2.
#![no_std]
#![no_main]

use nexus_rt::println;

nexus_rt::entry!(main);

fn main() -> i32 {
    // SAFETY: none; `unimp` is defined to raise an illegal-instruction exception, which
    // ends this process.
    unsafe { core::arch::asm!("unimp") };
    println!("fault-illegal: FAIL: executed unimp");
    1
}
