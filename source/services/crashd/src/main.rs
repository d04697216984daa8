//! crashd: the crash dump service (docs/reliability/crashd.md). A supervisor (a `spawn`
//! or `runner` program of the boot manifest, decided from the kernel-stamped sender id:
//! `crashd_api::may_submit`) hands it the fault record of a child; crashd builds the
//! `.nxcd` dump with `crashd_api::dump` (the pure part, host-tested) and writes it
//! atomically through statefsd to `state:/crash/<id>.nxcd` (statefsd's `Commit` replaces
//! the file whole or not at all).
//!
//! It prints `crashd: ready` once registered with samgrd, and `crashd: dump written
//! (id=<id> bytes=<n>)` only after statefsd's `Commit` returned ok; then it replies. A
//! request it cannot serve is an error reply, never the end of crashd; anything that
//! fails before it is ready prints `crashd: FAIL: ...` and ends crashd.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use crashd_api::{dump, CrashCode, Error, Op, Stored, Submission};
use initrd::manifest::Manifest;
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::abi::{FaultRecord, ServiceId, SysError};
use nexus_rt::{println, sys};

nexus_rt::entry!(main);

/// The boot manifest the kernel numbers programs by (compiled in, as init does).
const MANIFEST: &[u8] = include_bytes!("../../../apps/init/boot.manifest");

fn main() -> i32 {
    let (manifest, statefsd) = match setup() {
        Ok(s) => s,
        Err(why) => {
            println!("crashd: FAIL: {why}");
            return 1;
        }
    };
    println!("crashd: ready");
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("crashd: FAIL: cannot report to init: {e}");
        return 1;
    }
    let mut buf = vec![0u8; MAX_MSG];
    sys::serve(&mut buf, |sender, buf, len| {
        let reply = handle(&manifest, statefsd, sender, &buf[..len]);
        let n = reply.len().min(buf.len());
        buf[..n].copy_from_slice(&reply[..n]);
        n
    })
}

/// Finds statefsd and registers with samgrd.
fn setup() -> Result<(Manifest<'static>, ServiceId), String> {
    let manifest = Manifest::parse(MANIFEST).map_err(|e| format!("boot manifest: {e}"))?;
    let samgrd = init_api::Client::new(sys::Ipc)
        .locate(samgrd_api::SERVICE_NAME)
        .map_err(|e| format!("locate samgrd: {e}"))?;
    let statefsd = samgrd_api::Client::new(sys::Ipc, samgrd)
        .lookup(statefsd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup statefsd: {e}"))?;
    samgrd_api::Client::new(sys::Ipc, samgrd)
        .register(crashd_api::SERVICE_NAME)
        .map_err(|e| format!("register with samgrd: {e}"))?;
    Ok((manifest, statefsd))
}

/// One request from `sender` (the kernel-stamped id), answered.
fn handle(manifest: &Manifest<'_>, statefsd: ServiceId, sender: ServiceId, req: &[u8]) -> Vec<u8> {
    let result = match req.split_first() {
        Some((&op, arg)) => match Op::from_byte(op) {
            Some(Op::Submit) if crashd_api::may_submit(manifest.by_id(sender)) => {
                submit(statefsd, arg).map(|s| s.encode())
            }
            Some(Op::Submit) => Err(Error::Sys(SysError::Denied)),
            Some(Op::Stat) => stat(statefsd, arg).map(|n| n.to_le_bytes().to_vec()),
            None => Err(Error::Sys(SysError::BadSyscall)),
        },
        None => Err(Error::Sys(SysError::BadLength)),
    };
    crashd_api::reply(result.as_deref().map_err(|e| *e))
}

/// Builds the dump of a submitted record and writes it through statefsd.
fn submit(statefsd: ServiceId, arg: &[u8]) -> Result<Stored, Error> {
    let sub = Submission::decode(arg)?;
    let record = FaultRecord::decode(sub.record).map_err(|e| {
        println!("crashd: refused a record of {}: {e}", sub.program);
        Error::Crash(CrashCode::BadRecord)
    })?;
    let (id, bytes) = dump::encode(&sub, &record).map_err(|e| {
        println!("crashd: refused a record of {}: {e}", sub.program);
        Error::Crash(CrashCode::BadDump)
    })?;
    let path = crashd_api::dump_path(id.as_str());
    let mut ipc = sys::Ipc;
    statefsd_api::Client::new(&mut ipc, statefsd)
        .write_file(&path, &bytes)
        .map_err(|e| {
            println!("crashd: cannot write {path}: {e:?}");
            Error::Crash(CrashCode::Store)
        })?;
    println!(
        "crashd: dump written (id={} bytes={})",
        id.as_str(),
        bytes.len()
    );
    Ok(Stored {
        id: String::from(id.as_str()),
        size: bytes.len() as u64,
    })
}

/// The size of a stored dump, as statefsd reports it.
fn stat(statefsd: ServiceId, arg: &[u8]) -> Result<u64, Error> {
    let id = core::str::from_utf8(arg)
        .ok()
        .filter(|id| dump::valid_id(id))
        .ok_or(Error::Sys(SysError::BadLength))?;
    let mut ipc = sys::Ipc;
    match statefsd_api::Client::new(&mut ipc, statefsd).stat(&crashd_api::dump_path(id)) {
        Ok(entry) if !entry.dir => Ok(entry.size),
        Ok(_) | Err(statefsd_api::Error::Store(statefsd_api::StoreCode::NotFound)) => {
            Err(Error::Crash(CrashCode::NotFound))
        }
        Err(_) => Err(Error::Crash(CrashCode::Store)),
    }
}
