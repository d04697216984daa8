//! The user runtime of os-lite programs (OS target only).
//!
//! It provides the entry point (`_start`, which calls the program's `main` through
//! [`entry!`] and exits with its code), the heap (grown with the `grow` syscall), a
//! panic handler that exits with code 101, safe syscall and IPC wrappers, and the request
//! convention services speak (their ops live in each service's `-api` crate). Programs
//! link with `user.ld` (a one-line `build.rs`); frame pointers are on for every OS
//! build, so crashes unwind.
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod console;
mod heap;
pub mod log;
pub mod proto;
pub mod sys;

pub use abi;
pub use heap::heap_bytes;

core::arch::global_asm!(include_str!("entry.S"));

extern "Rust" {
    fn __nexus_main() -> i32;
}

/// Called by `_start` with the stack the kernel set up; never returns.
#[no_mangle]
extern "C" fn nexus_rt_start() -> ! {
    // SAFETY: `__nexus_main` is defined by the program through `entry!`, with the
    // signature declared here.
    let code = unsafe { __nexus_main() };
    sys::exit(code)
}

/// Declares the program's `fn main() -> i32`; its result is the exit code.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        fn __nexus_main() -> i32 {
            $main()
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic: {info}");
    sys::exit(101)
}
