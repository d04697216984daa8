//! samgrd's IPC interface (the registry of service names): its ops, limits and client
//! stubs, used by samgrd and by every client, so the two sides cannot drift.
//!
//! Requests follow `abi::rpc` (an op byte, then the argument; replies a status byte,
//! then the body):
//!
//! | op | request | reply body | errors |
//! | --- | --- | --- | --- |
//! | 1 `Register` | name (1 to 64 bytes of UTF-8) | empty | `Denied` (bound to another id), `NoMemory` (64 names), `BadLength` |
//! | 2 `Lookup` | name | id `u32` | `NoSuchService`, `BadLength` |
//! | 3 `Echo` | bytes (at most [`MAX_ECHO`]) | the sender's id as samgrd saw it `u32`, then the bytes | |
//! | 4 `Count` | | requests served `u64` | |
//!
//! An unknown op is `BadSyscall`; an empty request `BadLength`. `Register` binds the name
//! to the **kernel-given sender id**, never to an id named in the payload.
#![no_std]

extern crate alloc;

use abi::ipc::MAX_MSG;
use abi::rpc::{self, Caller};
use abi::{ServiceId, SysError};
use alloc::vec::Vec;

/// The name samgrd registers itself under.
pub const SERVICE_NAME: &str = "samgrd";
/// Longest service name.
pub const MAX_NAME: usize = 64;
/// Most names the registry holds.
pub const MAX_NAMES: usize = 64;
/// Longest echo payload: the reply carries 5 more bytes (status and sender id).
pub const MAX_ECHO: usize = MAX_MSG - 5;

/// samgrd's operations.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Bind a name to the sender.
    Register = 1,
    /// The id bound to a name.
    Lookup = 2,
    /// The payload back, after the sender's id as samgrd saw it.
    Echo = 3,
    /// How many requests samgrd has served.
    Count = 4,
}

impl Op {
    /// The op with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<Op> {
        Some(match b {
            1 => Op::Register,
            2 => Op::Lookup,
            3 => Op::Echo,
            4 => Op::Count,
            _ => return None,
        })
    }

    /// A request of this op with argument `arg`.
    pub fn request(self, arg: &[u8]) -> Vec<u8> {
        rpc::request(self as u8, arg)
    }
}

/// A name argument: 1 to [`MAX_NAME`] bytes of UTF-8 (else `BadLength`).
pub fn name_of(arg: &[u8]) -> Result<&str, SysError> {
    if arg.is_empty() || arg.len() > MAX_NAME {
        return Err(SysError::BadLength);
    }
    core::str::from_utf8(arg).map_err(|_| SysError::BadLength)
}

/// A client of samgrd at `server`, calling through `caller`.
pub struct Client<C> {
    caller: C,
    server: ServiceId,
}

impl<C: Caller> Client<C> {
    /// A client of the samgrd whose service id is `server`.
    pub fn new(caller: C, server: ServiceId) -> Client<C> {
        Client { caller, server }
    }

    fn rpc(&mut self, op: Op, arg: &[u8]) -> Result<Vec<u8>, SysError> {
        rpc::rpc(&mut self.caller, self.server, op as u8, arg)
    }

    /// Binds `name` to the caller's own id.
    pub fn register(&mut self, name: &str) -> Result<(), SysError> {
        self.rpc(Op::Register, name.as_bytes()).map(|_| ())
    }

    /// The service id bound to `name`.
    pub fn lookup(&mut self, name: &str) -> Result<ServiceId, SysError> {
        rpc::u32_of(&self.rpc(Op::Lookup, name.as_bytes())?)
    }

    /// Echoes `payload`: the caller's id as samgrd saw it, and the bytes.
    pub fn echo(&mut self, payload: &[u8]) -> Result<(ServiceId, Vec<u8>), SysError> {
        let body = self.rpc(Op::Echo, payload)?;
        let sender = rpc::u32_of(&body)?;
        Ok((sender, body[4..].to_vec()))
    }

    /// How many requests samgrd has served.
    pub fn count(&mut self) -> Result<u64, SysError> {
        rpc::u64_of(&self.rpc(Op::Count, &[])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    /// A registry behind a fake `call`, as samgrd answers, with a fixed sender id.
    struct Fake {
        sender: ServiceId,
        names: Vec<(String, ServiceId)>,
        served: u64,
    }

    impl Caller for Fake {
        fn call(
            &mut self,
            dst: ServiceId,
            req: &[u8],
            reply: &mut [u8],
        ) -> Result<usize, SysError> {
            assert_eq!(dst, 2);
            self.served += 1;
            let (&op, arg) = req.split_first().ok_or(SysError::BadLength)?;
            let body: Result<Vec<u8>, SysError> = match Op::from_byte(op) {
                Some(Op::Register) => {
                    name_of(arg).and_then(|n| match self.names.iter().find(|(k, _)| k == n) {
                        Some((_, id)) if *id != self.sender => Err(SysError::Denied),
                        Some(_) => Ok(vec![]),
                        None => {
                            self.names.push((String::from(n), self.sender));
                            Ok(vec![])
                        }
                    })
                }
                Some(Op::Lookup) => name_of(arg).and_then(|n| {
                    self.names
                        .iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, id)| id.to_le_bytes().to_vec())
                        .ok_or(SysError::NoSuchService)
                }),
                Some(Op::Echo) => {
                    let mut b = self.sender.to_le_bytes().to_vec();
                    b.extend_from_slice(arg);
                    Ok(b)
                }
                Some(Op::Count) => Ok(self.served.to_le_bytes().to_vec()),
                None => Err(SysError::BadSyscall),
            };
            let out = rpc::status(body.as_deref().map_err(|e| *e));
            reply[..out.len()].copy_from_slice(&out);
            Ok(out.len())
        }
    }

    fn client(sender: ServiceId) -> Client<Fake> {
        Client::new(
            Fake {
                sender,
                names: vec![(String::from(SERVICE_NAME), 2)],
                served: 0,
            },
            2,
        )
    }

    #[test]
    fn ops_roundtrip_through_their_bytes() {
        for op in [Op::Register, Op::Lookup, Op::Echo, Op::Count] {
            assert_eq!(Op::from_byte(op as u8), Some(op));
        }
        assert_eq!(Op::from_byte(0), None);
        assert_eq!(Op::from_byte(5), None);
        assert_eq!(Op::Lookup.request(b"x"), [2, b'x']);
    }

    #[test]
    fn a_registered_name_looks_up_to_the_senders_id() {
        let mut c = client(7);
        assert_eq!(c.register("logd"), Ok(()));
        assert_eq!(c.lookup("logd"), Ok(7));
        assert_eq!(c.lookup(SERVICE_NAME), Ok(2));
        assert_eq!(c.lookup("nobody"), Err(SysError::NoSuchService));
    }

    #[test]
    fn a_name_bound_to_another_id_is_denied() {
        let mut c = client(7);
        assert_eq!(c.register(SERVICE_NAME), Err(SysError::Denied));
    }

    #[test]
    fn names_are_one_to_64_bytes() {
        assert_eq!(name_of(b""), Err(SysError::BadLength));
        assert_eq!(name_of(&[b'a'; MAX_NAME + 1]), Err(SysError::BadLength));
        assert_eq!(name_of(&[0xff]), Err(SysError::BadLength));
        assert_eq!(name_of(b"samgrd"), Ok("samgrd"));
    }

    #[test]
    fn echo_and_count_decode_their_bodies() {
        let mut c = client(9);
        assert_eq!(c.echo(b"hi"), Ok((9, b"hi".to_vec())));
        assert_eq!(c.count(), Ok(2));
    }
}
