//! samgrd: the service registry. Binds names to the service ids the kernel stamps on
//! each request (never to ids named in a payload) and answers lookups. It registers
//! itself, prints `samgrd: ready` once its endpoint serves, and tells init.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::abi::{MsgKind, ServiceId, SysError};
use nexus_rt::proto;
use nexus_rt::{println, sys};

nexus_rt::entry!(main);

/// Most names the registry holds.
const MAX_NAMES: usize = 64;
/// Longest service name.
const MAX_NAME: usize = 64;

fn main() -> i32 {
    let mut names: BTreeMap<String, ServiceId> = BTreeMap::new();
    names.insert(String::from("samgrd"), sys::self_id());
    let mut served: u64 = 0;
    let mut buf = alloc::vec![0u8; MAX_MSG];
    // The reply, rebuilt in place for each request (no allocation once grown).
    let mut out: Vec<u8> = Vec::with_capacity(MAX_MSG);
    println!("samgrd: ready");
    if let Err(e) = proto::init_ready() {
        println!("samgrd: FAIL: cannot report to init: {e}");
        return 1;
    }
    // Each turn answers the previous caller and takes the next request in one kernel
    // entry.
    let mut answer: Option<ServiceId> = None;
    loop {
        let hdr = match sys::reply_recv(answer.take(), &out, &mut buf) {
            Ok(h) => h,
            Err(_) => continue,
        };
        if hdr.kind != MsgKind::Call {
            continue;
        }
        served += 1;
        out.clear();
        let msg = &buf[..hdr.len as usize];
        handle(&mut names, served, hdr.sender, msg, &mut out);
        answer = Some(hdr.sender);
    }
}

fn name_of(arg: &[u8]) -> Result<&str, SysError> {
    if arg.is_empty() || arg.len() > MAX_NAME {
        return Err(SysError::BadLength);
    }
    core::str::from_utf8(arg).map_err(|_| SysError::BadLength)
}

/// Writes the reply to `msg` from `sender` into `out` (empty): a status byte, then the
/// body.
fn handle(
    names: &mut BTreeMap<String, ServiceId>,
    served: u64,
    sender: ServiceId,
    msg: &[u8],
    out: &mut Vec<u8>,
) {
    let Some((op, arg)) = msg.split_first() else {
        out.push(SysError::BadLength as u8);
        return;
    };
    out.push(0);
    let result = match *op {
        proto::SAM_REGISTER => name_of(arg).and_then(|name| match names.get(name) {
            Some(id) if *id != sender => Err(SysError::Denied),
            Some(_) => Ok(()),
            None if names.len() >= MAX_NAMES => Err(SysError::NoMemory),
            None => {
                names.insert(String::from(name), sender);
                Ok(())
            }
        }),
        proto::SAM_LOOKUP => name_of(arg)
            .and_then(|n| names.get(n).ok_or(SysError::NoSuchService))
            .map(|id| out.extend_from_slice(&id.to_le_bytes())),
        proto::SAM_ECHO => {
            out.extend_from_slice(&sender.to_le_bytes());
            out.extend_from_slice(&arg[..arg.len().min(MAX_MSG - 5)]);
            Ok(())
        }
        proto::SAM_COUNT => {
            out.extend_from_slice(&served.to_le_bytes());
            Ok(())
        }
        _ => Err(SysError::BadSyscall),
    };
    if let Err(e) = result {
        out.clear();
        out.push(e as u8);
    }
}
