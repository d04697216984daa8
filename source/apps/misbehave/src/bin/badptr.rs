//! Misbehaves on purpose: passes bad pointers to syscalls (the kernel's image, an
//! unmapped user page, its own read-only text), the server's `reply_recv` included. Each must come back as `BadAddress`;
//! exits 0 when all did, 1 otherwise.
#![no_std]
#![no_main]

use nexus_rt::abi::layout::{KERNEL_BASE, USER_START};
use nexus_rt::abi::{SysError, Sysnum};
use nexus_rt::{println, sys};

nexus_rt::entry!(main);

fn main() -> i32 {
    let text = main as *const () as usize;
    let cases: [(&str, Sysnum, [usize; 6]); 6] = [
        (
            "debug_write from the kernel",
            Sysnum::DebugWrite,
            [KERNEL_BASE, 16, 0, 0, 0, 0],
        ),
        (
            "debug_write from an unmapped page",
            Sysnum::DebugWrite,
            [USER_START, 16, 0, 0, 0, 0],
        ),
        (
            "recv into read-only text",
            Sysnum::Recv,
            [text, 64, text, 0, 0, 0],
        ),
        (
            "send from the kernel",
            Sysnum::Send,
            [1, KERNEL_BASE, 8, 0, 0, 0],
        ),
        (
            "reply_recv replying from the kernel",
            Sysnum::ReplyRecv,
            [1, KERNEL_BASE, 8, USER_START, 64, USER_START],
        ),
        (
            "reply_recv into read-only text",
            Sysnum::ReplyRecv,
            [0, 0, 0, text, 64, text],
        ),
    ];
    let mut bad = 0;
    for (what, num, args) in cases {
        // SAFETY: every pointer here is invalid or read-only for this process; the kernel
        // checks them against the page table and must refuse before touching memory.
        let result = unsafe { sys::raw(num, args) };
        if result != Err(SysError::BadAddress) {
            println!("badptr: FAIL: {what}: {result:?}");
            bad += 1;
        }
    }
    i32::from(bad != 0)
}
