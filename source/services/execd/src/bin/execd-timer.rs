//! execd's timer: execd has no receive with a deadline (the kernel's `recv` blocks until
//! a message comes), so this child of execd brings it one. It asks execd `Tick`; execd
//! answers only while a restart is pending, with how long to sleep (at most
//! `execd_api::MAX_TICK_NS`); it sleeps that long and asks again, and execd starts every
//! restart that is due when the question arrives. With nothing pending it waits in the
//! call and costs nothing.
#![no_std]
#![no_main]

use nexus_rt::{println, sys};

nexus_rt::entry!(main);

/// execd is this program's parent; it registers with samgrd before starting it, but the
/// timer needs only its id, which the manifest fixes.
fn main() -> i32 {
    let execd = match init_api::Client::new(sys::Ipc).locate(execd_api::SERVICE_NAME) {
        Ok(id) => id,
        Err(e) => {
            println!("execd-timer: FAIL: locate execd: {e}");
            return 1;
        }
    };
    let mut ipc = sys::Ipc;
    loop {
        match execd_api::Client::new(&mut ipc, execd).tick() {
            Ok(ns) => sys::sleep_ns(ns),
            Err(e) => {
                println!("execd-timer: FAIL: tick: {e}");
                return 1;
            }
        }
    }
}
