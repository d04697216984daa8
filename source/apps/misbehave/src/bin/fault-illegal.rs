//! Misbehaves on purpose: executes an illegal instruction. Expected end: scause 2.
#![no_std]
#![no_main]

use nexus_rt::println;

nexus_rt::entry!(main);

fn main() -> i32 {
    // SAFETY: `unimp` touches no memory; it raises an illegal-instruction exception, and
    // the kernel ends this process (the misbehaviour under test).
    unsafe { core::arch::asm!("unimp") };
    println!("fault-illegal: FAIL: executed unimp");
    1
}
