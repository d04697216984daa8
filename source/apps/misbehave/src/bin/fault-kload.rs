//! Misbehaves on purpose: loads from the kernel's address (mapped without the U bit).
//! Expected end: a load page fault (scause 13, stval 0x8020_0000), this process only.
#![no_std]
#![no_main]

use nexus_rt::abi::layout::KERNEL_BASE;
use nexus_rt::println;

nexus_rt::entry!(main);

fn main() -> i32 {
    // SAFETY: the read cannot succeed, so no memory is read: the kernel maps its image
    // without the U bit, the load traps and the kernel ends this process (the
    // misbehaviour under test).
    let value = unsafe { core::ptr::read_volatile(KERNEL_BASE as *const u64) };
    println!("fault-kload: FAIL: read {value:#x} from the kernel");
    1
}
