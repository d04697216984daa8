//! selftest-client: drives the os-lite proofs. Each `SELFTEST: <name> ok` line is
//! printed only after its check passed; a failed check prints `SELFTEST: <name> FAIL:
//! <why>` and exits 1. After the last proof it prints `SELFTEST: end` and exits 0, which
//! ends the system (it is the manifest's `final` program).
//!
//! It also measures, in the same boot: the null syscall and the IPC round trip to
//! samgrd (another address space), and the time from kernel start to `SELFTEST: end`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use nexus_rt::abi::fault::{FaultRecord, REG_SP};
use nexus_rt::abi::layout::{KERNEL_BASE, STACK_SIZE, STACK_TOP, USER_START};
use nexus_rt::abi::{fault_exit_code, ServiceId, SysError};
use nexus_rt::proto::{self, rpc, SIBLING_ADDR};
use nexus_rt::{println, sys};

nexus_rt::entry!(main);

type Check = Result<(), String>;

fn ensure(cond: bool, why: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(why())
    }
}

fn main() -> i32 {
    if let Err(e) = proto::init_ready() {
        println!("SELFTEST: init FAIL: {e}");
        return 1;
    }
    let samgrd = match proto::locate("samgrd") {
        Ok(id) => id,
        Err(e) => {
            println!("SELFTEST: locate FAIL: samgrd: {e}");
            return 1;
        }
    };
    let steps: [(&str, &dyn Fn() -> Check); 5] = [
        ("ipc roundtrip", &|| ipc_roundtrip(samgrd)),
        ("bench", &|| bench(samgrd)),
        ("preemption", &|| preemption(samgrd)),
        ("bad pointer", &|| bad_pointer(samgrd)),
        ("fault isolation", &|| fault_isolation(samgrd)),
    ];
    for (name, step) in steps {
        match step() {
            Ok(()) if name == "bench" => {}
            Ok(()) => println!("SELFTEST: {name} ok"),
            Err(why) => {
                println!("SELFTEST: {name} FAIL: {why}");
                return 1;
            }
        }
    }
    let boot_ns = sys::time_ns();
    println!("SELFTEST: end");
    println!("bench: kernel start to SELFTEST: end {} us", boot_ns / 1000);
    0
}

fn echo(samgrd: ServiceId, payload: &[u8]) -> Result<(ServiceId, Vec<u8>), String> {
    let body = rpc(samgrd, proto::SAM_ECHO, payload).map_err(|e| format!("echo: {e}"))?;
    let sender = proto::u32_of(&body).map_err(|e| format!("echo reply: {e}"))?;
    Ok((sender, body[4..].to_vec()))
}

/// Register, look up and echo a message of maximum size through samgrd.
fn ipc_roundtrip(samgrd: ServiceId) -> Check {
    let me = sys::self_id();
    rpc(samgrd, proto::SAM_REGISTER, b"selftest-client").map_err(|e| format!("register: {e}"))?;
    let found = rpc(samgrd, proto::SAM_LOOKUP, b"selftest-client")
        .and_then(|b| proto::u32_of(&b))
        .map_err(|e| format!("lookup: {e}"))?;
    ensure(found == me, || {
        format!("lookup gave {found}, self_id is {me}")
    })?;
    let sam = rpc(samgrd, proto::SAM_LOOKUP, b"samgrd")
        .and_then(|b| proto::u32_of(&b))
        .map_err(|e| format!("lookup samgrd: {e}"))?;
    ensure(sam == samgrd, || {
        format!("samgrd registered as {sam}, init says {samgrd}")
    })?;
    // A name bound to another id cannot be taken over: samgrd goes by the kernel's id.
    let taken = rpc(samgrd, proto::SAM_REGISTER, b"samgrd").map(|_| ());
    ensure(taken == Err(SysError::Denied), || {
        format!("re-registering samgrd gave {taken:?}")
    })?;
    // The largest echo: a 4092-byte request, a 4096-byte reply.
    let payload: Vec<u8> = (0..4091u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut reply = alloc::vec![0u8; nexus_rt::abi::ipc::MAX_MSG];
    let n = sys::call(
        samgrd,
        &proto::request(proto::SAM_ECHO, &payload),
        &mut reply,
    )
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
    let msg = proto::request(proto::SAM_COUNT, &[]);
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
    let large = proto::request(proto::SAM_ECHO, &[0x5A; nexus_rt::abi::ipc::MAX_MSG - 5]);
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
    let body = rpc(samgrd, proto::SAM_COUNT, &[]).map_err(|e| format!("count: {e}"))?;
    let b: [u8; 8] = body
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| String::from("count reply"))?;
    Ok(u64::from_le_bytes(b))
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
    let spinner = proto::run("spinner").map_err(|e| format!("run spinner: {e}"))?;
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
    let id = proto::run("badptr").map_err(|e| format!("run badptr: {e}"))?;
    let (code, record) = proto::wait_for(id).map_err(|e| format!("wait badptr: {e}"))?;
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
        let id = proto::run(name).map_err(|e| format!("run {name}: {e}"))?;
        let (code, record) = proto::wait_for(id).map_err(|e| format!("wait {name}: {e}"))?;
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
