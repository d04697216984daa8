//! init's IPC interface (the first program, which starts the boot services): its ops and
//! client stubs, used by init and by every client.
//!
//! init is always service id [`INIT_ID`]. Requests follow `abi::rpc`:
//!
//! | op | request | reply body | who |
//! | --- | --- | --- | --- |
//! | 1 `Ready` | | empty | the `boot` program init is waiting for |
//! | 2 `Locate` | name | id `u32` (`NoSuchProgram`) | anyone |
//! | 5 `Reboot` | | none: the machine resets | the `final` program |
//!
//! Anything else is `NotPermitted`, 3 and 4 included: they were `Run` and `Wait`, which
//! moved to execd (`execd-api`), the supervisor of the `ondemand` and `app` programs.
//! `Reboot` is never answered when it succeeds: init asks the kernel to reset the machine
//! (`abi::Sysnum::Reboot`, init's alone), and firmware and kernel start again on the same
//! disks.
#![no_std]

extern crate alloc;

use abi::rpc::{self, Caller};
use abi::{ServiceId, SysError};
use alloc::vec::Vec;

/// init's service id: the first program of the boot manifest.
pub const INIT_ID: ServiceId = 1;

/// init's operations.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A `boot` program is up.
    Ready = 1,
    /// The service id of a manifest program.
    Locate = 2,
    /// Reset the machine (the `final` program only).
    Reboot = 5,
}

impl Op {
    /// The op with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<Op> {
        Some(match b {
            1 => Op::Ready,
            2 => Op::Locate,
            5 => Op::Reboot,
            _ => return None,
        })
    }
}

/// A client of init, calling through `caller`.
pub struct Client<C> {
    caller: C,
}

impl<C: Caller> Client<C> {
    /// A client of init (service id [`INIT_ID`]).
    pub fn new(caller: C) -> Client<C> {
        Client { caller }
    }

    fn rpc(&mut self, op: Op, arg: &[u8]) -> Result<Vec<u8>, SysError> {
        rpc::rpc(&mut self.caller, INIT_ID, op as u8, arg)
    }

    /// Tells init this boot program is ready; returns when init has taken note.
    pub fn ready(&mut self) -> Result<(), SysError> {
        self.rpc(Op::Ready, &[]).map(|_| ())
    }

    /// The service id of manifest program `name`.
    pub fn locate(&mut self, name: &str) -> Result<ServiceId, SysError> {
        rpc::u32_of(&self.rpc(Op::Locate, name.as_bytes())?)
    }

    /// Asks init to reset the machine (the `final` program only). Returns only with a
    /// refusal.
    pub fn reboot(&mut self) -> SysError {
        match self.rpc(Op::Reboot, &[]) {
            Err(e) => e,
            Ok(_) => SysError::BadSyscall,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replies with `reply` to every call, keeping the last request.
    struct Canned {
        reply: Vec<u8>,
        last: Vec<u8>,
    }

    impl Caller for Canned {
        fn call(
            &mut self,
            dst: ServiceId,
            req: &[u8],
            reply: &mut [u8],
        ) -> Result<usize, SysError> {
            assert_eq!(dst, INIT_ID);
            self.last = req.to_vec();
            reply[..self.reply.len()].copy_from_slice(&self.reply);
            Ok(self.reply.len())
        }
    }

    fn client(reply: Vec<u8>) -> Client<Canned> {
        Client::new(Canned {
            reply,
            last: Vec::new(),
        })
    }

    #[test]
    fn ops_roundtrip_through_their_bytes() {
        for op in [Op::Ready, Op::Locate, Op::Reboot] {
            assert_eq!(Op::from_byte(op as u8), Some(op));
        }
        // Run and Wait moved to execd: their bytes are no op of init's.
        for retired in [3, 4, 9] {
            assert_eq!(Op::from_byte(retired), None);
        }
    }

    #[test]
    fn refusals_come_back_as_errors() {
        let mut c = client(rpc::status(Err(SysError::NoSuchProgram)));
        assert_eq!(c.locate("spinner"), Err(SysError::NoSuchProgram));
        assert_eq!(
            c.caller.last,
            [Op::Locate as u8, b's', b'p', b'i', b'n', b'n', b'e', b'r']
        );
        let mut c = client(alloc::vec![0, 4, 0]);
        assert_eq!(c.locate("x"), Err(SysError::BadLength));
        let mut c = client(rpc::status(Err(SysError::NotPermitted)));
        assert_eq!(c.reboot(), SysError::NotPermitted);
        assert_eq!(c.caller.last, [Op::Reboot as u8]);
    }
}
