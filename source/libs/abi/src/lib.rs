//! The kernel's ABI, defined once: syscall numbers and their argument structs, error
//! codes, fault codes, the IPC header, the fault record, device grants and the user
//! address-space layout; and the request convention services speak over `call`
//! ([`rpc`], the one part that allocates).
//!
//! The kernel and the user runtime both re-export this crate, so the two sides cannot
//! drift. Everything here is plain data with explicit little-endian encodings, tested on
//! the host. The calling convention: `a7` holds the [`Sysnum`], `a0..a5` the arguments;
//! the kernel returns a status in `a0` (0, or a [`SysError`] code) and a value in `a1`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod args;
pub mod device;
pub mod fault;
pub mod ipc;
pub mod layout;
pub mod rpc;
pub mod syscall;

pub use args::{Syscall, UserRange};
pub use device::{DeviceInfo, DmaRegion};
pub use fault::{FaultRecord, ModuleEntry, RecordError};
pub use ipc::{MsgKind, RecvHeader, ServiceId};
pub use syscall::{decode_result, encode_result, SysError, Sysnum};

/// Exit code of a process ended by a fault with cause `scause`: `-(scause + 1)`.
pub fn fault_exit_code(scause: u64) -> i64 {
    let cause = i64::try_from(scause & 0xFFF).unwrap_or(0xFFF);
    -(cause + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_exit_code_is_minus_cause_plus_one() {
        assert_eq!(fault_exit_code(13), -14);
        assert_eq!(fault_exit_code(2), -3);
        assert_eq!(fault_exit_code(0), -1);
    }
}
