//! The request protocols of init and samgrd, with their client calls.
//!
//! Requests are one op byte and an argument; replies start with a status byte (0 or a
//! `SysError` code). Integers are little-endian.
//!
//! init (always service id 1, the manifest's first program):
//! `READY` (a `boot` program is up) -> `[0]`; `LOCATE name` -> `[0, id:u32]`;
//! `RUN name` (runners, `ondemand` programs) -> `[0, id:u32]`;
//! `WAIT id` (runners) -> `[0, code:i64, fault record...]` once the program ended.
//!
//! samgrd: `REGISTER name` (binds name to the sender's kernel-given id) -> `[0]`;
//! `LOOKUP name` -> `[0, id:u32]`; `ECHO bytes` -> `[0, sender:u32, bytes]`;
//! `COUNT` -> `[0, served:u64]`.

use crate::sys;
use abi::{FaultRecord, ServiceId, SysError};
use alloc::vec::Vec;

/// init's service id: the first program of the boot manifest.
pub const INIT_ID: ServiceId = 1;

/// init: a boot program reports it is ready.
pub const INIT_READY: u8 = 1;
/// init: the service id of a manifest program.
pub const INIT_LOCATE: u8 = 2;
/// init: start an `ondemand` program.
pub const INIT_RUN: u8 = 3;
/// init: wait for a program started with `RUN`.
pub const INIT_WAIT: u8 = 4;

/// samgrd: register the sender under a name.
pub const SAM_REGISTER: u8 = 1;
/// samgrd: look a name up.
pub const SAM_LOOKUP: u8 = 2;
/// samgrd: echo the payload with the sender's id.
pub const SAM_ECHO: u8 = 3;
/// samgrd: how many requests it has served.
pub const SAM_COUNT: u8 = 4;

/// An address the fault tests use: inside selftest-client's heap (it grows its heap
/// past it first), never mapped in the fault program that stores to it.
pub const SIBLING_ADDR: usize = abi::layout::HEAP_BASE + 0x10_0000;

/// Builds a request: `op` then `arg`.
pub fn request(op: u8, arg: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(1 + arg.len());
    m.push(op);
    m.extend_from_slice(arg);
    m
}

/// Calls `dst` with `op arg`; checks the status byte; returns the reply body.
pub fn rpc(dst: ServiceId, op: u8, arg: &[u8]) -> Result<Vec<u8>, SysError> {
    let mut reply = alloc::vec![0u8; abi::ipc::MAX_MSG];
    let n = sys::call(dst, &request(op, arg), &mut reply)?;
    reply.truncate(n);
    match reply.first() {
        Some(0) => Ok(reply.split_off(1)),
        Some(code) => Err(SysError::from_code(usize::from(*code)).unwrap_or(SysError::BadSyscall)),
        None => Err(SysError::BadLength),
    }
}

/// Reads a little-endian `u32` at the start of `body`.
pub fn u32_of(body: &[u8]) -> Result<u32, SysError> {
    let b = body.get(..4).ok_or(SysError::BadLength)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A status-prefixed reply.
pub fn status(result: Result<&[u8], SysError>) -> Vec<u8> {
    match result {
        Ok(body) => request(0, body),
        Err(e) => alloc::vec![e as u8],
    }
}

/// Tells init this boot program is ready; returns when init has taken note.
pub fn init_ready() -> Result<(), SysError> {
    rpc(INIT_ID, INIT_READY, &[]).map(|_| ())
}

/// The service id of manifest program `name`, from init.
pub fn locate(name: &str) -> Result<ServiceId, SysError> {
    u32_of(&rpc(INIT_ID, INIT_LOCATE, name.as_bytes())?)
}

/// Asks init to start `ondemand` program `name`.
pub fn run(name: &str) -> Result<ServiceId, SysError> {
    u32_of(&rpc(INIT_ID, INIT_RUN, name.as_bytes())?)
}

/// Waits (through init) for a program started with [`run`]: its exit code and, for a
/// fault, its record.
pub fn wait_for(id: ServiceId) -> Result<(i64, Option<FaultRecord>), SysError> {
    let body = rpc(INIT_ID, INIT_WAIT, &id.to_le_bytes())?;
    let code = body.get(..8).ok_or(SysError::BadLength)?;
    let mut c = [0u8; 8];
    c.copy_from_slice(code);
    let record = match body.get(8..) {
        Some(rest) if !rest.is_empty() => {
            Some(FaultRecord::decode(rest).map_err(|_| SysError::BadLength)?)
        }
        _ => None,
    };
    Ok((i64::from_le_bytes(c), record))
}
