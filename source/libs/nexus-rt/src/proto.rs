//! The request convention of os-lite services (`abi::rpc`: an op byte and an argument;
//! a status byte and a body) over this runtime's `call`, and constants the test
//! programs share.
//!
//! Each service's ops, errors and client stubs live in its own `-api` crate beside it
//! (`init-api`, `samgrd-api`), over [`crate::sys::Ipc`]:
//! `init_api::Client::new(sys::Ipc).locate("samgrd")`.

use crate::sys;
use abi::ServiceId;
use abi::SysError;
use alloc::vec::Vec;

pub use abi::rpc::{request, status, u32_of, u64_of};

/// An address the fault tests use: inside selftest-client's heap (it grows its heap
/// past it first), never mapped in the fault program that stores to it.
pub const SIBLING_ADDR: usize = abi::layout::HEAP_BASE + 0x10_0000;

/// Calls `dst` with `op arg`; checks the status byte; returns the reply body.
pub fn rpc(dst: ServiceId, op: u8, arg: &[u8]) -> Result<Vec<u8>, SysError> {
    abi::rpc::rpc(&mut sys::Ipc, dst, op, arg)
}
