//! Trap handling: the assembly entry (trap.S) and its Rust half.
//!
//! Every trap from U-mode lands in [`trap_handler`] with the process's registers saved
//! in its `TrapFrame`. A timer interrupt preempts, an `ecall` is a syscall, anything else
//! is a fault that ends the process. A trap taken in S-mode is a kernel bug: it panics.

pub mod context;

use crate::{arch, kernel};
pub use context::TrapFrame;
use core::sync::atomic::{AtomicBool, Ordering};

core::arch::global_asm!(include_str!("trap.S"));

const INTERRUPT: u64 = 1 << 63;
const SUPERVISOR_TIMER: u64 = 5;
const ECALL_FROM_U: u64 = 8;

extern "C" {
    fn __trap_entry();
    fn __return_to_user(frame: *mut TrapFrame) -> !;
}

/// Installs the trap vector and the user-mode `sstatus` every process shares.
pub fn init() {
    arch::init_traps(__trap_entry as *const () as usize);
}

/// Leaves the kernel into the process whose registers are `frame`.
pub fn enter_user(frame: *mut TrapFrame) -> ! {
    // SAFETY: `frame` points at the TrapFrame of a live process, inline in its slot of
    // the task table (sized once at boot, never moved); `init` set sstatus for U-mode
    // (SPP clear); the table outlives the call.
    unsafe { __return_to_user(frame) }
}

/// The Rust half of a user trap; returns the frame of the process to resume.
#[no_mangle]
#[link_section = ".text.hot"]
extern "C" fn trap_handler(_frame: *mut TrapFrame) -> *mut TrapFrame {
    let scause = arch::scause();
    kernel::with_kernel(|k| {
        if scause == INTERRUPT | SUPERVISOR_TIMER {
            k.preempt();
        } else if scause & INTERRUPT != 0 {
            // No other interrupt source is enabled; resume.
        } else if scause == ECALL_FROM_U {
            crate::syscall::dispatch(k);
        } else if let Ok(code) = abi::fault_exit_code(scause) {
            // Every exception ends the process with the ABI's fault exit code (interrupts
            // were handled above, so this branch always matches).
            k.fault(scause, code, arch::stval());
        }
        k.resume()
    })
}

/// A trap taken in S-mode: always a kernel bug. A second one (while this one is being
/// reported) stops the machine at once, without printing.
#[no_mangle]
extern "C" fn kernel_trap_handler() -> ! {
    static REPORTING: AtomicBool = AtomicBool::new(false);
    if REPORTING.swap(true, Ordering::Relaxed) {
        arch::exit_qemu(3);
    }
    panic!(
        "trap in the kernel: scause {:#x} stval {:#x} sepc {:#x}",
        arch::scause(),
        arch::stval(),
        arch::sepc()
    );
}
