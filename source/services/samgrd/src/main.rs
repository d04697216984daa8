//! samgrd: the service registry. Binds names to the service ids the kernel stamps on
//! each request (never to ids named in a payload) and answers lookups. It registers
//! itself, prints `samgrd: ready` (its endpoint takes requests from its start: the kernel
//! queues callers in its inbox until its loop receives them), then tells init, which
//! starts the next program only after that.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::abi::{ServiceId, SysError};
use nexus_rt::{log, println, sys};
use samgrd_api::{name_of, Op, MAX_NAMES, SERVICE_NAME};

nexus_rt::entry!(main);

fn main() -> i32 {
    let mut names: BTreeMap<String, ServiceId> = BTreeMap::new();
    names.insert(String::from(SERVICE_NAME), sys::self_id());
    let mut served: u64 = 0;
    // One buffer, as an IPC buffer: each request arrives in it and its reply is written
    // over it, then sent from it.
    let mut buf = alloc::vec![0u8; MAX_MSG];
    println!("samgrd: ready");
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("samgrd: FAIL: cannot report to init: {e}");
        return 1;
    }
    // Each turn answers the previous caller and takes the next request in one kernel
    // entry.
    // Registrations to log: held until logd has registered, then sent while serving a
    // request from anyone but logd (never while logd waits on samgrd).
    let mut pending: Vec<String> = Vec::new();
    let mut log: Option<log::Logger<log::Backend>> = None;
    sys::serve(&mut buf, |sender, buf, len| {
        served += 1;
        let logd = names.get(log::LOGD_NAME).copied();
        if logd.is_some_and(|id| id != sender) {
            if log.is_none() {
                log = log::connect(logd.ok_or(SysError::NoSuchService), "samgrd");
            }
            if let Some(log) = log.as_mut() {
                for message in pending.drain(..) {
                    log::send(log, log::Level::Info, &message, &log::Fields::new());
                }
            }
        }
        let registering = match buf[..len.min(buf.len())].split_first() {
            Some((&op, arg)) if Op::from_byte(op) == Some(Op::Register) => {
                name_of(arg).ok().map(String::from)
            }
            _ => None,
        };
        let before = names.len();
        let n = handle(&mut names, served, sender, buf, len);
        if let Some(name) = registering.filter(|_| names.len() > before) {
            if pending.len() < MAX_NAMES {
                pending.push(format!("registered {name} (service {sender})"));
            }
        }
        n
    })
}

/// Answers the request `buf[..len]` from `sender` in place: writes the reply (a status
/// byte, then the body) over `buf` and returns its length.
fn handle(
    names: &mut BTreeMap<String, ServiceId>,
    served: u64,
    sender: ServiceId,
    buf: &mut [u8],
    len: usize,
) -> usize {
    let len = len.min(buf.len());
    let Some((&op, arg)) = buf[..len].split_first() else {
        return error(buf, SysError::BadLength);
    };
    let body = match Op::from_byte(op) {
        Some(Op::Register) => name_of(arg)
            .and_then(|name| match names.get(name) {
                Some(id) if *id != sender => Err(SysError::Denied),
                Some(_) => Ok(()),
                None if names.len() >= MAX_NAMES => Err(SysError::NoMemory),
                None => {
                    names.insert(String::from(name), sender);
                    Ok(())
                }
            })
            .map(|()| 0),
        Some(Op::Lookup) => name_of(arg)
            .and_then(|n| names.get(n).copied().ok_or(SysError::NoSuchService))
            .map(|id| put(buf, &id.to_le_bytes())),
        Some(Op::Echo) => {
            // The payload moves up four bytes to make room for the sender's id.
            let n = arg.len().min(samgrd_api::MAX_ECHO);
            buf.copy_within(1..1 + n, 5);
            Ok(put(buf, &sender.to_le_bytes()) + n)
        }
        Some(Op::Count) => Ok(put(buf, &served.to_le_bytes())),
        None => Err(SysError::BadSyscall),
    };
    match body {
        Ok(n) => {
            buf[0] = 0;
            1 + n
        }
        Err(e) => error(buf, e),
    }
}

/// Writes `bytes` just after the status byte; returns their length.
fn put(buf: &mut [u8], bytes: &[u8]) -> usize {
    buf[1..1 + bytes.len()].copy_from_slice(bytes);
    bytes.len()
}

/// A reply of the status byte alone.
fn error(buf: &mut [u8], e: SysError) -> usize {
    buf[0] = e as u8;
    1
}
