//! From a fault record to a dump: the pure part of crashd (no I/O), run on the host by
//! the tests with synthesized records.
//!
//! - `regs.bin` is the record's 288 register bytes verbatim (the same order, one
//!   definition in `nxcd`).
//! - `frames.json`: the faulting pc, then the return addresses found by walking the
//!   frame-pointer chain through the record's stack copy ([`unwind`]).
//! - `maps.json`: one entry per module of the record (runtime range, link base,
//!   build-id, name).
//! - `header.json`: `arch` `riscv64`, the main module's build-id, `created_ns` the
//!   supervisor's fault time, the dump id ([`dump_id`]), the fault exit code
//!   (`abi::fault_exit_code`), pc, pid, program, scause, stval; and crashd's keys from
//!   [`Extras`]: `seq` (its store order), `redacted` (what the policy left out),
//!   `logs_error` (why logs are missing).
//! - `logs.jsonl`: the recent log records crashd read from logd ([`crate::logs`]), when
//!   there are any.
//!
//! The redaction policy ([`crate::redact`]) applies here: with `stack` redacted the
//! frames are the faulting pc alone.

use abi::fault::{FaultRecord, ModuleEntry, REG_FP};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use nxcd::{BuildId, Dump, DumpId, Frame, Header, LogRecord, MapEntry, Registers};

use crate::redact::Redaction;
use crate::Submission;

/// What crashd adds to a record's dump beside the record itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extras {
    /// What the dump leaves out.
    pub redaction: Redaction,
    /// The recent log records (already filtered by the policy), oldest first.
    pub logs: Vec<LogRecord>,
    /// Why records may be missing from the logs (the header's `logs_error`).
    pub logs_error: Option<String>,
    /// crashd's store sequence number of the dump (the header's `seq`), if any.
    pub seq: Option<u64>,
}

/// Most frames a dump carries: the faulting pc and at most 31 return addresses.
pub const MAX_FRAMES: usize = 32;

/// Why a record cannot make a dump. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DumpError {
    /// The record has no module: no build-id for the header.
    NoModule,
    /// The main module (the record's first) is not named like the submitted program.
    ProgramMismatch,
    /// A module (index given) has no build-id, a name that is not UTF-8, or an empty
    /// range.
    BadModule(usize),
    /// The cause is an interrupt's (bit 63), which ends no process.
    InterruptCause(u64),
    /// The dump id is not one `nxcd` accepts.
    BadId,
    /// The dump would not encode (`nxcd`'s error).
    Encode(nxcd::Error),
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::NoModule => f.write_str("fault record: no module"),
            DumpError::ProgramMismatch => {
                f.write_str("fault record: module 0 is not the submitted program")
            }
            DumpError::BadModule(i) => write!(f, "fault record: module {i} unusable"),
            DumpError::InterruptCause(c) => {
                write!(f, "fault record: scause {c:#x} is an interrupt")
            }
            DumpError::BadId => f.write_str("dump id: not a valid dump id"),
            DumpError::Encode(e) => write!(f, "dump: {e}"),
        }
    }
}

impl core::error::Error for DumpError {}

/// The dump id of a fault: `<time_ns>-<program>-<pid>` (at most 20 + 1 + 31 + 1 + 10
/// characters, within the 64 `nxcd` allows), unique per process and fault time.
pub fn dump_id(time_ns: u64, program: &str, pid: u32) -> Result<DumpId, DumpError> {
    DumpId::new(&format!("{time_ns}-{program}-{pid}")).map_err(|_| DumpError::BadId)
}

/// Whether `id` is a dump id `nxcd` accepts (so `crash/<id>.nxcd` stays in `crash/`).
pub fn valid_id(id: &str) -> bool {
    DumpId::new(id).is_ok()
}

/// The little-endian `u64` of the stack copy at address `addr`, if the copy holds all
/// eight bytes.
fn stack_word(rec: &FaultRecord, addr: u64) -> Option<u64> {
    let off = usize::try_from(addr.checked_sub(rec.stack_base)?).ok()?;
    let bytes = rec.stack().get(off..off.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

fn module_of(rec: &FaultRecord, pc: u64) -> Option<&ModuleEntry> {
    rec.modules().iter().find(|m| m.start <= pc && pc < m.end)
}

/// The frames' pcs, innermost first: the faulting pc, then the return addresses of the
/// frame-pointer chain. On RISC-V with frame pointers, `fp` (`s0`) points at the frame's
/// top: the return address is saved at `fp - 8` and the caller's `fp` at `fp - 16`.
///
/// The walk is bounded: at most [`MAX_FRAMES`] pcs; it stops at the first frame whose
/// saved words are not inside the stack copy, whose return address is 0 or outside
/// every module, or whose caller's `fp` does not lie above its own (the stack grows
/// down, so a chain that does not climb is corrupt).
pub fn unwind(rec: &FaultRecord) -> Vec<u64> {
    let mut pcs = Vec::with_capacity(MAX_FRAMES);
    pcs.push(rec.pc());
    let mut fp = rec.regs[REG_FP];
    while pcs.len() < MAX_FRAMES && fp.is_multiple_of(8) {
        let (Some(ra_at), Some(fp_at)) = (fp.checked_sub(8), fp.checked_sub(16)) else {
            break;
        };
        let (Some(ra), Some(caller_fp)) = (stack_word(rec, ra_at), stack_word(rec, fp_at)) else {
            break;
        };
        if ra == 0 || module_of(rec, ra).is_none() {
            break;
        }
        pcs.push(ra);
        if caller_fp <= fp {
            break;
        }
        fp = caller_fp;
    }
    pcs
}

fn build_id_of(m: &ModuleEntry, index: usize) -> Result<BuildId, DumpError> {
    BuildId::new(m.build_id()).map_err(|_| DumpError::BadModule(index))
}

/// The dump of a fault: see the module's documentation for each section.
pub fn build(sub: &Submission<'_>, rec: &FaultRecord, extras: &Extras) -> Result<Dump, DumpError> {
    let main = rec.modules().first().ok_or(DumpError::NoModule)?;
    if main.name() != sub.program.as_bytes() {
        return Err(DumpError::ProgramMismatch);
    }
    let mut maps = Vec::with_capacity(rec.modules().len());
    for (i, m) in rec.modules().iter().enumerate() {
        let name = core::str::from_utf8(m.name()).map_err(|_| DumpError::BadModule(i))?;
        if m.start >= m.end {
            return Err(DumpError::BadModule(i));
        }
        maps.push(MapEntry {
            build_id: build_id_of(m, i)?,
            end: m.end,
            link_base: m.link_base,
            name: String::from(name),
            start: m.start,
        });
    }
    let mut pcs = unwind(rec);
    if extras.redaction.stack {
        pcs.truncate(1);
    }
    let frames = pcs
        .into_iter()
        .map(|pc| {
            let mut frame = Frame::at(pc);
            frame.build_id = maps
                .iter()
                .find(|m| m.start <= pc && pc < m.end)
                .map(|m| m.build_id.clone());
            frame
        })
        .collect();
    let scause = rec.scause();
    let exit_code = abi::fault_exit_code(scause).map_err(|_| DumpError::InterruptCause(scause))?;
    let header = Header {
        arch: String::from("riscv64"),
        build_id: build_id_of(main, 0)?,
        created_ns: sub.time_ns,
        dump_id: dump_id(sub.time_ns, sub.program, sub.pid)?,
        exit_code,
        logs_error: extras.logs_error.clone(),
        os_version: None,
        pc: rec.pc(),
        pid: sub.pid,
        process: String::from(sub.program),
        redacted: extras.redaction.names(),
        repeats: None,
        scause,
        seq: extras.seq,
        stval: rec.stval(),
    };
    Ok(Dump {
        header,
        frames,
        maps,
        logs: (!extras.logs.is_empty()).then(|| extras.logs.clone()),
        spans: None,
        regs: Some(Registers::from_array(&rec.regs)),
    })
}

/// The dump of a fault, encoded as `.nxcd` bytes.
pub fn encode(
    sub: &Submission<'_>,
    rec: &FaultRecord,
    extras: &Extras,
) -> Result<(DumpId, Vec<u8>), DumpError> {
    let dump = build(sub, rec, extras)?;
    let bytes = dump.encode().map_err(DumpError::Encode)?;
    Ok((dump.header.dump_id, bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use abi::fault::{MAX_STACK_COPY, REG_COUNT, REG_PC, REG_SCAUSE, REG_SP, REG_STVAL};

    const START: u64 = 0x4001_0000;
    const END: u64 = 0x4003_0000;
    const SP: u64 = 0x7fff_f000;
    const BUILD_ID: [u8; 20] = [0xc5; 20];

    /// A record as the kernel writes it for a fault three calls deep: `inner` faulted at
    /// 0x4001_2004, called from `outer` (returning to 0x4001_2108), called from `main`
    /// (returning to 0x4001_2210), whose caller's frame pointer is 0 (the entry).
    pub(crate) fn synthesized() -> FaultRecord {
        let mut regs = [0u64; REG_COUNT];
        regs[REG_PC] = 0x4001_2004;
        regs[REG_SCAUSE] = 15;
        regs[REG_STVAL] = 0x10;
        regs[REG_SP] = SP;
        // Frames: inner's top at SP+0x20, outer's at SP+0x60, main's at SP+0xa0.
        regs[REG_FP] = SP + 0x20;
        let mut rec = FaultRecord::new(regs);
        let words: [(u64, u64); 6] = [
            (SP + 0x18, 0x4001_2108),
            (SP + 0x10, SP + 0x60),
            (SP + 0x58, 0x4001_2210),
            (SP + 0x50, SP + 0xa0),
            (SP + 0x98, 0),
            (SP + 0x90, 0),
        ];
        for (addr, value) in words {
            let off = (addr - SP) as usize;
            rec.stack[off..off + 8].copy_from_slice(&value.to_le_bytes());
        }
        rec.stack_len = 0xa0;
        rec.modules[0] = ModuleEntry::new(b"crash-demo", START, END, START, &BUILD_ID);
        rec.module_count = 1;
        rec
    }

    pub(crate) fn submission(record: &[u8]) -> Submission<'_> {
        Submission {
            pid: 14,
            time_ns: 1_234_567,
            program: "crash-demo",
            record,
        }
    }

    #[test]
    fn unwinds_the_frame_pointer_chain_through_the_stack_copy() {
        assert_eq!(
            unwind(&synthesized()),
            [0x4001_2004, 0x4001_2108, 0x4001_2210]
        );
    }

    #[test]
    fn the_walk_stops_at_the_copy_a_foreign_pc_or_a_falling_chain() {
        // The copy ends before main's saved words.
        let mut short = synthesized();
        short.stack_len = 0x58;
        assert_eq!(unwind(&short), [0x4001_2004, 0x4001_2108]);
        // A return address outside every module ends the walk before it.
        let mut foreign = synthesized();
        foreign.stack[0x58..0x60].copy_from_slice(&0x9000_0000u64.to_le_bytes());
        assert_eq!(unwind(&foreign), [0x4001_2004, 0x4001_2108]);
        // A chain pointing at itself: kept once, then the walk stops.
        let mut looped = synthesized();
        looped.stack[0x10..0x18].copy_from_slice(&(SP + 0x20).to_le_bytes());
        assert_eq!(unwind(&looped), [0x4001_2004, 0x4001_2108]);
        // A misaligned or wrapping fp: the faulting pc alone.
        for fp in [SP + 0x21, 4, 0] {
            let mut bad = synthesized();
            bad.regs[REG_FP] = fp;
            assert_eq!(unwind(&bad), [0x4001_2004]);
        }
    }

    #[test]
    fn the_walk_is_bounded_by_max_frames() {
        // A whole stack copy of frames, each 16 bytes above the last.
        let mut rec = synthesized();
        rec.stack_len = MAX_STACK_COPY;
        for frame in 0..MAX_STACK_COPY / 16 {
            let top = SP + 16 * (frame as u64 + 1);
            let off = (top - SP) as usize;
            rec.stack[off - 8..off].copy_from_slice(&(START + 0x100).to_le_bytes());
            rec.stack[off - 16..off - 8].copy_from_slice(&(top + 16).to_le_bytes());
        }
        rec.regs[REG_FP] = SP + 16;
        assert_eq!(unwind(&rec).len(), MAX_FRAMES);
    }

    #[test]
    fn a_synthesized_record_makes_a_dump_that_reads_back() {
        let rec = synthesized();
        let mut raw = [0u8; FaultRecord::MAX_LEN];
        let n = rec.encode(&mut raw).unwrap();
        let sub = submission(&raw[..n]);
        let (id, bytes) = encode(&sub, &rec, &Extras::default()).unwrap();
        assert_eq!(id.as_str(), "1234567-crash-demo-14");
        let dump = Dump::decode(&bytes).unwrap();
        let h = &dump.header;
        assert_eq!(h.arch, "riscv64");
        assert_eq!(h.build_id.as_bytes(), BUILD_ID);
        assert_eq!((h.created_ns, h.pid), (1_234_567, 14));
        assert_eq!(h.process, "crash-demo");
        assert_eq!((h.scause, h.stval, h.pc), (15, 0x10, 0x4001_2004));
        assert_eq!(h.exit_code, -16);
        assert_eq!(nxcd::fault_cause(h.exit_code), Some(15));
        let pcs: Vec<u64> = dump.frames.iter().map(|f| f.pc).collect();
        assert_eq!(pcs, [0x4001_2004, 0x4001_2108, 0x4001_2210]);
        assert!(dump
            .frames
            .iter()
            .all(|f| f.build_id.as_ref().map(BuildId::as_bytes) == Some(&BUILD_ID[..])));
        assert_eq!(dump.maps.len(), 1);
        assert_eq!(
            (dump.maps[0].start, dump.maps[0].end, dump.maps[0].link_base),
            (START, END, START)
        );
        assert_eq!(dump.maps[0].name, "crash-demo");
        // regs.bin is the record's register bytes verbatim.
        assert_eq!(&dump.regs.unwrap().encode()[..], &raw[24..312]);
        let link = dump.link_address(0x4001_2108).unwrap();
        assert_eq!(link.offset, 0x2108);
        // Same record, same bytes.
        assert_eq!(encode(&sub, &rec, &Extras::default()).unwrap().1, bytes);
    }

    #[test]
    fn a_redacted_dump_keeps_the_faulting_pc_and_says_what_it_left_out() {
        let rec = synthesized();
        let sub = submission(&[]);
        let log = LogRecord {
            record_id: 3,
            timestamp_nsec: 1_000,
            service_id: nxcd::ServiceId::from_kernel(14, 1),
            level: nxcd::Level::Warn,
            scope: b"crash-demo".to_vec(),
            message: b"about to fault".to_vec(),
            fields: Vec::new(),
        };
        let extras = Extras {
            redaction: Redaction::SENSITIVE,
            logs: alloc::vec![log.clone()],
            logs_error: None,
            seq: Some(9),
        };
        let (_, bytes) = encode(&sub, &rec, &extras).unwrap();
        let dump = Dump::decode(&bytes).unwrap();
        let pcs: Vec<u64> = dump.frames.iter().map(|f| f.pc).collect();
        assert_eq!(pcs, [0x4001_2004]);
        assert_eq!(
            dump.header.redacted.as_deref(),
            Some(&[String::from("foreign_logs"), String::from("stack")][..])
        );
        assert_eq!(dump.header.seq, Some(9));
        assert_eq!(dump.logs.as_deref(), Some(&[log][..]));
        assert!(dump.regs.is_some(), "the registers are not memory");
        // Unredacted: every frame, no `redacted` key; no logs and a note when logd
        // gave none.
        let whole = Extras {
            logs_error: Some(String::from("logd did not answer in time")),
            ..Extras::default()
        };
        let dump = build(&sub, &rec, &whole).unwrap();
        assert_eq!(dump.frames.len(), 3);
        assert_eq!(dump.header.redacted, None);
        assert_eq!(dump.logs, None);
        assert_eq!(
            dump.header.logs_error.as_deref(),
            Some("logd did not answer in time")
        );
    }

    #[test]
    fn records_that_cannot_make_a_dump_are_refused_by_field() {
        let sub = submission(&[]);
        let mut none = synthesized();
        none.module_count = 0;
        assert_eq!(
            build(&sub, &none, &Extras::default()),
            Err(DumpError::NoModule)
        );
        let other = Submission {
            program: "fault-kload",
            ..sub.clone()
        };
        assert_eq!(
            build(&other, &synthesized(), &Extras::default()),
            Err(DumpError::ProgramMismatch)
        );
        let mut no_id = synthesized();
        no_id.modules[0] = ModuleEntry::new(b"crash-demo", START, END, START, &[]);
        assert_eq!(
            build(&sub, &no_id, &Extras::default()),
            Err(DumpError::BadModule(0))
        );
        let mut empty = synthesized();
        empty.modules[0] = ModuleEntry::new(b"crash-demo", END, END, END, &BUILD_ID);
        assert_eq!(
            build(&sub, &empty, &Extras::default()),
            Err(DumpError::BadModule(0))
        );
        let mut irq = synthesized();
        irq.regs[REG_SCAUSE] = 1 << 63 | 5;
        assert_eq!(
            build(&sub, &irq, &Extras::default()),
            Err(DumpError::InterruptCause(1 << 63 | 5))
        );
    }
}
