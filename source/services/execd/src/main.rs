//! execd: starts and supervises the app programs (docs/architecture/execd.md). A `boot`
//! program (init starts it after crashd); it registers with samgrd, connects to logd,
//! prints `execd: ready`, reports ready to init, then starts the
//! manifest's `app` programs and serves `execd_api` requests: `Run` and `Wait` of
//! `ondemand` programs and `ImageBegin`/`ImageChunk`/`ImageRun` (a program handed over
//! in memory, started with `spawn_image`) for `runner` programs, `Status` for anyone.
//!
//! It is the spawner of all of them, so the kernel's child-exit notices come to it: it
//! collects each end (exit code and fault record). On a non-zero code it reports the
//! crash: for a fault it prints `execd: crash detected (...)`, hands the record to
//! crashd (`crashd_api::Client::submit`; execd is a `spawn` program, a supervisor) and
//! takes the dump id back; it builds the crash.v1 report with `logd::CrashReport::build`
//! (with `build_id` and `dump_path` when crashd wrote a dump, and `recent_count` from a
//! QUERY of logd), appends it to logd and prints the report's line, `execd: crash report
//! pid=<pid> code=<code> name=<name>`. Only then does it answer a runner waiting for that
//! end, and apply the program's restart policy (`execd_api::policy`). A restart's delay
//! never blocks the requests: execd waits for its next message with `recv_timeout` until
//! the earliest pending restart is due.
//!
//! The request handling, the table and the policy are `execd_api::server` (sans-IO,
//! host-tested); this program is their I/O: the IPC loop, the kernel's spawns, crashd,
//! the UART. Anything that fails before it is ready prints `execd: FAIL: ...` and ends
//! execd (a boot program's end fails the boot).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use execd_api::server::{Answer, Spawner, Supervisor};
use initrd::manifest::Manifest;
use logd::{CrashPolicy, CrashReport, ExitEvent};
use nexus_rt::abi::ipc::{KERNEL_ID, MAX_MSG};
use nexus_rt::abi::{FaultRecord, MsgKind, ServiceId, SysError};
use nexus_rt::proto;
use nexus_rt::{log, println, sys};

nexus_rt::entry!(main);

/// The boot manifest the kernel numbers programs by (compiled in, as init does).
const MANIFEST: &[u8] = include_bytes!("../../../apps/init/boot.manifest");

/// The kernel as execd's spawner.
struct Kernel;

impl Spawner for Kernel {
    fn spawn(&mut self, name: &str) -> Result<ServiceId, SysError> {
        sys::spawn(name)
    }

    fn spawn_image(&mut self, image: &[u8], name: &str) -> Result<ServiceId, SysError> {
        sys::spawn_image(image, name)
    }
}

/// What execd found while starting.
struct Setup {
    manifest: Manifest<'static>,
    crashd: ServiceId,
    log: Option<log::Logger<log::Backend>>,
}

fn main() -> i32 {
    let setup = match setup() {
        Ok(s) => s,
        Err(why) => {
            println!("execd: FAIL: {why}");
            return 1;
        }
    };
    println!("execd: ready");
    let mut setup = setup;
    if let Some(log) = setup.log.as_mut() {
        log::send(log, log::Level::Info, "ready", &log::Fields::new());
    }
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("execd: FAIL: cannot report to init: {e}");
        return 1;
    }
    let mut execd = Execd {
        sup: Supervisor::new(setup.manifest),
        crashd: setup.crashd,
        log: setup.log,
    };
    for line in execd.sup.start_apps(&mut Kernel) {
        println!("{line}");
    }
    let mut buf = alloc::vec![0u8; MAX_MSG];
    loop {
        // Until the earliest restart is due, at most; without one, until a message.
        let received = match execd.sup.next_restart() {
            Some(at) => sys::recv_timeout(&mut buf, at.saturating_sub(sys::time_ns()).max(1)),
            None => sys::recv(&mut buf),
        };
        let hdr = match received {
            Ok(h) => h,
            Err(SysError::TimedOut) => {
                execd.restart_due(sys::time_ns());
                continue;
            }
            Err(e) => {
                println!("execd: recv: {e}");
                continue;
            }
        };
        let len = (hdr.len as usize).min(buf.len());
        if hdr.sender == KERNEL_ID && hdr.kind == MsgKind::ChildExited {
            if let Ok(child) = proto::u32_of(&buf[..len]) {
                execd.child_ended(child);
            }
        } else if hdr.kind == MsgKind::Call {
            if let Some(reply) = execd.sup.request(&mut Kernel, hdr.sender, &buf[..len]) {
                let _ = sys::reply(hdr.sender, &reply);
            }
        }
        execd.restart_due(sys::time_ns());
    }
}

/// Finds samgrd, crashd and logd, registers with samgrd.
fn setup() -> Result<Setup, String> {
    let manifest = Manifest::parse(MANIFEST).map_err(|e| format!("boot manifest: {e}"))?;
    let samgrd = init_api::Client::new(sys::Ipc)
        .locate(samgrd_api::SERVICE_NAME)
        .map_err(|e| format!("locate samgrd: {e}"))?;
    let crashd = samgrd_api::Client::new(sys::Ipc, samgrd)
        .lookup(crashd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup crashd: {e}"))?;
    samgrd_api::Client::new(sys::Ipc, samgrd)
        .register(execd_api::SERVICE_NAME)
        .map_err(|e| format!("register with samgrd: {e}"))?;
    // logd boots before execd; without it the crash records are said to go nowhere.
    let log = log::connect(
        samgrd_api::Client::new(sys::Ipc, samgrd).lookup(log::LOGD_NAME),
        execd_api::SERVICE_NAME,
    );
    Ok(Setup {
        manifest,
        crashd,
        log,
    })
}

struct Execd {
    sup: Supervisor<'static>,
    crashd: ServiceId,
    /// execd's logger (scope `execd`), if logd was found.
    log: Option<log::Logger<log::Backend>>,
}

impl Execd {
    fn send(answers: Vec<Answer>) {
        for (to, reply) in answers {
            let _ = sys::reply(to, &reply);
        }
    }

    fn restart_due(&mut self, now: u64) {
        for line in self.sup.restart_due(&mut Kernel, now) {
            println!("{line}");
        }
    }

    /// Collects the end of `child`: its crash report if it crashed, then the runner
    /// waiting for it and the restart policy.
    fn child_ended(&mut self, child: ServiceId) {
        let mut raw = [0u8; FaultRecord::MAX_LEN];
        let code = match sys::wait(child, &mut raw) {
            Ok(code) => code,
            Err(e) => {
                println!("execd: wait {child}: {e}");
                return;
            }
        };
        let now = sys::time_ns();
        let record = FaultRecord::decode(&raw).ok();
        let encoded = record.as_ref().map(|r| raw[..r.encoded_len()].to_vec());
        let Some(name) = self.sup.name_of(child).map(String::from) else {
            println!("execd: process {child} ended with {code}; not supervised");
            return;
        };
        let dump_id = if code != 0 {
            self.report_crash(child, code, &name, record.as_ref(), encoded.as_deref(), now)
        } else {
            None
        };
        let (decision, answers) = self.sup.ended(child, code, encoded, dump_id, now);
        Execd::send(answers);
        match decision {
            Some(execd_api::policy::Decision::RestartAt(at)) => println!(
                "execd: {name} restarts in {} ms",
                at.saturating_sub(now) / 1_000_000
            ),
            Some(execd_api::policy::Decision::CrashLoop) => {
                let crashes = self
                    .sup
                    .table()
                    .get(&name)
                    .map_or(0, |e| e.restarts.crashes());
                println!(
                    "execd: {name} is in the crash-loop state ({crashes} crashes); not restarted"
                );
            }
            _ => {}
        }
    }

    /// Reports the crash of `name` (process `pid`, exit `code`): the fault record to
    /// crashd first (for a fault), then the crash.v1 report, appended and printed. The
    /// dump id crashd gave, if any.
    fn report_crash(
        &mut self,
        pid: ServiceId,
        code: i64,
        name: &str,
        record: Option<&FaultRecord>,
        raw: Option<&[u8]>,
        now: u64,
    ) -> Option<String> {
        let mut dump_id = None;
        let mut build_id = None;
        let mut functions = None;
        if let (Some(rec), Some(raw)) = (record, raw) {
            println!(
                "execd: crash detected (pid={pid} name={name} scause={} pc={:#x})",
                rec.scause(),
                rec.pc()
            );
            build_id = rec
                .modules()
                .first()
                .map(|m| symindex::build_id_hex(m.build_id()));
            let mut ipc = sys::Ipc;
            let submitted =
                crashd_api::Client::new(&mut ipc, self.crashd).submit(&crashd_api::Submission {
                    pid,
                    time_ns: now,
                    program: name,
                    record: raw,
                });
            match submitted {
                Ok(stored) => {
                    // `now` is when the end reached execd: the fault's time.
                    println!(
                        "bench: execd fault to dump written {} ns ({name}, {} bytes)",
                        sys::time_ns().saturating_sub(now),
                        stored.size
                    );
                    dump_id = Some(stored.id);
                    functions = Some(stored.functions).filter(|f| !f.is_empty());
                }
                Err(e) => println!("execd: crashd refused the record of {name}: {e}"),
            }
        }
        let dump_path = dump_id
            .as_deref()
            .map(|id| format!("state:/{}", crashd_api::dump_path(id)));
        let event = ExitEvent {
            pid,
            code,
            name,
            service_id: Some(logd::ServiceId::from_kernel(pid, self.sup.incarnation(pid))),
            build_id: build_id.as_deref(),
            dump_path: dump_path.as_deref(),
            functions: functions.as_deref(),
        };
        let policy = CrashPolicy::DEFAULT;
        let recent = self.recent_records(now.saturating_sub(policy.window_nsec));
        let views = recent.iter().map(logd::Record::view);
        let Some(report) = CrashReport::build(&event, now, policy, views) else {
            println!("execd: cannot build the crash report of {name}");
            return dump_id;
        };
        self.append(&report);
        println!("{}", report.message);
        dump_id
    }

    /// The journal's records stamped at or after `since`, oldest first, by QUERY of logd:
    /// at most [`MAX_RECENT_PAGES`] pages of 16 (the newest of them are the ones a report
    /// considers). None without logd; a failed query ends the list where it failed.
    fn recent_records(&mut self, mut since: u64) -> Vec<logd::Record> {
        let mut out = Vec::new();
        let Some(log) = self.log.as_mut() else {
            return out;
        };
        for _ in 0..MAX_RECENT_PAGES {
            match log.query(since, 16) {
                Ok((page, _, _)) => {
                    let Some(last) = page.last() else { break };
                    since = last.timestamp_nsec.saturating_add(1);
                    let full = page.len() == 16;
                    out.extend(page);
                    if !full {
                        break;
                    }
                }
                Err(e) => {
                    println!("execd: log: query: {e}");
                    break;
                }
            }
        }
        out
    }

    /// Appends the crash.v1 record of `report` to logd (scope `execd`, level error). A
    /// record logd did not take is said on the UART, never claimed.
    fn append(&mut self, report: &CrashReport) {
        let Some(log) = self.log.as_mut() else {
            println!("execd: log: crash record not appended: no logd");
            return;
        };
        match logd::Fields::parse(&report.fields) {
            Ok(fields) => {
                log::send(log, log::Level::Error, &report.message, &fields);
            }
            Err(e) => println!("execd: log: crash record fields: {e}"),
        }
    }
}

/// Most QUERY pages (16 records each) a crash report reads from logd.
const MAX_RECENT_PAGES: usize = 8;
