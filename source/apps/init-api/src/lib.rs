//! init's IPC interface (the first program and supervisor): its ops, the reply that
//! reports a program's end, and client stubs, used by init and by every client.
//!
//! init is always service id [`INIT_ID`]. Requests follow `abi::rpc`:
//!
//! | op | request | reply body | who |
//! | --- | --- | --- | --- |
//! | 1 `Ready` | | empty | the `boot` program init is waiting for |
//! | 2 `Locate` | name | id `u32` (`NoSuchProgram`) | anyone |
//! | 3 `Run` | name | id `u32` (`Denied` unless `ondemand`, `NoSuchProgram`) | `runner` programs |
//! | 4 `Wait` | id `u32` | exit code `i64`, then the fault record if it faulted | `runner` programs |
//! | 5 `Reboot` | | none: the machine resets | the `final` program |
//!
//! Anything else is `NotPermitted`. `Wait` is answered once the program has ended.
//! `Reboot` is never answered when it succeeds: init asks the kernel to reset the machine
//! (`abi::Sysnum::Reboot`, init's alone), and firmware and kernel start again on the same
//! disks.
#![no_std]

extern crate alloc;

use abi::rpc::{self, Caller};
use abi::{FaultRecord, ServiceId, SysError};
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
    /// Start an `ondemand` program.
    Run = 3,
    /// Wait for a program started with `Run`.
    Wait = 4,
    /// Reset the machine (the `final` program only).
    Reboot = 5,
}

impl Op {
    /// The op with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<Op> {
        Some(match b {
            1 => Op::Ready,
            2 => Op::Locate,
            3 => Op::Run,
            4 => Op::Wait,
            5 => Op::Reboot,
            _ => return None,
        })
    }
}

/// The reply to `Wait`: status 0, the exit code, then the record's bytes if any.
pub fn ended_reply(code: i64, record: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::from(code.to_le_bytes());
    if let Some(r) = record {
        body.extend_from_slice(r);
    }
    rpc::status(Ok(&body))
}

/// Decodes the body of a `Wait` reply: the exit code and the fault record, if any.
pub fn decode_ended(body: &[u8]) -> Result<(i64, Option<FaultRecord>), SysError> {
    let code = i64::from_le_bytes(
        body.get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(SysError::BadLength)?,
    );
    let record = match body.get(8..) {
        Some(rest) if !rest.is_empty() => {
            Some(FaultRecord::decode(rest).map_err(|_| SysError::BadLength)?)
        }
        _ => None,
    };
    Ok((code, record))
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

    /// Asks init to start `ondemand` program `name` (runners only).
    pub fn run(&mut self, name: &str) -> Result<ServiceId, SysError> {
        rpc::u32_of(&self.rpc(Op::Run, name.as_bytes())?)
    }

    /// Asks init to reset the machine (the `final` program only). Returns only with a
    /// refusal.
    pub fn reboot(&mut self) -> SysError {
        match self.rpc(Op::Reboot, &[]) {
            Err(e) => e,
            Ok(_) => SysError::BadSyscall,
        }
    }

    /// Waits for a program started with [`Client::run`]: its exit code and, for a
    /// fault, its record.
    pub fn wait_for(&mut self, id: ServiceId) -> Result<(i64, Option<FaultRecord>), SysError> {
        decode_ended(&self.rpc(Op::Wait, &id.to_le_bytes())?)
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
        for op in [Op::Ready, Op::Locate, Op::Run, Op::Wait, Op::Reboot] {
            assert_eq!(Op::from_byte(op as u8), Some(op));
        }
        assert_eq!(Op::from_byte(9), None);
    }

    #[test]
    fn wait_sends_the_id_and_decodes_code_and_record() {
        let mut regs = [0u64; abi::fault::REG_COUNT];
        regs[abi::fault::REG_SCAUSE] = 3;
        let rec = FaultRecord::new(regs);
        let mut bytes = alloc::vec![0u8; rec.encoded_len()];
        rec.encode(&mut bytes).unwrap();
        let mut c = client(ended_reply(-4, Some(&bytes)));
        let (code, got) = c.wait_for(12).unwrap();
        assert_eq!(code, -4);
        assert_eq!(got.unwrap().scause(), 3);
        assert_eq!(c.caller.last, [Op::Wait as u8, 12, 0, 0, 0]);
        let mut c = client(ended_reply(0, None));
        assert_eq!(c.wait_for(12), Ok((0, None)));
    }

    #[test]
    fn refusals_come_back_as_errors() {
        let mut c = client(rpc::status(Err(SysError::Denied)));
        assert_eq!(c.run("spinner"), Err(SysError::Denied));
        assert_eq!(
            c.caller.last,
            [Op::Run as u8, b's', b'p', b'i', b'n', b'n', b'e', b'r']
        );
        let mut c = client(alloc::vec![0, 4, 0]);
        assert_eq!(c.locate("x"), Err(SysError::BadLength));
        assert_eq!(decode_ended(&[0; 7]), Err(SysError::BadLength));
        assert_eq!(decode_ended(&[0; 9]), Err(SysError::BadLength));
    }
}
