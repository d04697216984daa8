//! samgrd: the service registry. Binds names to the service ids the kernel stamps on
//! each request (never to ids named in a payload) and answers lookups. It registers
//! itself, prints `samgrd: ready` once its endpoint serves, and tells init.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use nexus_rt::abi::{MsgKind, ServiceId, SysError};
use nexus_rt::proto::{self, status};
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
    let mut buf = alloc::vec![0u8; nexus_rt::abi::ipc::MAX_MSG];
    println!("samgrd: ready");
    if let Err(e) = proto::init_ready() {
        println!("samgrd: FAIL: cannot report to init: {e}");
        return 1;
    }
    loop {
        let hdr = match sys::recv(&mut buf) {
            Ok(h) => h,
            Err(_) => continue,
        };
        if hdr.kind != MsgKind::Call {
            continue;
        }
        served += 1;
        let msg = &buf[..hdr.len as usize];
        let reply = handle(&mut names, served, hdr.sender, msg);
        let _ = sys::reply(hdr.sender, &reply);
    }
}

fn name_of(arg: &[u8]) -> Result<&str, SysError> {
    if arg.is_empty() || arg.len() > MAX_NAME {
        return Err(SysError::BadLength);
    }
    core::str::from_utf8(arg).map_err(|_| SysError::BadLength)
}

fn handle(
    names: &mut BTreeMap<String, ServiceId>,
    served: u64,
    sender: ServiceId,
    msg: &[u8],
) -> Vec<u8> {
    let Some((op, arg)) = msg.split_first() else {
        return status(Err(SysError::BadLength));
    };
    match *op {
        proto::SAM_REGISTER => status(name_of(arg).and_then(|name| match names.get(name) {
            Some(id) if *id != sender => Err(SysError::Denied),
            Some(_) => Ok(&[][..]),
            None if names.len() >= MAX_NAMES => Err(SysError::NoMemory),
            None => {
                names.insert(String::from(name), sender);
                Ok(&[][..])
            }
        })),
        proto::SAM_LOOKUP => {
            match name_of(arg).and_then(|n| names.get(n).ok_or(SysError::NoSuchService)) {
                Ok(id) => status(Ok(&id.to_le_bytes())),
                Err(e) => status(Err(e)),
            }
        }
        proto::SAM_ECHO => {
            let mut body = Vec::from(sender.to_le_bytes());
            body.extend_from_slice(arg);
            body.truncate(nexus_rt::abi::ipc::MAX_MSG - 1);
            status(Ok(&body))
        }
        proto::SAM_COUNT => status(Ok(&served.to_le_bytes())),
        _ => status(Err(SysError::BadSyscall)),
    }
}
