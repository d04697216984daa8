//! The log proofs, by QUERY of logd and never by reading the UART: this program's own
//! records come back under the origin the kernel stamped (a scope or field naming
//! another service changes nothing), frames logd must refuse get their status and store
//! nothing, and each core service has a record in the journal. Also logd's figures for
//! `just bench-os`: APPEND and QUERY round trips beside a bare IPC round trip, and the
//! journal under a flood. And the crash report: execd's crash.v1 record of crash-demo,
//! found by QUERY.

use crate::{ensure, init, Check};
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use logd::wire::{MAX_MESSAGE_LEN, MAX_RESPONSE_LEN};
use logd::{Level, Record, Response, ServiceId, Status};
use nexus_rt::abi::ServiceId as KernelId;
use nexus_rt::log::{self, Fields, Logger};
use nexus_rt::{println, sys};

/// The programs whose records prove that services log through nexus-log.
pub const CORE_SERVICES: [&str; 7] = [
    "init", "samgrd", "logd", "blkd", "statefsd", "crashd", "execd",
];

fn logd_id() -> Result<KernelId, String> {
    init()
        .locate(log::LOGD_NAME)
        .map_err(|e| format!("locate logd: {e}"))
}

fn logger(scope: &str) -> Result<Logger<log::Backend>, String> {
    log::logger(logd_id()?, scope).map_err(|e| format!("logger: {e}"))
}

/// This program's origin as logd must stamp it.
fn me() -> ServiceId {
    ServiceId::from_kernel(sys::self_id(), sys::self_incarnation())
}

/// Every record stamped at or after `since`, paging 16 at a time.
fn all_since(log: &mut Logger<log::Backend>, mut since: u64) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    loop {
        let (page, _, _) = log.query(since, 16).map_err(|e| format!("query: {e}"))?;
        let Some(last) = page.last() else {
            return Ok(out);
        };
        since = last.timestamp_nsec + 1;
        out.extend(page);
        if out.len() > 4096 {
            return Err(String::from("query: more records than the journal holds"));
        }
    }
}

/// Sends a raw frame; returns logd's status for it.
fn raw_status(log: &mut Logger<log::Backend>, frame: &[u8]) -> Result<Status, String> {
    let mut resp = [0u8; MAX_RESPONSE_LEN];
    let n = log
        .backend_mut()
        .call_frame(frame, &mut resp)
        .map_err(|e| format!("raw frame: {e}"))?;
    Response::decode(&resp[..n])
        .map(|r| r.status())
        .map_err(|e| format!("logd's answer to a raw frame: {e}"))
}

/// `SELFTEST: log query ok`.
pub fn log_query() -> Check {
    let mut log = logger("selftest")?;
    let t0 = sys::time_ns();
    let mut fields = Fields::new();
    fields
        .insert("check", "log-query")
        .map_err(|e| format!("fields: {e}"))?;
    let own = log
        .log(Level::Info, "selftest: query me", &fields)
        .map_err(|e| format!("append: {e}"))?
        .ok_or("append: not sent")?;
    // A record that claims to come from samgrd, by scope and by fields.
    let mut spoof = Fields::new();
    spoof
        .insert("service_id", "2")
        .and_then(|f| f.insert("origin", "samgrd"))
        .map_err(|e| format!("fields: {e}"))?;
    let spoofed = log
        .log_in(Level::Warn, "samgrd", "samgrd: spoofed", &spoof)
        .map_err(|e| format!("append spoofed: {e}"))?
        .ok_or("append spoofed: not sent")?;
    let records = all_since(&mut log, t0)?;
    for (id, what) in [(own, "own"), (spoofed, "spoofed")] {
        let r = records
            .iter()
            .find(|r| r.record_id == id)
            .ok_or_else(|| format!("{what} record {id} not returned by QUERY"))?;
        ensure(r.service_id == me(), || {
            format!(
                "{what} record {id} has origin {} (service {} incarnation {}), expected {}",
                r.service_id,
                r.service_id.kernel_id(),
                r.service_id.incarnation(),
                me()
            )
        })?;
    }
    let own_rec = records.iter().find(|r| r.record_id == own);
    ensure(
        own_rec.is_some_and(|r| r.fields == b"check=log-query" && r.scope == b"selftest"),
        || String::from("own record's scope or fields changed"),
    )?;
    // Frames logd must refuse: each gets its status, and nothing is stored.
    let before = log.stats().map_err(|e| format!("stats: {e}"))?.total;
    let mut oversized = Vec::from(*b"LO\x01\x01");
    let msg_len = (MAX_MESSAGE_LEN + 1) as u16;
    oversized.extend_from_slice(&[Level::Info as u8, 1]);
    oversized.extend_from_slice(&msg_len.to_le_bytes());
    oversized.extend_from_slice(&0u16.to_le_bytes());
    oversized.push(b's');
    oversized.resize(oversized.len() + usize::from(msg_len), b'm');
    let cases: [(&str, &[u8], Status); 4] = [
        ("oversized message", &oversized, Status::TooLarge),
        ("truncated APPEND", b"LO\x01\x01\x03\x05", Status::Malformed),
        ("bad magic", b"XX\x01\x03", Status::Malformed),
        ("version 2", b"LO\x02\x03", Status::Unsupported),
    ];
    for (what, frame, want) in cases {
        let got = raw_status(&mut log, frame)?;
        ensure(got == want, || {
            format!("{what}: status {got}, expected {want}")
        })?;
    }
    let after = log.stats().map_err(|e| format!("stats: {e}"))?.total;
    ensure(after == before, || {
        format!("refused frames stored records: total {before} -> {after}")
    })?;
    // Logging goes on after the refusals.
    log.info("selftest: after the refusals")
        .map_err(|e| format!("append after refusals: {e}"))?;
    Ok(())
}

/// `SELFTEST: core services log ok`: a record from each of [`CORE_SERVICES`], found by
/// the origin logd stamped.
pub fn core_services_log() -> Check {
    let mut log = logger("selftest")?;
    let origins: BTreeSet<u32> = all_since(&mut log, 0)?
        .iter()
        .map(|r| r.service_id.kernel_id())
        .collect();
    for name in CORE_SERVICES {
        let id = init()
            .locate(name)
            .map_err(|e| format!("locate {name}: {e}"))?;
        ensure(origins.contains(&id), || {
            format!("no record from {name} (service {id}) in the journal")
        })?;
    }
    Ok(())
}

/// logd's figures, printed as `bench:` lines: APPEND and QUERY of 16 records, each the
/// median of 21 rounds beside a bare IPC round trip (samgrd's echo) measured between
/// them; then a flood of four journals' worth of records, with STATS before and after.
pub fn bench(samgrd: KernelId) -> Check {
    let mut log = logger("bench")?;
    log.set_max_level(Level::Trace);
    let mut sam = crate::sam(samgrd);
    let rounds = 21;
    let per_round = 16;
    let (mut append, mut query, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    let none = Fields::new();
    for _ in 0..rounds {
        let t0 = sys::time_ns();
        for _ in 0..per_round {
            log.log(Level::Debug, "bench: append", &none)
                .map_err(|e| format!("append: {e}"))?
                .ok_or("append: not sent")?;
        }
        append.push((sys::time_ns() - t0) / per_round);
        let t0 = sys::time_ns();
        for _ in 0..per_round {
            sam.echo(b"x").map_err(|e| format!("echo: {e}"))?;
        }
        bare.push((sys::time_ns() - t0) / per_round);
        let t0 = sys::time_ns();
        let (page, _, _) = log.query(0, 16).map_err(|e| format!("query: {e}"))?;
        query.push(sys::time_ns() - t0);
        ensure(page.len() == 16, || {
            format!("query returned {}", page.len())
        })?;
    }
    let (a, b, q) = (median(&mut append), median(&mut bare), median(&mut query));
    println!("bench: logd append round trip {a} ns");
    println!("bench: bare ipc round trip beside it {b} ns");
    println!(
        "bench: logd append per bare round trip {}.{:02} (medians of {rounds} rounds)",
        a / b.max(1),
        (a % b.max(1)) * 100 / b.max(1)
    );
    println!("bench: logd query of 16 records {q} ns");
    let before = log.stats().map_err(|e| format!("stats: {e}"))?;
    let flood = 5 * u64::from(before.capacity_records);
    let t0 = sys::time_ns();
    for _ in 0..flood {
        log.log(Level::Trace, "bench: flood", &none)
            .map_err(|e| format!("flood append: {e}"))?
            .ok_or("flood append: not sent")?;
    }
    let took = sys::time_ns() - t0;
    let after = log.stats().map_err(|e| format!("stats: {e}"))?;
    ensure(
        after.used_records <= after.capacity_records
            && after.used_bytes <= after.capacity_bytes
            && after.dropped >= before.dropped + flood - u64::from(before.capacity_records),
        || format!("journal after a flood of {flood}: {after:?}"),
    )?;
    println!(
        "bench: logd flood of {flood} records in {} us: {} held ({} bytes of {}), {} dropped",
        took / 1000,
        after.used_records,
        after.used_bytes,
        after.capacity_bytes,
        after.dropped
    );
    Ok(())
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// `SELFTEST: crash report ok`: the crash.v1 record execd appended for program `name`'s
/// last crash is in logd's journal (found by QUERY), under execd's origin as the kernel
/// stamped it, scope `execd`, level error, the message of the marker line, and the
/// fields: `event=crash.v1`, the pid and code execd's `Status` reports, the name,
/// `build_id` (`build_id`, from the fault record) and `dump_path` naming the dump execd's
/// `Status` names, plus `recent_count` and `recent_window_nsec`.
pub fn crash_report(samgrd: KernelId, name: &str, build_id: &str) -> Check {
    let s = crate::status(samgrd, name).map_err(|e| format!("status {name}: {e}"))?;
    let dump = s
        .dump_id
        .ok_or_else(|| format!("execd names no dump of {name}"))?;
    let execd = crate::execd(samgrd)?;
    let message = format!(
        "execd: crash report pid={} code={} name={name}",
        s.pid, s.last_code
    );
    let mut log = logger("selftest")?;
    let records = all_since(&mut log, 0)?;
    let rec = records
        .iter()
        .rev()
        .find(|r| r.scope == b"execd" && r.message == message.as_bytes())
        .ok_or_else(|| format!("no record '{message}' in the journal"))?;
    // execd is a boot program, started once: incarnation 1.
    let origin = ServiceId::from_kernel(execd, 1);
    ensure(
        rec.service_id == origin && rec.level == Level::Error,
        || {
            format!(
                "origin {:#x}, level {:?}; expected execd's {:#x}, error",
                rec.service_id.0, rec.level, origin.0
            )
        },
    )?;
    let fields = Fields::parse(&rec.fields).map_err(|e| format!("fields: {e}"))?;
    let pid = format!("{}", s.pid);
    let code = format!("{}", s.last_code);
    let path = format!("state:/crash/{dump}.nxcd");
    let want: [(&str, &str); 6] = [
        ("event", "crash.v1"),
        ("pid", &pid),
        ("code", &code),
        ("name", name),
        ("build_id", build_id),
        ("dump_path", &path),
    ];
    for (key, value) in want {
        ensure(fields.get(key) == Some(value), || {
            format!("field {key}: {:?}, expected {value}", fields.get(key))
        })?;
    }
    for key in ["recent_count", "recent_window_nsec"] {
        ensure(
            fields.get(key).is_some_and(|v| v.parse::<u64>().is_ok()),
            || format!("field {key}: {:?}", fields.get(key)),
        )?;
    }
    ensure(
        fields.get("truncated").is_none() && !build_id.is_empty(),
        || String::from("a value was cut, or no build-id"),
    )?;
    println!(
        "selftest: crash report: record {} of the journal, {} fields, recent_count={}",
        rec.record_id,
        fields.len(),
        fields.get("recent_count").unwrap_or("?")
    );
    Ok(())
}

/// The functions crash-demo's call chain runs through, innermost first
/// (source/apps/misbehave/src/bin/crash-demo.rs): `crash_middle` is inlined into
/// `crash_outer`.
const CRASH_DEMO_CHAIN: [&str; 4] = [
    "crash_demo::crash_inner",
    "crash_demo::crash_middle<crash_demo::crash_outer",
    "crash_demo::main",
    "nexus_rt_start",
];

/// `SELFTEST: crash symbolized ok`: the newest crash.v1 record of `name` carries the
/// functions crashd resolved on the device with the initrd's index, and they are
/// crash-demo's known chain, frame by frame, in order (a frame's chain may hold more
/// inlined functions around the known ones: `core::ptr::write_volatile` inlined into
/// `crash_inner`, `main` into the runtime's `__nexus_main`).
pub fn crash_symbolized(name: &str) -> Check {
    let mut log = logger("selftest")?;
    let records = all_since(&mut log, 0)?;
    let needle = format!(" name={name}");
    let rec = records
        .iter()
        .rev()
        .find(|r| r.scope == b"execd" && r.message.ends_with(needle.as_bytes()))
        .ok_or_else(|| format!("no crash report of {name} in the journal"))?;
    let fields = Fields::parse(&rec.fields).map_err(|e| format!("fields: {e}"))?;
    let functions = fields
        .get("functions")
        .ok_or_else(|| String::from("the crash report has no functions field"))?;
    let frames: Vec<&str> = functions.split(';').collect();
    let mut at = 0;
    for want in CRASH_DEMO_CHAIN {
        let want: Vec<&str> = want.split('<').collect();
        // A frame holds the known function (and what it is inlined into) as a run of
        // its chain, which may start or end with other inlined functions.
        let found = frames[at..].iter().position(|f| {
            let chain: Vec<&str> = f.split('<').collect();
            chain.windows(want.len()).any(|w| w == want.as_slice())
        });
        match found {
            Some(i) => at += i + 1,
            None => {
                return Err(format!(
                    "functions {functions:?}: no frame {} in order",
                    want.join("<")
                ))
            }
        }
    }
    println!("selftest: crash symbolized: {functions}");
    Ok(())
}
