//! crashd: the crash dump service (docs/reliability/crashd.md). A supervisor (a `spawn`
//! or `runner` program of the boot manifest, decided from the kernel-stamped sender id:
//! `crashd_api::may_submit`) hands it the fault record of a child; crashd builds the
//! `.nxcd` dump with `crashd_api::dump` and writes it atomically through statefsd to
//! `state:/crash/<id>.nxcd` (statefsd's `Commit` replaces the file whole or not at all).
//! The request handling is `crashd_api::server` (sans-IO, host-tested); this program is
//! its I/O: the IPC loop, statefsd as the store, the UART.
//!
//! Before a dump is built it reads the recent log records from logd (QUERY through its
//! logger, each call bounded by the logger's deadline: `crashd_api::logs`); it keeps
//! `state:/crash` within its budget, counts repeats in the stored dump
//! (`crashd_api::server`).
//!
//! At start it loads the symbol index the initrd carries (`symbols.nxsym`, [`symbols`])
//! and symbolizes every new dump's frames with it before storing it; the `Submit` reply
//! names the functions for execd's crash report.
//!
//! It prints `crashd: ready` once registered with samgrd, and `crashd: dump written
//! (id=<id> bytes=<n>)` only after statefsd's `Commit` returned ok; then it replies. A
//! request it cannot serve is an error reply, never the end of crashd; anything that
//! fails before it is ready prints `crashd: FAIL: ...` and ends crashd.
#![no_std]
#![no_main]

extern crate alloc;

mod symbols;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use crashd_api::logs::LogSource;
use crashd_api::server::{Crashd, DumpStore, Io};
use crashd_api::symbols::{NoSymbols, Symbols};
use initrd::manifest::Manifest;
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::abi::ServiceId;
use nexus_rt::log::{Backend, CallFailure, LogError, Logger, Record};
use nexus_rt::{log, println, sys};

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
    // The symbol index: without it, dumps are stored unsymbolized (and say so here).
    let mut index: alloc::boxed::Box<dyn Symbols> = match symbols::Index::load() {
        Ok((index, modules, bytes)) => {
            println!("crashd: symbols: {modules} modules ({bytes} bytes) from the initrd");
            alloc::boxed::Box::new(index)
        }
        Err(why) => {
            println!("crashd: symbols: {why}; dumps are stored unsymbolized");
            alloc::boxed::Box::new(NoSymbols)
        }
    };
    println!("crashd: ready");
    let logd = init_api::Client::new(sys::Ipc).locate(log::LOGD_NAME);
    let mut logger = log::connect(logd, "crashd");
    if let Some(log) = logger.as_mut() {
        log::send(log, log::Level::Info, "ready", &log::Fields::new());
    }
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("crashd: FAIL: cannot report to init: {e}");
        return 1;
    }
    let mut store = Statefsd(statefsd);
    let mut logs = Logs(logger);
    let mut crashd = Crashd::new();
    // One IPC buffer: each request arrives in it and its reply is sent from it.
    let mut buf = vec![0u8; MAX_MSG];
    sys::serve(&mut buf, |sender, buf, len| {
        // The sender's program is decided from the id the kernel stamped on the message.
        let io = Io {
            store: &mut store,
            logd: &mut logs,
            symbols: index.as_mut(),
        };
        let handled = crashd.handle(io, &manifest, sender, &buf[..len]);
        for line in &handled.lines {
            println!("{line}");
        }
        let n = handled.reply.len().min(buf.len());
        buf[..n].copy_from_slice(&handled.reply[..n]);
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

/// logd, read by QUERY through crashd's logger (each call bounded by its deadline).
struct Logs(Option<Logger<Backend>>);

impl LogSource for Logs {
    fn query(&mut self, since_ns: u64, max: u16) -> Result<Vec<Record>, String> {
        let log = self
            .0
            .as_mut()
            .ok_or_else(|| String::from("crashd found no logd"))?;
        match log.query(since_ns, max) {
            Ok((records, _, _)) => Ok(records),
            Err(LogError::Backend(CallFailure::TimedOut)) => {
                Err(String::from("logd did not answer in time"))
            }
            Err(LogError::Backend(CallFailure::Gone)) => Err(String::from("logd is not running")),
            Err(e) => Err(format!("logd: {e}")),
        }
    }
}

/// statefsd as crashd's dump store.
struct Statefsd(ServiceId);

impl DumpStore for Statefsd {
    type Error = statefsd_api::Error;

    fn write(&mut self, path: &str, bytes: &[u8]) -> Result<(), statefsd_api::Error> {
        let mut ipc = sys::Ipc;
        statefsd_api::Client::new(&mut ipc, self.0).write_file(path, bytes)
    }

    fn size(&mut self, path: &str) -> Result<Option<u64>, statefsd_api::Error> {
        let mut ipc = sys::Ipc;
        match statefsd_api::Client::new(&mut ipc, self.0).stat(path) {
            Ok(entry) if !entry.dir => Ok(Some(entry.size)),
            Ok(_) | Err(statefsd_api::Error::Service(statefsd_api::StoreCode::NotFound)) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn list(&mut self, dir: &str) -> Result<Vec<(String, u64)>, statefsd_api::Error> {
        let mut ipc = sys::Ipc;
        match statefsd_api::Client::new(&mut ipc, self.0).list(dir) {
            Ok(entries) => Ok(entries
                .into_iter()
                .filter(|e| !e.dir)
                .map(|e| (e.name, e.size))
                .collect()),
            Err(statefsd_api::Error::Service(statefsd_api::StoreCode::NotFound)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn read(&mut self, path: &str, max: u64) -> Result<Vec<u8>, statefsd_api::Error> {
        let mut ipc = sys::Ipc;
        statefsd_api::Client::new(&mut ipc, self.0).read_file(path, max)
    }

    fn remove(&mut self, path: &str) -> Result<(), statefsd_api::Error> {
        let mut ipc = sys::Ipc;
        statefsd_api::Client::new(&mut ipc, self.0).remove(path)
    }

    fn is_full(e: &statefsd_api::Error) -> bool {
        matches!(
            e,
            statefsd_api::Error::Service(statefsd_api::StoreCode::NoSpace)
        )
    }
}
