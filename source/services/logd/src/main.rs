//! logd in the OS (package `logd-os`): the RFC-0011 journal of the `logd` crate over
//! kernel IPC, unchanged: each call's payload is one v1 request frame (APPEND, QUERY,
//! STATS) and the reply is its response frame, both made by `logd::handle_request`, the
//! code the host daemon runs. A record's origin is the kernel-stamped sender of the call
//! (`logd::ServiceId::from_kernel(sender, incarnation)`), never a payload field; its
//! stamp is `sys::time_ns` (ns since kernel start). The journal is allocated whole at
//! start ([`JOURNAL`]) and drops the oldest records when full, so a flood never grows
//! logd's memory.
//!
//! It registers with samgrd as `logd`, stores a record of its own start, prints `logd:
//! ready` (its endpoint takes requests from its start: the kernel queues callers until its
//! loop receives them), then tells init. It prints its heap footprint as `bench: logd
//! heap ...` at ready and again when the drops reach one and four journals' worth of
//! records (the flood figure of `just bench-os`). A frame it cannot serve gets its
//! status (`STATUS_MALFORMED`, `STATUS_UNSUPPORTED`, `STATUS_TOO_LARGE`), never the end
//! of logd.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use logd::{Entry, Journal, JournalConfig, Level, ServiceId};
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::{println, sys};

nexus_rt::entry!(main);

/// The journal in the OS: 512 records, 64 KiB of record bytes (about 72 KiB with the
/// index), allocated once.
const JOURNAL: JournalConfig = JournalConfig {
    capacity_records: 512,
    capacity_bytes: 64 * 1024,
};

fn main() -> i32 {
    let mut journal = match Journal::new(JOURNAL) {
        Ok(j) => j,
        Err(e) => {
            println!("logd: FAIL: journal: {e}");
            return 1;
        }
    };
    if let Err(why) = register() {
        println!("logd: FAIL: {why}");
        return 1;
    }
    let me = ServiceId::from_kernel(sys::self_id(), sys::self_incarnation());
    if let Ok(entry) = Entry::new(Level::Info, b"logd", b"journal up", b"") {
        journal.append(sys::time_ns(), me, &entry);
    }
    println!("logd: ready");
    report_heap(0);
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("logd: FAIL: cannot report to init: {e}");
        return 1;
    }
    let flood_marks = [
        u64::from(JOURNAL.capacity_records),
        4 * u64::from(JOURNAL.capacity_records),
    ];
    let mut next_mark = 0;
    let mut request = vec![0u8; MAX_MSG];
    sys::serve_headers(&mut request, |hdr, buf, len| {
        let origin = ServiceId::from_kernel(hdr.sender, hdr.incarnation);
        let mut response = [0u8; logd::wire::MAX_RESPONSE_LEN];
        let n = logd::handle_request(
            &mut journal,
            origin,
            sys::time_ns(),
            &buf[..len],
            &mut response,
        );
        let n = n.min(buf.len());
        buf[..n].copy_from_slice(&response[..n]);
        if let Some(&mark) = flood_marks.get(next_mark) {
            if journal.dropped() >= mark {
                next_mark += 1;
                report_heap(mark);
            }
        }
        n
    })
}

/// Registers with samgrd, found through init.
fn register() -> Result<(), alloc::string::String> {
    let samgrd = init_api::Client::new(sys::Ipc)
        .locate(samgrd_api::SERVICE_NAME)
        .map_err(|e| alloc::format!("locate samgrd: {e}"))?;
    samgrd_api::Client::new(sys::Ipc, samgrd)
        .register(nexus_rt::log::LOGD_NAME)
        .map_err(|e| alloc::format!("register with samgrd: {e}"))
}

/// Prints the heap footprint once `dropped` records have been dropped.
fn report_heap(dropped: u64) {
    println!(
        "bench: logd heap {} bytes at {dropped} records dropped",
        nexus_rt::heap_bytes()
    );
}
