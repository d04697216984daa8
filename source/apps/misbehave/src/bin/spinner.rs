//! Misbehaves on purpose: tells selftest-client (by IPC) that it is spinning, then spins
//! forever without a syscall. Only the timer can take the hart back.
#![no_std]
#![no_main]

use nexus_rt::{println, sys};

nexus_rt::entry!(main);

fn main() -> i32 {
    let target = match init_api::Client::new(sys::Ipc).locate("selftest-client") {
        Ok(id) => id,
        Err(e) => {
            println!("spinner: FAIL: locate: {e}");
            return 1;
        }
    };
    if let Err(e) = sys::send(target, b"spinning") {
        println!("spinner: FAIL: send: {e}");
        return 1;
    }
    let mut count: u64 = 0;
    loop {
        count = core::hint::black_box(count.wrapping_add(1));
    }
}
