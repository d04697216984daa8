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
#[doc(hidden)]
pub mod fuzz;
pub mod ipc;
pub mod layout;
pub mod rpc;
pub mod syscall;

pub use args::{Syscall, UserRange};
pub use device::{DeviceInfo, DmaRegion};
pub use fault::{FaultRecord, ModuleEntry, RecordError};
pub use ipc::{MsgKind, RecvHeader, ServiceId};
pub use syscall::{decode_result, encode_result, SysError, Sysnum};

/// Bit 63 of `scause`: set for an interrupt, clear for an exception (a fault).
pub const SCAUSE_INTERRUPT: u64 = 1 << 63;

/// An `scause` with [`SCAUSE_INTERRUPT`] set where a fault's cause was expected: an
/// interrupt ends no process, so it has no fault exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterruptCause(pub u64);

impl core::fmt::Display for InterruptCause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "scause {:#x} is an interrupt, not a fault", self.0)
    }
}

impl core::error::Error for InterruptCause {}

/// Exit code of a process ended by a fault with cause `scause`: `-(scause + 1)`, for
/// every exception cause (bit 63 clear: 0 gives -1, `2^63 - 1` gives `i64::MIN`), without
/// masking. An interrupt cause is an error. This is the one definition of the rule; the
/// crash tools read it back (`nxcd::fault_cause`), and a cross-crate test
/// (tests/crashdump_v2_host) proves the two agree for every cause.
pub fn fault_exit_code(scause: u64) -> Result<i64, InterruptCause> {
    if scause & SCAUSE_INTERRUPT != 0 {
        return Err(InterruptCause(scause));
    }
    // Bit 63 is clear, so the cause fits an i64 and `-1 - cause` cannot overflow.
    let cause = i64::try_from(scause).map_err(|_| InterruptCause(scause))?;
    Ok(-1 - cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_exit_code_is_minus_cause_plus_one() {
        assert_eq!(fault_exit_code(13), Ok(-14));
        assert_eq!(fault_exit_code(2), Ok(-3));
        assert_eq!(fault_exit_code(0), Ok(-1));
    }

    #[test]
    fn fault_exit_code_never_masks_the_cause() {
        assert_eq!(fault_exit_code(0x1000), Ok(-0x1001));
        assert_eq!(fault_exit_code(0x1000 + 13), Ok(-0x1000 - 14));
        assert_eq!(fault_exit_code(SCAUSE_INTERRUPT - 1), Ok(i64::MIN));
    }

    #[test]
    fn an_interrupt_cause_has_no_fault_exit_code() {
        for scause in [SCAUSE_INTERRUPT, SCAUSE_INTERRUPT | 5, u64::MAX] {
            assert_eq!(fault_exit_code(scause), Err(InterruptCause(scause)));
        }
    }
}
