//! selftest-client: drives the os-lite proofs. Each `SELFTEST: <name> ok` line is
//! printed only after its check passed; a failed check prints `SELFTEST: <name> FAIL:
//! <why>` and exits 1. After the last proof it prints `SELFTEST: end` and exits 0, which
//! ends the system (it is the manifest's `final` program).
//!
//! The run spans two boots, told apart by what is on the disk, not by a counter: the
//! persist header in `scratch` ([`PERSIST_HEADER_LBA`]). On boot 1 it is zeros: after the
//! other proofs, selftest-client writes the persist pattern and the header through blkd,
//! flushes, prints `SELFTEST: disk persist written` and asks init to reboot. On boot 2
//! the header is there: it reads the pattern back whole, prints `SELFTEST: disk persist
//! ok`, then `SELFTEST: end`.
//!
//! It also measures, in the same boot: the null syscall and the IPC round trip to
//! samgrd (another address space), the time from kernel start to `SELFTEST: end` (boot
//! 2) or to `SELFTEST: disk persist written` (boot 1), and blkd's write (boot 1) and
//! read (boot 2) of the persist pattern beside the kernel's memcpy of as many bytes.
#![no_std]
#![no_main]

extern crate alloc;

mod churn;
mod crash_gc;
mod logs;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use blkd_api::{Target, SECTOR};
use nexus_rt::abi::device::{virtio_kind, MAX_DMA_PAGES, VIRTIO_DEVICE_ID, VIRTIO_MAGIC};
use nexus_rt::abi::fault::{FaultRecord, REG_SP};
use nexus_rt::abi::layout::{DMA_MAX, KERNEL_BASE, PAGE_SIZE, STACK_SIZE, STACK_TOP, USER_START};
use nexus_rt::abi::{fault_exit_code, DeviceInfo, ServiceId, SysError};
use nexus_rt::proto::{self, SIBLING_ADDR};
use nexus_rt::{println, sys};
use samgrd_api::Op;

nexus_rt::entry!(main);

pub(crate) type Check = Result<(), String>;

pub(crate) fn ensure(cond: bool, why: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(why())
    }
}

fn main() -> i32 {
    if let Err(e) = init().ready() {
        println!("SELFTEST: init FAIL: {e}");
        return 1;
    }
    let samgrd = match init().locate("samgrd") {
        Ok(id) => id,
        Err(e) => {
            println!("SELFTEST: locate FAIL: samgrd: {e}");
            return 1;
        }
    };
    if let Some(code) = churn::run_if_asked(samgrd) {
        return code;
    }
    // crash-demo's build-id, as its fault record named it: the crash dump step finds it,
    // the crash report step checks logd's record carries it.
    let demo_build_id = core::cell::RefCell::new(String::new());
    let steps: [(&str, &dyn Fn() -> Check); 23] = [
        // First: execd's boot-time restarts of fault-loop are over before the figures.
        ("crash loop", &|| crash_loop(samgrd)),
        ("ipc roundtrip", &|| ipc_roundtrip(samgrd)),
        ("log query", &logs::log_query),
        ("core services log", &logs::core_services_log),
        ("bench", &|| bench(samgrd)),
        ("log bench", &|| logs::bench(samgrd)),
        ("preemption", &|| preemption(samgrd)),
        ("bad pointer", &|| bad_pointer(samgrd)),
        ("fault isolation", &|| fault_isolation(samgrd)),
        // Before crash dump: the budget it tests leaves the store without older dumps,
        // so crash-demo's fault (the same pc on every boot) is a new dump, not a repeat.
        ("crash repeat", &|| crash_gc::crash_repeat(samgrd)),
        ("crash gc", &|| crash_gc::crash_gc(samgrd)),
        ("crash dump", &|| crash_dump(samgrd, &demo_build_id)),
        ("crash report", &|| {
            logs::crash_report(samgrd, "crash-demo", &demo_build_id.borrow())
        }),
        ("crash symbolized", &|| logs::crash_symbolized("crash-demo")),
        ("deadline send", &|| deadline_send(samgrd)),
        ("device grant", &device_grant),
        ("grants refused", &grants_refused),
        ("spawn from memory", &|| spawn_from_memory(samgrd)),
        ("blkd rw", &|| blkd_rw(samgrd)),
        ("blkd bounds", &|| blkd_bounds(samgrd)),
        ("blkd denied", &|| blkd_denied(samgrd)),
        ("state isolation", &|| state_isolation(samgrd)),
        ("state bench", &|| state_bench(samgrd)),
    ];
    for (name, step) in steps {
        match step() {
            Ok(()) if name.ends_with("bench") => {}
            Ok(()) => println!("SELFTEST: {name} ok"),
            Err(why) => {
                println!("SELFTEST: {name} FAIL: {why}");
                return 1;
            }
        }
    }
    match disk_persist(samgrd) {
        Ok(Persist::Written) => {
            if let Err(why) = state_persist(samgrd, Persist::Written) {
                println!("SELFTEST: state persist FAIL: {why}");
                return 1;
            }
            println!("SELFTEST: state persist written");
            let boot_ns = sys::time_ns();
            println!("SELFTEST: disk persist written");
            println!(
                "bench: kernel start to SELFTEST: disk persist written {} us",
                boot_ns / 1000
            );
            let refused = init().reboot();
            println!("SELFTEST: disk persist FAIL: reboot: {refused}");
            return 1;
        }
        Ok(Persist::ReadBack) => {
            println!("SELFTEST: disk persist ok");
            if let Err(why) = state_persist(samgrd, Persist::ReadBack) {
                println!("SELFTEST: state persist FAIL: {why}");
                return 1;
            }
            println!("SELFTEST: state persist ok");
        }
        Err(why) => {
            println!("SELFTEST: disk persist FAIL: {why}");
            return 1;
        }
    }
    let boot_ns = sys::time_ns();
    println!("SELFTEST: end");
    println!("bench: kernel start to SELFTEST: end {} us", boot_ns / 1000);
    0
}

/// A client of init.
pub(crate) fn init() -> init_api::Client<sys::Ipc> {
    init_api::Client::new(sys::Ipc)
}

/// A client of samgrd.
pub(crate) fn sam(samgrd: ServiceId) -> samgrd_api::Client<sys::Ipc> {
    samgrd_api::Client::new(sys::Ipc, samgrd)
}

/// execd, found through samgrd (it registers before it reports ready).
pub(crate) fn execd(samgrd: ServiceId) -> Result<ServiceId, String> {
    sam(samgrd)
        .lookup(execd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup execd: {e}"))
}

/// Has execd start `ondemand` program `name`: its id.
fn run(samgrd: ServiceId, name: &str) -> Result<ServiceId, String> {
    let id = execd(samgrd)?;
    let mut ipc = sys::Ipc;
    execd_api::Client::new(&mut ipc, id)
        .run(name)
        .map_err(|e| format!("run {name}: {e}"))
}

/// Waits, through execd, for program `name` (process `pid`) to end: its code and record.
fn wait_for(
    samgrd: ServiceId,
    name: &str,
    pid: ServiceId,
) -> Result<(i64, Option<FaultRecord>), String> {
    let id = execd(samgrd)?;
    let mut ipc = sys::Ipc;
    execd_api::Client::new(&mut ipc, id)
        .wait_for(pid)
        .map_err(|e| format!("wait {name}: {e}"))
}

/// execd's supervision state of `name`.
pub(crate) fn status(samgrd: ServiceId, name: &str) -> Result<execd_api::Status, execd_api::Error> {
    let id = execd(samgrd).map_err(|_| execd_api::Error::Sys(SysError::NoSuchService))?;
    let mut ipc = sys::Ipc;
    execd_api::Client::new(&mut ipc, id).status(name)
}

/// The app execd restarts until it is in the crash-loop state (`restart=on-failure`).
const CRASH_LOOP_APP: &str = "fault-loop";

/// fault-loop (an `app`, `restart=on-failure`: execd starts it at boot) faults every
/// time; execd restarts it with growing delays until it is in the crash-loop state, after
/// exactly `max_crashes` starts and as many crashes, each a load page fault whose dump
/// crashd wrote. Waits for that state (execd's `Status`, polled, at most 5 s), then
/// checks the counts.
fn crash_loop(samgrd: ServiceId) -> Check {
    use execd_api::policy::ON_FAILURE;
    let start = sys::time_ns();
    let s = loop {
        match status(samgrd, CRASH_LOOP_APP) {
            Ok(s) if s.state == execd_api::State::CrashLoop => break s,
            // Not started yet, running, or waiting for its restart.
            Ok(_) | Err(execd_api::Error::Service(execd_api::ExecCode::Unknown)) => {}
            Err(e) => return Err(format!("status {CRASH_LOOP_APP}: {e}")),
        }
        if sys::time_ns() - start > 5_000_000_000 {
            let now = status(samgrd, CRASH_LOOP_APP);
            return Err(format!("not in the crash-loop state after 5 s: {now:?}"));
        }
        sys::sleep_ns(2_000_000);
    };
    let n = ON_FAILURE.max_crashes;
    ensure(s.starts == n && s.ends == n && s.crashes == n, || {
        format!(
            "crash loop after {} starts, {} ends, {} crashes; expected {n} each",
            s.starts, s.ends, s.crashes
        )
    })?;
    ensure(Ok(s.last_code) == fault_exit_code(13), || {
        format!("last exit code {}", s.last_code)
    })?;
    let dump = s
        .dump_id
        .ok_or_else(|| String::from("no crash dump named by execd"))?;
    ensure(
        dump.ends_with(&format!("-{CRASH_LOOP_APP}-{}", s.pid)),
        || format!("dump id {dump}"),
    )?;
    // In the crash-loop state it stays ended: no start later.
    sys::sleep_ns(2 * ON_FAILURE.delay_ns(n));
    let later = status(samgrd, CRASH_LOOP_APP).map_err(|e| format!("status: {e}"))?;
    ensure(
        later.state == execd_api::State::CrashLoop && later.starts == n,
        || format!("after the crash loop: {later:?}"),
    )?;
    println!(
        "selftest: crash loop: {CRASH_LOOP_APP} started {n} times, crashed {n} times (code {}), in the crash-loop state; last dump {dump}",
        s.last_code
    );
    Ok(())
}

fn echo(samgrd: ServiceId, payload: &[u8]) -> Result<(ServiceId, Vec<u8>), String> {
    sam(samgrd).echo(payload).map_err(|e| format!("echo: {e}"))
}

/// Register, look up and echo a message of maximum size through samgrd.
fn ipc_roundtrip(samgrd: ServiceId) -> Check {
    let me = sys::self_id();
    sam(samgrd)
        .register("selftest-client")
        .map_err(|e| format!("register: {e}"))?;
    let found = sam(samgrd)
        .lookup("selftest-client")
        .map_err(|e| format!("lookup: {e}"))?;
    ensure(found == me, || {
        format!("lookup gave {found}, self_id is {me}")
    })?;
    let registered = sam(samgrd)
        .lookup(samgrd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup samgrd: {e}"))?;
    ensure(registered == samgrd, || {
        format!("samgrd registered as {registered}, init says {samgrd}")
    })?;
    // A name bound to another id cannot be taken over: samgrd goes by the kernel's id.
    let taken = sam(samgrd).register(samgrd_api::SERVICE_NAME);
    ensure(taken == Err(SysError::Denied), || {
        format!("re-registering samgrd gave {taken:?}")
    })?;
    // The largest echo: a 4092-byte request, a 4096-byte reply.
    let payload: Vec<u8> = (0..4091u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut reply = alloc::vec![0u8; nexus_rt::abi::ipc::MAX_MSG];
    let n = sys::call(samgrd, &Op::Echo.request(&payload), &mut reply)
        .map_err(|e| format!("call: {e}"))?;
    ensure(n == 4096, || format!("reply of {n} bytes, expected 4096"))?;
    ensure(reply[0] == 0, || format!("echo status {}", reply[0]))?;
    let sender = proto::u32_of(&reply[1..]).map_err(|e| format!("{e}"))?;
    ensure(sender == me, || {
        format!("samgrd saw sender {sender}, self_id is {me}")
    })?;
    ensure(reply[5..] == payload[..], || {
        String::from("echo payload differs")
    })?;
    // Over 4 KiB is refused.
    let big = alloc::vec![0u8; 4097];
    let over = sys::call(samgrd, &big, &mut reply);
    ensure(over == Err(SysError::BadLength), || {
        format!("4097-byte call gave {over:?}")
    })
}

/// Null syscall, IPC round trip and the address-space switch it is set beside, measured
/// in this boot. The round trips and the switches (timed by the kernel through
/// `bench_switch`) run in interleaved rounds, so both see the host as it is at that
/// moment; each figure is the median of the rounds, and so is the ratio of the two.
fn bench(samgrd: ServiceId) -> Check {
    const N: u64 = 2000;
    const ROUNDS: usize = 21;
    const PAIRS: usize = 50;
    const TRIPS: u64 = 100;
    let t0 = sys::time_ns();
    for _ in 0..N {
        core::hint::black_box(sys::self_id());
    }
    let null = (sys::time_ns() - t0) / N;
    let msg = Op::Count.request(&[]);
    let mut reply = [0u8; 16];
    let (mut switches, mut trips, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let pairs = sys::bench_switch(PAIRS).map_err(|e| format!("bench_switch: {e}"))?;
        let switch = (pairs / (2 * PAIRS as u64)).max(1);
        let t = sys::time_ns();
        for _ in 0..TRIPS {
            sys::call(samgrd, &msg, &mut reply).map_err(|e| format!("call: {e}"))?;
        }
        let trip = (sys::time_ns() - t) / TRIPS;
        switches.push(switch);
        trips.push(trip);
        // The round trip per two switches, in hundredths.
        ratios.push(trip * 100 / (2 * switch));
    }
    // The same with the largest messages: a 4 KiB echo each way.
    const N_LARGE: u64 = 500;
    let large = Op::Echo.request(&[0x5A; samgrd_api::MAX_ECHO]);
    let mut echo = alloc::vec![0u8; nexus_rt::abi::ipc::MAX_MSG];
    let t2 = sys::time_ns();
    for _ in 0..N_LARGE {
        let n = sys::call(samgrd, &large, &mut echo).map_err(|e| format!("call: {e}"))?;
        ensure(n == nexus_rt::abi::ipc::MAX_MSG, || {
            format!("echo of {n} bytes")
        })?;
    }
    let large_trip = (sys::time_ns() - t2) / N_LARGE;
    let ratio = median(&mut ratios);
    println!("bench: null syscall {null} ns");
    println!(
        "bench: address-space switch (satp + sfence.vma) {} ns",
        median(&mut switches)
    );
    println!("bench: ipc round trip {} ns", median(&mut trips));
    println!(
        "bench: ipc round trip per two switches {}.{:02} (median of {ROUNDS} interleaved rounds)",
        ratio / 100,
        ratio % 100
    );
    println!("bench: ipc round trip with 4 KiB messages {large_trip} ns");
    Ok(())
}

/// The middle value (sorts `values`; 0 for none).
fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

fn served(samgrd: ServiceId) -> Result<u64, String> {
    sam(samgrd).count().map_err(|e| format!("count: {e}"))
}

/// Sleep lasts, and the spinner is preempted: it reports it spins, then never enters the
/// kernel again, so everything this process does afterwards exists only because the
/// timer took the hart back.
fn preemption(samgrd: ServiceId) -> Check {
    // The timer first: a 3 ms sleep lasts at least 3 ms of monotonic time.
    let t0 = sys::time_ns();
    sys::sleep_ns(3_000_000);
    let slept = sys::time_ns() - t0;
    ensure(slept >= 3_000_000, || format!("slept {slept} ns of 3 ms"))?;
    let spinner = run(samgrd, "spinner")?;
    let mut buf = [0u8; 64];
    // Received through `reply_recv` with a reply nobody waits for (samgrd is not calling
    // us): the kernel drops the reply and the receive goes on.
    let hdr = sys::reply_recv(Some(samgrd), 0, &mut buf).map_err(|e| format!("recv: {e}"))?;
    ensure(hdr.sender == spinner, || {
        format!("message from {}, not the spinner", hdr.sender)
    })?;
    ensure(&buf[..hdr.len as usize] == b"spinning", || {
        String::from("unexpected message")
    })?;
    // While it spins (it never enters the kernel again, so only the timer can take the
    // CPU from it): our own round trips and samgrd's served counter must keep advancing.
    // At least 20 ms and 50 round trips; the 2 s bound only keeps a broken kernel from
    // hanging the run (on a loaded host the emulator may get little CPU for a while).
    let start = sys::time_ns();
    let before = served(samgrd)?;
    let mut mine: u64 = 0;
    loop {
        let elapsed = sys::time_ns() - start;
        if (elapsed >= 20_000_000 && mine >= 50) || elapsed >= 2_000_000_000 {
            break;
        }
        echo(samgrd, b"tick")?;
        mine += 1;
    }
    let after = served(samgrd)?;
    ensure(mine >= 50, || format!("only {mine} round trips in 2 s"))?;
    ensure(after >= before + mine, || {
        format!("samgrd served {} of {mine}", after - before)
    })
}

/// The kernel refuses bad pointers with an error; a program passing them survives.
fn bad_pointer(samgrd: ServiceId) -> Check {
    let text = main as *const () as usize;
    let cases: [(&str, nexus_rt::abi::Sysnum, [usize; 6]); 4] = [
        (
            "debug_write from the kernel",
            nexus_rt::abi::Sysnum::DebugWrite,
            [KERNEL_BASE, 8, 0, 0, 0, 0],
        ),
        (
            "send from an unmapped page",
            nexus_rt::abi::Sysnum::Send,
            [samgrd as usize, USER_START, 8, 0, 0, 0],
        ),
        (
            "recv header into text",
            nexus_rt::abi::Sysnum::Recv,
            [text, 16, text, 0, 0, 0],
        ),
        (
            "call reply into the kernel",
            nexus_rt::abi::Sysnum::Call,
            [samgrd as usize, text, 1, KERNEL_BASE, 64, 0],
        ),
    ];
    for (what, num, args) in cases {
        // SAFETY: every pointer is invalid or read-only for this process; the kernel must
        // refuse it before touching memory.
        let result = unsafe { sys::raw(num, args) };
        ensure(result == Err(SysError::BadAddress), || {
            format!("{what}: {result:?}")
        })?;
    }
    for pairs in [0, nexus_rt::abi::syscall::MAX_BENCH_PAIRS + 1] {
        let r = sys::bench_switch(pairs);
        ensure(r == Err(SysError::BadLength), || {
            format!("bench_switch({pairs}): {r:?}")
        })?;
    }
    let over = sys::debug_write(&[b'x'; 4097]);
    ensure(over == Err(SysError::BadLength), || {
        format!("oversized debug_write: {over:?}")
    })?;
    let id = run(samgrd, "badptr")?;
    let (code, record) = wait_for(samgrd, "badptr", id)?;
    ensure(code == 0 && record.is_none(), || {
        format!("badptr ended with {code}")
    })?;
    let (who, _) = echo(samgrd, b"still there")?;
    ensure(who == sys::self_id(), || {
        String::from("samgrd echo after badptr")
    })
}

/// Each faulting program ends alone, with the right record; samgrd and this process
/// (whose heap holds the sibling address) are untouched.
fn fault_isolation(samgrd: ServiceId) -> Check {
    let pattern = 0x5a5a_0000_0000_0000u64;
    let heap: Vec<u64> = (0..(2 << 20) / 8).map(|i| pattern | i).collect();
    let base = heap.as_ptr() as usize;
    ensure(
        base <= SIBLING_ADDR && SIBLING_ADDR < base + heap.len() * 8,
        || format!("heap {base:#x} does not cover the sibling address"),
    )?;
    let at = (SIBLING_ADDR - base) / 8;
    let cases: [(&str, u64, Option<u64>); 4] = [
        ("fault-kload", 13, Some(KERNEL_BASE as u64)),
        ("fault-sibling", 15, Some(SIBLING_ADDR as u64)),
        ("fault-illegal", 2, None),
        ("fault-ebreak", 3, None),
    ];
    for (name, scause, stval) in cases {
        let id = run(samgrd, name)?;
        let (code, record) = wait_for(samgrd, name, id)?;
        ensure(Ok(code) == fault_exit_code(scause), || {
            format!("{name}: exit code {code}")
        })?;
        let rec = record.ok_or_else(|| format!("{name}: no fault record"))?;
        check_record(name, &rec, scause, stval)?;
        let (who, _) = echo(samgrd, name.as_bytes())?;
        ensure(who == sys::self_id(), || format!("samgrd after {name}"))?;
    }
    ensure(heap[at] == pattern | at as u64, || {
        String::from("sibling heap word changed")
    })
}

fn check_record(name: &str, rec: &FaultRecord, scause: u64, stval: Option<u64>) -> Check {
    ensure(rec.scause() == scause, || {
        format!("{name}: scause {}", rec.scause())
    })?;
    if let Some(v) = stval {
        ensure(rec.stval() == v, || {
            format!("{name}: stval {:#x}", rec.stval())
        })?;
    }
    let module = rec
        .modules()
        .first()
        .ok_or_else(|| format!("{name}: no module"))?;
    ensure(module.name() == name.as_bytes(), || {
        format!("{name}: module name")
    })?;
    ensure(module.build_id().len() == 20, || {
        format!("{name}: build-id of {} bytes", module.build_id().len())
    })?;
    ensure(module.link_base == module.start, || {
        format!("{name}: link base")
    })?;
    let pc = rec.pc();
    ensure((module.start..module.end).contains(&pc), || {
        format!("{name}: pc {pc:#x} outside the module")
    })?;
    let sp = rec.regs[REG_SP];
    let stack = (STACK_TOP - STACK_SIZE) as u64..STACK_TOP as u64;
    ensure(stack.contains(&sp) && rec.stack_base == sp, || {
        format!("{name}: sp {sp:#x}")
    })?;
    ensure(!rec.stack().is_empty(), || {
        format!("{name}: empty stack copy")
    })?;
    ensure(rec.regs[0] == 0, || format!("{name}: x0 not zero"))
}

/// Where crash-demo stores (source/apps/misbehave/src/bin/crash-demo.rs).
const CRASH_DEMO_ADDR: u64 = 0x10;

/// crash-demo faults (a store page fault at [`CRASH_DEMO_ADDR`]) under execd, which
/// hands its record to crashd before it answers the `Wait`; execd's `Status` then names
/// the dump, whose id has the documented shape (`<time>-crash-demo-<pid>`), and crashd's
/// `Stat` (statefsd's stat of `crash/<id>.nxcd`: this program may not read `crash/`
/// itself) finds it. crashd refuses a damaged copy of the record with `BadRecord` and
/// serves on.
fn crash_dump(samgrd: ServiceId, build_id: &core::cell::RefCell<String>) -> Check {
    let name = "crash-demo";
    let pid = run(samgrd, name)?;
    let (code, record) = wait_for(samgrd, name, pid)?;
    ensure(Ok(code) == fault_exit_code(15), || {
        format!("{name}: exit code {code}")
    })?;
    let rec = record.ok_or_else(|| format!("{name}: no fault record"))?;
    check_record(name, &rec, 15, Some(CRASH_DEMO_ADDR))?;
    if let Some(m) = rec.modules().first() {
        *build_id.borrow_mut() = m.build_id().iter().map(|b| format!("{b:02x}")).collect();
    }
    let s = status(samgrd, name).map_err(|e| format!("status {name}: {e}"))?;
    ensure(
        s.state == execd_api::State::Ended && s.pid == pid && s.last_code == code,
        || format!("{name}: execd's status {s:?}"),
    )?;
    let id = s
        .dump_id
        .ok_or_else(|| format!("{name}: execd names no dump"))?;
    let suffix = format!("-{name}-{pid}");
    let time = id.strip_suffix(&suffix).unwrap_or("");
    ensure(
        !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit()),
        || format!("dump id {id}, expected <time>{suffix}"),
    )?;
    let mut raw = [0u8; FaultRecord::MAX_LEN];
    let n = rec.encode(&mut raw).map_err(|e| format!("{name}: {e}"))?;
    let crashd = sam(samgrd)
        .lookup(crashd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup crashd: {e}"))?;
    let mut ipc = sys::Ipc;
    let mut c = crashd_api::Client::new(&mut ipc, crashd);
    let mut damaged = raw;
    damaged[0] ^= 0xff;
    let refused = c.submit(&crashd_api::Submission {
        pid,
        time_ns: sys::time_ns(),
        program: name,
        record: &damaged[..n],
    });
    let bad = crashd_api::Error::Service(crashd_api::CrashCode::BadRecord);
    ensure(refused == Err(bad), || {
        format!("a damaged record: {refused:?}, expected BadRecord")
    })?;
    let size = c.stat(&id).map_err(|e| format!("stat {id}: {e}"))?;
    ensure(size > 0, || format!("crash/{id}.nxcd holds no bytes"))?;
    println!("selftest: crash dump: state:/crash/{id}.nxcd, {size} bytes, named by execd");
    Ok(())
}

/// A message to a server that never receives (the spinner) waits no longer than its
/// deadline: `TimedOut`, withdrawn, and the sender goes on; a try does not wait at all.
fn deadline_send(samgrd: ServiceId) -> Check {
    let spinner = init()
        .locate("spinner")
        .map_err(|e| format!("locate spinner: {e}"))?;
    let tried = sys::try_send(spinner, b"anyone?");
    ensure(tried == Err(SysError::TimedOut), || {
        format!("try_send to the spinner: {tried:?}")
    })?;
    for _ in 0..2 {
        let t0 = sys::time_ns();
        let sent = sys::send_timeout(spinner, b"anyone?", 5_000_000);
        let waited = sys::time_ns() - t0;
        ensure(sent == Err(SysError::TimedOut), || {
            format!("send_timeout to the spinner: {sent:?}")
        })?;
        ensure(waited >= 5_000_000, || {
            format!("timed out after {waited} ns of 5 ms")
        })?;
    }
    let missing = sys::send_timeout(u32::MAX, b"x", 1_000_000);
    ensure(missing == Err(SysError::NoSuchService), || {
        format!("send_timeout to nobody: {missing:?}")
    })?;
    // A call to a process that never receives: withdrawn at the deadline.
    let mut reply = [0u8; 16];
    let tried = sys::call_timeout(spinner, b"anyone?", &mut reply, 0);
    ensure(tried == Err(SysError::TimedOut), || {
        format!("call_timeout 0 to the spinner: {tried:?}")
    })?;
    let t0 = sys::time_ns();
    let called = sys::call_timeout(spinner, b"anyone?", &mut reply, 5_000_000);
    let waited = sys::time_ns() - t0;
    ensure(called == Err(SysError::TimedOut), || {
        format!("call_timeout to the spinner: {called:?}")
    })?;
    ensure(waited >= 5_000_000, || {
        format!("call timed out after {waited} ns of 5 ms")
    })?;
    // A call to a server that answers is answered within the deadline.
    let mut reply = [0u8; 64];
    let n = sys::call_timeout(samgrd, &[Op::Echo as u8, b'x'], &mut reply, 50_000_000)
        .map_err(|e| format!("call_timeout to samgrd: {e}"))?;
    ensure(n == 6 && reply[0] == 0 && reply[5] == b'x', || {
        format!("call_timeout echo reply {:?}", &reply[..n.min(8)])
    })?;
    // A receive with nothing to receive gives up at its deadline (0: at once).
    let mut buf = [0u8; 64];
    let none = sys::recv_timeout(&mut buf, 0).map(|h| h.sender);
    ensure(none == Err(SysError::TimedOut), || {
        format!("recv_timeout 0 with nothing queued: {none:?}")
    })?;
    let t0 = sys::time_ns();
    let none = sys::recv_timeout(&mut buf, 3_000_000).map(|h| h.sender);
    let waited = sys::time_ns() - t0;
    ensure(
        none == Err(SysError::TimedOut) && waited >= 3_000_000,
        || format!("recv_timeout 3 ms with nothing queued: {none:?} after {waited} ns"),
    )?;
    let (who, _) = echo(samgrd, b"after the deadline")?;
    ensure(who == sys::self_id(), || {
        String::from("samgrd echo after the deadline")
    })
}

/// The device kind the manifest grants this program (blkd holds the disk).
const GRANTED_KIND: &str = "virtio-rng";

/// This program's granted device (the virtio-rng device the harness attaches) and its
/// virtio device id.
fn granted_device() -> Result<(DeviceInfo, u32), String> {
    let kind = virtio_kind(GRANTED_KIND).ok_or_else(|| format!("{GRANTED_KIND}: no id"))?;
    let info = sys::device_info(0).map_err(|e| format!("device_info(0): {e}"))?;
    ensure(info.device_id == kind, || {
        format!(
            "granted device id {}, expected {kind} ({GRANTED_KIND})",
            info.device_id
        )
    })?;
    Ok((info, kind))
}

/// Reads the 32-bit register at `va` of a mapped device window.
fn mmio_read(va: usize) -> u32 {
    // SAFETY: `va` lies in a device window the kernel mapped for this process (returned
    // by `mmio_map` for the register asked); an aligned 32-bit read of the virtio magic
    // or DeviceID register has no side effect on the device.
    unsafe { core::ptr::read_volatile(va as *const u32) }
}

/// The granted window maps and reads as a virtio block device; DMA pages are
/// contiguous, usable, and the same window maps again at the same address.
fn device_grant() -> Check {
    let (info, kind) = granted_device()?;
    let va = sys::mmio_map(info.pa as usize, 0x100).map_err(|e| format!("mmio_map: {e}"))?;
    let magic = mmio_read(va);
    ensure(magic == VIRTIO_MAGIC, || format!("virtio magic {magic:#x}"))?;
    let id = mmio_read(va + VIRTIO_DEVICE_ID);
    ensure(id == kind, || format!("virtio device id {id}"))?;
    let again = sys::mmio_map(info.pa as usize + VIRTIO_DEVICE_ID, 4)
        .map_err(|e| format!("mmio_map again: {e}"))?;
    ensure(again == va + VIRTIO_DEVICE_ID, || {
        format!("second mapping at {again:#x}, first at {va:#x}")
    })?;
    println!(
        "selftest: {GRANTED_KIND} window {:#x} mapped at {va:#x}: magic {magic:#x}, device id {id}",
        info.pa
    );
    let t = sys::time_ns();
    let region = sys::dma_alloc(2).map_err(|e| format!("dma_alloc: {e}"))?;
    let dma_ns = sys::time_ns() - t;
    // The call's whole cost: the grant check, two zeroed contiguous frames, their
    // mapping in this address space.
    println!("bench: dma_alloc of 2 pages {dma_ns} ns");
    ensure(
        region.pa >= 0x8000_0000 && region.pa % PAGE_SIZE as u64 == 0,
        || format!("DMA region at {:#x}", region.pa),
    )?;
    let words = 2 * PAGE_SIZE / 8;
    for i in 0..words {
        // SAFETY: the kernel mapped the two pages at `region.va` writable for this
        // process (DMA memory, shared with no one yet); `i` stays inside them.
        unsafe { core::ptr::write_volatile((region.va as *mut u64).add(i), region.pa + i as u64) };
    }
    for i in 0..words {
        // SAFETY: as above.
        let v = unsafe { core::ptr::read_volatile((region.va as *const u64).add(i)) };
        ensure(v == region.pa + i as u64, || {
            format!("DMA word {i} reads {v:#x}")
        })?;
    }
    Ok(())
}

/// Requests outside the grants are errors, never faults: another window, an address
/// outside every window, bad sizes, a grant index past ours, DMA past the limit (and,
/// from `badptr`, a program without grants or the exec right: checked in "bad pointer").
fn grants_refused() -> Check {
    let (info, _) = granted_device()?;
    let pa = info.pa as usize;
    let len = info.len as usize;
    let other = (1..=8usize)
        .map(|slot| 0x1000_0000 + slot * 0x1000)
        .find(|p| *p != pa)
        .unwrap_or(0);
    let cases: [(&str, Result<usize, SysError>, SysError); 7] = [
        (
            "another device's window",
            sys::mmio_map(other, 4),
            SysError::Denied,
        ),
        (
            "the UART",
            sys::mmio_map(0x1000_0000, 4),
            SysError::BadAddress,
        ),
        ("RAM", sys::mmio_map(KERNEL_BASE, 4), SysError::BadAddress),
        ("0 bytes", sys::mmio_map(pa, 0), SysError::BadLength),
        (
            "past the window's end",
            sys::mmio_map(pa + len - 4, 8),
            SysError::BadLength,
        ),
        (
            "a second device",
            sys::device_info(1).map(|i| i.pa as usize),
            SysError::NoDevice,
        ),
        (
            "DMA of 0 pages",
            sys::dma_alloc(0).map(|r| r.va as usize),
            SysError::BadLength,
        ),
    ];
    for (what, got, want) in cases {
        ensure(got == Err(want), || {
            format!("{what}: {got:?}, expected {want:?}")
        })?;
    }
    let over = sys::dma_alloc(MAX_DMA_PAGES + 1);
    ensure(over == Err(SysError::BadLength), || {
        format!("DMA over {MAX_DMA_PAGES} pages: {over:?}")
    })?;
    // The rest of the 1 MiB allowance, then one page more.
    let mut left = DMA_MAX / PAGE_SIZE - 2;
    while left > 0 {
        let n = left.min(MAX_DMA_PAGES);
        sys::dma_alloc(n).map_err(|e| format!("dma_alloc({n}) within the limit: {e}"))?;
        left -= n;
    }
    let past = sys::dma_alloc(1);
    ensure(past == Err(SysError::NoMemory), || {
        format!("DMA past the limit: {past:?}")
    })
}

/// A program handed over in memory runs (it prints its line), and its fault record names
/// it with the build-id of its image; a damaged image is refused like an initrd one. The
/// image goes to execd (the `exec` program) in chunks over IPC, which starts it with
/// `spawn_image`; this program's own `spawn_image` is `Denied`.
fn spawn_from_memory(samgrd: ServiceId) -> Check {
    use kernel_core::tiny_elf;
    const MESSAGE: &[u8] = b"hello-image: running from memory\n";
    let build_id = [0x5E; tiny_elf::BUILD_ID_LEN];
    let mut image = [0u8; tiny_elf::image_len(MESSAGE.len())];
    let n = tiny_elf::print_then_break(&mut image, MESSAGE, &build_id)
        .ok_or_else(|| String::from("cannot write the image"))?;
    let own = sys::spawn_image(&image[..n], "hello-image");
    ensure(own == Err(SysError::Denied), || {
        format!("its own spawn_image: {own:?}, expected Denied (the exec right is execd's)")
    })?;
    let execd = execd(samgrd)?;
    let mut ipc = sys::Ipc;
    let mut c = execd_api::Client::new(&mut ipc, execd);
    let damaged = c.run_image(&image[..60], "hello-image");
    ensure(
        damaged == Err(execd_api::Error::Sys(SysError::BadImage)),
        || format!("truncated image: {damaged:?}"),
    )?;
    let badname = c.run_image(&image[..n], "Hello Image");
    ensure(
        badname == Err(execd_api::Error::Sys(SysError::BadLength)),
        || format!("invalid name: {badname:?}"),
    )?;
    let t = sys::time_ns();
    let id = c
        .run_image(&image[..n], "hello-image")
        .map_err(|e| format!("run_image: {e}"))?;
    let spawn_ns = sys::time_ns() - t;
    let (code, record) = c.wait_for(id).map_err(|e| format!("wait: {e}"))?;
    let run_ns = sys::time_ns() - t;
    // The upload to execd and its spawn_image (the kernel's checks, the load plan, a new
    // address space, the copy of the image's segments); then the child's whole life to
    // its fault record, which includes execd's crash report (crashd's dump) before it
    // answers the wait.
    println!("bench: spawn_image of a {n}-byte image {spawn_ns} ns");
    println!("bench: spawn_image to the child's fault record {run_ns} ns");
    ensure(Ok(code) == fault_exit_code(3), || {
        format!("hello-image ended with {code}, expected the ebreak's")
    })?;
    let rec = record.ok_or_else(|| String::from("hello-image: no fault record"))?;
    check_record_of("hello-image", &rec, 3, None, &build_id)?;
    let (who, _) = echo(samgrd, b"after hello-image")?;
    ensure(who == sys::self_id(), || {
        String::from("samgrd echo after hello-image")
    })
}

fn check_record_of(
    name: &str,
    rec: &FaultRecord,
    scause: u64,
    stval: Option<u64>,
    build_id: &[u8],
) -> Check {
    check_record(name, rec, scause, stval)?;
    let module = rec
        .modules()
        .first()
        .ok_or_else(|| format!("{name}: no module"))?;
    ensure(module.build_id() == build_id, || {
        format!("{name}: build-id {:02x?}", module.build_id())
    })
}

/// The partition of blkd's disk this program may use (`blkd_api::access::ACCESS`).
const BLKD_PARTITION: Target<'static> = Target::Partition("scratch");
/// Sectors of the first write (the most one request moves).
const RW_SECTORS: u64 = blkd_api::MAX_SECTORS as u64;

/// blkd, found through samgrd (it registers before it reports ready), and a client.
fn blkd(samgrd: ServiceId) -> Result<blkd_api::Client<sys::Ipc>, String> {
    let id = sam(samgrd)
        .lookup(blkd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup blkd: {e}"))?;
    Ok(blkd_api::Client::new(sys::Ipc, id))
}

/// Opens this program's partition: its handle and size.
fn open_scratch(c: &mut blkd_api::Client<sys::Ipc>) -> Result<blkd_api::Opened, String> {
    let opened = c
        .open(BLKD_PARTITION)
        .map_err(|e| format!("open {}: {e}", BLKD_PARTITION.name()))?;
    ensure(opened.sectors > RW_SECTORS + 1, || {
        format!("{} has {} sectors", BLKD_PARTITION.name(), opened.sectors)
    })?;
    Ok(opened)
}

/// The bytes written to partition sector `lba`: the line `blkd lba NNNN  \n` (16 bytes)
/// 32 times, which the harness also checks on the disk image after the run.
fn sector_pattern(lba: u64) -> Vec<u8> {
    format!("blkd lba {lba:04}  \n")
        .as_bytes()
        .repeat(SECTOR / 16)
}

/// Writes a known pattern to the first sectors and the last sector of the partition,
/// flushes, and reads each back; the sector after the first write is still zero.
fn blkd_rw(samgrd: ServiceId) -> Check {
    let mut c = blkd(samgrd)?;
    let opened = open_scratch(&mut c)?;
    let h = opened.handle;
    let size = c.size(h).map_err(|e| format!("size: {e}"))?;
    ensure(size == opened.sectors, || {
        format!("size {size}, open said {}", opened.sectors)
    })?;
    let first: Vec<u8> = (0..RW_SECTORS).flat_map(sector_pattern).collect();
    let last_lba = opened.sectors - 1;
    let last = sector_pattern(last_lba);
    c.write(h, 0, &first)
        .map_err(|e| format!("write at 0: {e}"))?;
    c.write(h, last_lba, &last)
        .map_err(|e| format!("write at {last_lba}: {e}"))?;
    c.flush(h).map_err(|e| format!("flush: {e}"))?;
    let mut back = alloc::vec![0u8; first.len()];
    c.read(h, 0, &mut back)
        .map_err(|e| format!("read at 0: {e}"))?;
    ensure(back == first, || {
        String::from("sectors 0.. read back differ")
    })?;
    let mut one = alloc::vec![0u8; SECTOR];
    c.read(h, last_lba, &mut one)
        .map_err(|e| format!("read at {last_lba}: {e}"))?;
    ensure(one == last, || {
        format!("sector {last_lba} reads back differ")
    })?;
    c.read(h, RW_SECTORS, &mut one)
        .map_err(|e| format!("read at {RW_SECTORS}: {e}"))?;
    ensure(one.iter().all(|b| *b == 0), || {
        format!("sector {RW_SECTORS}, never written, is not zero")
    })?;
    println!(
        "selftest: blkd {}: handle {h}, {} sectors; sectors 0..{RW_SECTORS} and {last_lba} written, flushed, read back",
        BLKD_PARTITION.name(),
        opened.sectors
    );
    Ok(())
}

/// Sectors past the partition's end are refused (`BadAddress`), and so is a request
/// over the sector limit (`BadLength`); the partition's last sector is unchanged.
fn blkd_bounds(samgrd: ServiceId) -> Check {
    let mut c = blkd(samgrd)?;
    let opened = open_scratch(&mut c)?;
    let (h, n) = (opened.handle, opened.sectors);
    let mut one = alloc::vec![0u8; SECTOR];
    let mut two = alloc::vec![0u8; 2 * SECTOR];
    let fill = alloc::vec![0xA5u8; SECTOR];
    let cases: [(&str, Result<(), SysError>); 5] = [
        ("read at the end", c.read(h, n, &mut one)),
        ("read across the end", c.read(h, n - 1, &mut two)),
        ("read at lba 2^64 - 1", c.read(h, u64::MAX, &mut one)),
        ("write at the end", c.write(h, n, &fill)),
        (
            "write across the end",
            c.write(h, n - 1, &[fill.clone(), fill.clone()].concat()),
        ),
    ];
    for (what, got) in cases {
        ensure(got == Err(SysError::BadAddress), || {
            format!("{what}: {got:?}, expected BadAddress")
        })?;
    }
    // Over the sector limit, sent as raw bytes (the stub refuses it before sending).
    let over = blkd_api::Request::Read {
        handle: h,
        lba: 0,
        sectors: blkd_api::MAX_SECTORS + 1,
    }
    .encode();
    let mut reply = alloc::vec![0u8; nexus_rt::abi::ipc::MAX_MSG];
    let id = sam(samgrd)
        .lookup(blkd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup blkd: {e}"))?;
    let got = sys::call(id, &over, &mut reply)
        .map_err(|e| format!("call: {e}"))
        .map(|len| reply[..len].to_vec())?;
    ensure(got == [SysError::BadLength as u8], || {
        format!(
            "read of {} sectors: reply {got:?}",
            blkd_api::MAX_SECTORS + 1
        )
    })?;
    c.read(h, n - 1, &mut one)
        .map_err(|e| format!("read at {}: {e}", n - 1))?;
    ensure(one == sector_pattern(n - 1), || {
        String::from("the last sector changed after the refused writes")
    })
}

/// A partition, the whole disk and handles this program was not granted are refused
/// (`Denied`); names and handles that exist nowhere are `NoDevice`.
fn blkd_denied(samgrd: ServiceId) -> Check {
    let mut c = blkd(samgrd)?;
    let own = open_scratch(&mut c)?.handle;
    // The image disk's partitions and the image disk whole are served (so `Denied`, not
    // `NoDevice`), but not to this program.
    let opens: [(Target<'_>, SysError); 6] = [
        (Target::Partition("private"), SysError::Denied),
        (Target::Disk("disk0"), SysError::Denied),
        (Target::Partition("state"), SysError::Denied),
        (Target::Partition("kernel"), SysError::Denied),
        (Target::Disk("os"), SysError::Denied),
        (Target::Partition("nothing"), SysError::NoDevice),
    ];
    for (target, want) in opens {
        let got = c.open(target);
        ensure(got == Err(want), || {
            format!("open {target:?}: {got:?}, expected {want:?}")
        })?;
    }
    // Handles are indices: guessing one gains nothing, each request is checked again.
    let mut one = alloc::vec![0u8; SECTOR];
    // Handles 0..7: both disks whole and all their partitions (disk0 and os in grant order).
    for h in (0..7u32).filter(|h| *h != own) {
        let got = c.read(h, 0, &mut one);
        ensure(got == Err(SysError::Denied), || {
            format!("read through handle {h}: {got:?}, expected Denied")
        })?;
        let got = c.write(h, 0, &one);
        ensure(got == Err(SysError::Denied), || {
            format!("write through handle {h}: {got:?}, expected Denied")
        })?;
    }
    let got = c.size(99);
    ensure(got == Err(SysError::NoDevice), || {
        format!("size of handle 99: {got:?}, expected NoDevice")
    })
}

/// Where the persist proof lives in `scratch`: a header sector, then the pattern. Clear
/// of the sectors `blkd rw` writes (0..7 and the last) and reads as zeros (7), and of
/// the power-cut runs' mode line (512, `churn::MODE_LBA`).
const PERSIST_HEADER_LBA: u64 = 600;
/// Sectors of the persist pattern (128 KiB), after the header.
const PERSIST_SECTORS: u64 = 256;

/// What the persist proof did on this boot.
enum Persist {
    /// Boot 1: the pattern and header are written and flushed; reboot next.
    Written,
    /// Boot 2: the pattern boot 1 wrote read back whole.
    ReadBack,
}

/// The header sector boot 1 writes last: the line `persist written\n` 32 times.
fn persist_header() -> Vec<u8> {
    b"persist written\n".repeat(SECTOR / 16)
}

/// Pattern sector `i`: the line `persist lba NNN\n` (16 bytes) 32 times, which the
/// harness also checks on the disk image after the run.
fn persist_sector(i: u64) -> Vec<u8> {
    format!("persist lba {i:03}\n")
        .as_bytes()
        .repeat(SECTOR / 16)
}

/// Boot 1 (header zeros): writes the pattern, then the header, flushes; boot 2 (header
/// present): reads the pattern back and compares it whole. Either prints blkd's time for
/// the pattern's bytes beside the kernel's memcpy of as many.
fn disk_persist(samgrd: ServiceId) -> Result<Persist, String> {
    let mut c = blkd(samgrd)?;
    let opened = open_scratch(&mut c)?;
    let h = opened.handle;
    ensure(
        opened.sectors > PERSIST_HEADER_LBA + PERSIST_SECTORS,
        || format!("scratch has {} sectors", opened.sectors),
    )?;
    let mut header = alloc::vec![0u8; SECTOR];
    c.read(h, PERSIST_HEADER_LBA, &mut header)
        .map_err(|e| format!("read the header at {PERSIST_HEADER_LBA}: {e}"))?;
    let pattern: Vec<u8> = (0..PERSIST_SECTORS).flat_map(persist_sector).collect();
    let first = PERSIST_HEADER_LBA + 1;
    let chunk = blkd_api::MAX_SECTORS as usize * SECTOR;
    if header.iter().all(|b| *b == 0) {
        let start = sys::time_ns();
        for (i, part) in pattern.chunks(chunk).enumerate() {
            let lba = first + (i * chunk / SECTOR) as u64;
            c.write(h, lba, part)
                .map_err(|e| format!("write at {lba}: {e}"))?;
        }
        c.flush(h).map_err(|e| format!("flush: {e}"))?;
        let ns = sys::time_ns() - start;
        // The header last, once the pattern is durable: boot 2 finds all or no header.
        c.write(h, PERSIST_HEADER_LBA, &persist_header())
            .map_err(|e| format!("write the header: {e}"))?;
        c.flush(h).map_err(|e| format!("flush the header: {e}"))?;
        bench_disk("write", pattern.len(), ns)?;
        // The kernel resets the machine for init alone; this program goes through init.
        let refused = sys::reboot();
        ensure(refused == SysError::NotPermitted, || {
            format!("its own reboot syscall: {refused:?}, expected NotPermitted")
        })?;
        println!(
            "selftest: disk persist: boot 1 (header zeros): sectors {first}..{} and the header at {PERSIST_HEADER_LBA} of scratch written, flushed",
            first + PERSIST_SECTORS
        );
        return Ok(Persist::Written);
    }
    ensure(header == persist_header(), || {
        format!("the header at {PERSIST_HEADER_LBA} is neither zeros nor boot 1's")
    })?;
    let mut back = alloc::vec![0u8; pattern.len()];
    let start = sys::time_ns();
    for (i, part) in back.chunks_mut(chunk).enumerate() {
        let lba = first + (i * chunk / SECTOR) as u64;
        c.read(h, lba, part)
            .map_err(|e| format!("read at {lba}: {e}"))?;
    }
    let ns = sys::time_ns() - start;
    if let Some(i) = (0..pattern.len() / SECTOR)
        .find(|i| back[i * SECTOR..(i + 1) * SECTOR] != pattern[i * SECTOR..(i + 1) * SECTOR])
    {
        return Err(format!(
            "boot 2 (header present): sector {} of scratch differs from what boot 1 wrote",
            first + i as u64
        ));
    }
    bench_disk("read", pattern.len(), ns)?;
    println!(
        "selftest: disk persist: boot 2 (header present): sectors {first}..{} of scratch read back equal",
        first + PERSIST_SECTORS
    );
    Ok(Persist::ReadBack)
}

/// Prints blkd's time for `bytes` of a partition (`what`: read or write) and, in the same
/// boot, the kernel's memcpy of as many bytes.
fn bench_disk(what: &str, bytes: usize, ns: u64) -> Check {
    let copy = sys::bench_copy(bytes).map_err(|e| format!("bench_copy({bytes}): {e}"))?;
    println!("bench: blkd {what} of a partition, {bytes} bytes {ns} ns");
    println!("bench: kernel memcpy beside the blkd {what}, {bytes} bytes {copy} ns");
    Ok(())
}

/// This program's subtree of `state:` (`statefsd_api::access::ACCESS`).
const STATE_DIR: &str = "settings/selftest";

/// statefsd, found through samgrd.
fn statefsd(samgrd: ServiceId) -> Result<ServiceId, String> {
    sam(samgrd)
        .lookup(statefsd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup statefsd: {e}"))
}

/// Writes and reads back a file in this program's subtree; a write, a rename out and a
/// read in other programs' subtrees are refused with `Denied`, and change nothing: the
/// blocks in use are the same after them, and the own file is intact.
fn state_isolation(samgrd: ServiceId) -> Check {
    let id = statefsd(samgrd)?;
    let mut ipc = sys::Ipc;
    let mut c = statefsd_api::Client::new(&mut ipc, id);
    let path = format!("{STATE_DIR}/probe");
    let body: Vec<u8> = (0..6000u32).map(|i| (i % 253) as u8).collect();
    c.write_file(&path, &body)
        .map_err(|e| format!("write {path}: {e:?}"))?;
    let back = c
        .read_file(&path, 1 << 20)
        .map_err(|e| format!("read {path}: {e:?}"))?;
    ensure(back == body, || format!("{path}: read back differs"))?;
    let before = c.usage().map_err(|e| format!("usage: {e:?}"))?;
    let denied = statefsd_api::Error::Sys(SysError::Denied);
    for (what, result) in [
        (
            "write crash/x.nxcd",
            c.write_file("crash/x.nxcd", b"not mine"),
        ),
        (
            "write boot/bootctl",
            c.write_file("boot/bootctl", b"slot=b"),
        ),
        ("rename out", c.rename(&path, "crash/stolen")),
        ("list crash", c.list("crash").map(|_| ())),
        ("stat trust", c.stat("trust").map(|_| ())),
    ] {
        ensure(result == Err(denied), || {
            format!("{what}: {result:?}, expected Denied")
        })?;
    }
    let after = c.usage().map_err(|e| format!("usage: {e:?}"))?;
    ensure(after == before, || {
        format!("refused requests changed the store: {before:?} -> {after:?}")
    })?;
    let again = c
        .read_file(&path, 1 << 20)
        .map_err(|e| format!("read {path}: {e:?}"))?;
    ensure(again == body, || {
        format!("{path}: changed by refused requests")
    })?;
    println!(
        "selftest: state isolation: {} bytes written and read back in {STATE_DIR}; 5 requests outside it refused; {} of {} blocks in use, unchanged",
        body.len(),
        after.used,
        after.blocks
    );
    Ok(())
}

/// The time to write and sync a 64 KiB file through statefsd (its `Commit` returns once
/// littlefs synced, which flushes through blkd), replacing it each time: the median of
/// five, beside a memcpy of the same bytes in this boot. The file reads back whole.
fn state_bench(samgrd: ServiceId) -> Check {
    const RUNS: usize = 5;
    let id = statefsd(samgrd)?;
    let mut ipc = sys::Ipc;
    let mut c = statefsd_api::Client::new(&mut ipc, id);
    let path = format!("{STATE_DIR}/bench-64k");
    let body: Vec<u8> = (0..65536u32)
        .map(|i| (i.wrapping_mul(7) >> 3) as u8)
        .collect();
    let mut writes = Vec::with_capacity(RUNS);
    let mut copies = Vec::with_capacity(RUNS);
    let mut sink = alloc::vec![0u8; body.len()];
    for _ in 0..RUNS {
        let t = sys::time_ns();
        c.write_file(&path, &body)
            .map_err(|e| format!("write {path}: {e:?}"))?;
        writes.push(sys::time_ns() - t);
        let t = sys::time_ns();
        sink.copy_from_slice(&body);
        core::hint::black_box(&mut sink);
        copies.push(sys::time_ns() - t);
    }
    let back = c
        .read_file(&path, 1 << 20)
        .map_err(|e| format!("read {path}: {e:?}"))?;
    ensure(back == body, || format!("{path}: read back differs"))?;
    c.remove(&path)
        .map_err(|e| format!("remove {path}: {e:?}"))?;
    writes.sort_unstable();
    copies.sort_unstable();
    println!(
        "bench: statefsd write+sync 64 KiB {} us (median of {RUNS}; memcpy of the same bytes {} us)",
        writes[RUNS / 2] / 1000,
        copies[RUNS / 2] / 1000
    );
    Ok(())
}

/// The file the state persist proof writes in boot 1 and reads in boot 2.
const STATE_PERSIST: &str = "settings/selftest/persist";

/// Its contents: 40 KiB over several littlefs blocks, each 16-byte line naming its place.
fn state_persist_body() -> Vec<u8> {
    (0..2560u32)
        .flat_map(|i| format!("persist {i:05}  \n").into_bytes())
        .collect()
}

/// Boot 1 (`Written`): writes [`STATE_PERSIST`] through statefsd before the reboot.
/// Boot 2 (`ReadBack`): reads it back whole through statefsd, whose store was mounted,
/// not formatted again (its header's generation is still 1).
fn state_persist(samgrd: ServiceId, boot: Persist) -> Check {
    let id = statefsd(samgrd)?;
    let mut ipc = sys::Ipc;
    let mut c = statefsd_api::Client::new(&mut ipc, id);
    let body = state_persist_body();
    match boot {
        Persist::Written => c
            .write_file(STATE_PERSIST, &body)
            .map_err(|e| format!("write {STATE_PERSIST}: {e:?}")),
        Persist::ReadBack => {
            let usage = c.usage().map_err(|e| format!("usage: {e:?}"))?;
            ensure(usage.generation == 1, || {
                format!(
                    "the store was formatted again (generation {})",
                    usage.generation
                )
            })?;
            let back = c
                .read_file(STATE_PERSIST, 1 << 20)
                .map_err(|e| format!("read {STATE_PERSIST} written in boot 1: {e:?}"))?;
            ensure(back == body, || {
                format!(
                    "{STATE_PERSIST}: {} bytes read, not the {} written in boot 1",
                    back.len(),
                    body.len()
                )
            })
        }
    }
}
