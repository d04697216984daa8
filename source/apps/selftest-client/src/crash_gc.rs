//! crashd's retention and repeat counting, proven in the OS (docs/reliability/crashd.md,
//! "Markers and proofs"). selftest-client is a `runner`, so crashd takes its
//! submissions; it hands crashd records it synthesizes for a program `gc-probe` (not in
//! the boot manifest, so its dumps get the sensitive policy: no stack, own records
//! only), each fault at its own pc unless a repeat is meant.
//!
//! - `crash repeat`: the same record twice gives one dump, whose reply counts the second
//!   as repeat 1, and whose stored size `Stat` confirms.
//! - `crash gc`: with a budget of three and a half probe dumps (crashd's `Budget`, which
//!   only a supervisor may send), six more probes leave the newest three: `List` shows
//!   exactly them, oldest first, within the budget, and `Stat` no longer finds the
//!   oldest; a budget smaller than one dump refuses the next with `OverBudget`. The
//!   default budget is restored before the check returns.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use crashd_api::{Client, CrashCode, Error, Stored, Submission};
use nexus_rt::abi::fault::{FaultRecord, ModuleEntry, REG_COUNT, REG_PC, REG_SCAUSE, REG_STVAL};
use nexus_rt::abi::ServiceId;
use nexus_rt::sys;

use crate::{ensure, sam, Check};

/// The program the probe records name (module 0 of each record).
const PROBE: &str = "gc-probe";
/// The pid the probes claim (no process of this boot has it).
const PROBE_PID: u32 = 900;
/// Where the probe program lies, and the first fault pc.
const PROBE_START: u64 = 0x4001_0000;
const PROBE_PC: u64 = 0x4001_0100;

/// The record of a probe fault (a store page fault) at `pc`.
fn probe_record(pc: u64) -> Result<Vec<u8>, String> {
    let mut regs = [0u64; REG_COUNT];
    regs[REG_PC] = pc;
    regs[REG_SCAUSE] = 15;
    regs[REG_STVAL] = 0x10;
    let mut rec = FaultRecord::new(regs);
    rec.modules[0] = ModuleEntry::new(
        PROBE.as_bytes(),
        PROBE_START,
        PROBE_START + 0x1_0000,
        PROBE_START,
        &[0x9c; 20],
    );
    rec.module_count = 1;
    let mut raw = alloc::vec![0u8; FaultRecord::MAX_LEN];
    let n = rec
        .encode(&mut raw)
        .map_err(|e| format!("probe record: {e}"))?;
    raw.truncate(n);
    Ok(raw)
}

fn crashd(samgrd: ServiceId) -> Result<ServiceId, String> {
    sam(samgrd)
        .lookup(crashd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup crashd: {e}"))
}

/// Submits a probe fault at `pc`, now.
fn submit(c: &mut Client<'_, sys::Ipc>, pc: u64) -> Result<Stored, Error> {
    let record = probe_record(pc).map_err(|_| Error::Sys(nexus_rt::abi::SysError::BadLength))?;
    c.submit(&Submission {
        pid: PROBE_PID,
        time_ns: sys::time_ns(),
        program: PROBE,
        record: &record,
    })
}

/// The same crash twice is one dump, counted twice.
pub(crate) fn crash_repeat(samgrd: ServiceId) -> Check {
    let mut ipc = sys::Ipc;
    let mut c = Client::new(&mut ipc, crashd(samgrd)?);
    let first = submit(&mut c, PROBE_PC).map_err(|e| format!("submit: {e}"))?;
    ensure(first.repeats == 0, || {
        format!("a new crash came back with repeats {}", first.repeats)
    })?;
    let again = submit(&mut c, PROBE_PC).map_err(|e| format!("submit again: {e}"))?;
    ensure(again.id == first.id && again.repeats == 1, || {
        format!(
            "the repeat came back as {} with repeats {}, expected {} with 1",
            again.id, again.repeats, first.id
        )
    })?;
    let size = c
        .stat(&again.id)
        .map_err(|e| format!("stat {}: {e}", again.id))?;
    ensure(size == again.size, || {
        format!(
            "crash/{}.nxcd holds {size} bytes, the reply named {}",
            again.id, again.size
        )
    })?;
    nexus_rt::println!(
        "selftest: crash repeat: {} counted twice, {size} bytes",
        again.id
    );
    Ok(())
}

/// Over the budget, the oldest dumps go and the newest stay, within the budget.
pub(crate) fn crash_gc(samgrd: ServiceId) -> Check {
    let mut ipc = sys::Ipc;
    let mut c = Client::new(&mut ipc, crashd(samgrd)?);
    let sized = submit(&mut c, PROBE_PC + 0x40).map_err(|e| format!("submit: {e}"))?;
    let budget = 3 * sized.size + sized.size / 2;
    let previous = c
        .set_budget(budget)
        .map_err(|e| format!("budget {budget}: {e}"))?;
    let result = over_budget(&mut c, budget);
    // The default again, whatever the result.
    let restored = c.set_budget(0);
    result?;
    restored.map_err(|e| format!("restore the budget: {e}"))?;
    nexus_rt::println!(
        "selftest: crash gc: budget {budget} bytes kept the newest 3 (crashd's budget was {previous})"
    );
    Ok(())
}

fn over_budget(c: &mut Client<'_, sys::Ipc>, budget: u64) -> Check {
    let mut ids = Vec::new();
    for i in 0..6u64 {
        let s = submit(c, PROBE_PC + 0x80 + 4 * i).map_err(|e| format!("submit {i}: {e}"))?;
        ensure(s.repeats == 0, || format!("probe {i} counted as a repeat"))?;
        ids.push(s.id);
    }
    let listing = c.list().map_err(|e| format!("list: {e}"))?;
    let kept: Vec<&str> = listing.dumps.iter().map(|d| d.id.as_str()).collect();
    let newest: Vec<&str> = ids[3..].iter().map(String::as_str).collect();
    ensure(kept == newest, || {
        format!("crashd keeps {kept:?}, expected the newest three {newest:?}")
    })?;
    let sum: u64 = listing.dumps.iter().map(|d| d.size).sum();
    ensure(
        listing.budget == budget && listing.bytes == sum && sum <= budget,
        || {
            format!(
                "crash/ holds {} bytes ({sum} listed) under a budget of {} (set {budget})",
                listing.bytes, listing.budget
            )
        },
    )?;
    for gone in &ids[..3] {
        let stat = c.stat(gone);
        ensure(stat == Err(Error::Service(CrashCode::NotFound)), || {
            format!("the old dump {gone} is still there: {stat:?}")
        })?;
    }
    for kept in &listing.dumps {
        let size = c
            .stat(&kept.id)
            .map_err(|e| format!("stat {}: {e}", kept.id))?;
        ensure(size == kept.size, || {
            format!(
                "crash/{}.nxcd holds {size} bytes, listed {}",
                kept.id, kept.size
            )
        })?;
    }
    // A budget smaller than one dump: the next one is refused, and said.
    c.set_budget(64).map_err(|e| format!("budget 64: {e}"))?;
    let refused = submit(c, PROBE_PC + 0x100);
    ensure(
        refused == Err(Error::Service(CrashCode::OverBudget)),
        || format!("a dump over the budget: {refused:?}, expected OverBudget"),
    )
}
