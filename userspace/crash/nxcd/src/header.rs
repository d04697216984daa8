//! `header.json`: what crashed, when, and why.
//!
//! Keys are written in sorted order (the struct fields below are declared in that order,
//! and `format_version` is slotted in by the writer); optional keys are omitted when
//! absent. Readers ignore keys they do not know.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;
use crate::hex::{address, BuildId};

/// Longest dump id accepted, in bytes.
pub const MAX_DUMP_ID_LEN: usize = 64;

/// A dump's identity: 1 to 64 characters from `[A-Za-z0-9._-]`, not starting with `.`.
///
/// The character set makes it safe as a file stem: the canonical file name of a dump is
/// `<dump_id>.nxcd` (or `<dump_id>.nxcd.zst`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DumpId(String);

impl DumpId {
    /// Checks and wraps a dump id.
    pub fn new(id: &str) -> Result<DumpId, Error> {
        let valid_chars = id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if id.is_empty() || id.len() > MAX_DUMP_ID_LEN || !valid_chars || id.starts_with('.') {
            return Err(Error::InvalidValue {
                field: "dump_id",
                reason: "must be 1 to 64 characters from [A-Za-z0-9._-], not starting with '.'",
            });
        }
        Ok(DumpId(String::from(id)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DumpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DumpId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DumpId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DumpId, D::Error> {
        let text = String::deserialize(d)?;
        DumpId::new(&text).map_err(de::Error::custom)
    }
}

/// The contents of `header.json` (without `format_version`, which the container owns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Target architecture, `"riscv64"` for this OS.
    pub arch: String,
    /// Build-ID of the crashed program's main module.
    pub build_id: BuildId,
    /// When the crash was recorded, in nanoseconds since the Unix epoch (from the fault
    /// record, never from the writer's clock).
    pub created_ns: u64,
    /// The dump's identity.
    pub dump_id: DumpId,
    /// The process's exit code; `-(scause + 1)` for a process ended by a fault.
    pub exit_code: i64,
    /// Why `logs.jsonl` is missing or incomplete (logd did not answer in time, is not
    /// running, ...); absent when the producer collected the records it meant to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_error: Option<String>,
    /// Version of the OS or system-set that was running, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Program counter at the fault.
    #[serde(with = "address")]
    pub pc: u64,
    /// Process id.
    pub pid: u32,
    /// Process (service or program) name.
    pub process: String,
    /// What the producer's redaction policy left out, sorted: [`REDACTED_STACK`],
    /// [`REDACTED_FOREIGN_LOGS`] (or other names a newer producer adds); absent when
    /// nothing was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<Vec<String>>,
    /// How many later crashes with the same `build_id` and `pc` were counted into this
    /// dump instead of being stored again; absent for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<u64>,
    /// The trap cause register (`scause`).
    pub scause: u64,
    /// The producer's store sequence number: increasing over the dumps one store
    /// received, across boots (the order of dumps whose `created_ns` count from
    /// different boots); absent when the producer keeps none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The trap value register (`stval`): the faulting address for memory faults.
    #[serde(with = "address")]
    pub stval: u64,
}

/// The `redacted` name for frames derived from the stack copy (return addresses beyond
/// the faulting pc) left out: the dump carries no stack memory.
pub const REDACTED_STACK: &str = "stack";
/// The `redacted` name for log records of other services than the crashed one left out.
pub const REDACTED_FOREIGN_LOGS: &str = "foreign_logs";

/// Bit 63 of `scause`: set for an interrupt, which is never a fault's cause.
const SCAUSE_INTERRUPT: u64 = 1 << 63;

/// The fault cause an exit code records: `Some(scause)` for a negative exit code, which
/// is `-(scause + 1)` for an exception cause (bit 63 clear; `i64::MIN` is cause
/// `2^63 - 1`), and `None` for an exit code of 0 or more (the process was not ended by a
/// fault). It never yields an interrupt cause.
///
/// The rule is the ABI's (`abi::fault_exit_code`, which the kernel uses and which refuses
/// an interrupt cause); this is its reading, and a cross-crate test
/// (tests/crashdump_v2_host) proves the two agree for every cause.
pub fn fault_cause(exit_code: i64) -> Option<u64> {
    // For a negative code, -1 - code lies in 0..=i64::MAX: no overflow, bit 63 clear.
    (exit_code < 0).then(|| (-1 - exit_code).unsigned_abs())
}

impl Header {
    /// Checks what the reader requires beyond the JSON shape: on RISC-V, `scause` is an
    /// exception cause, never an interrupt one (an interrupt ends no process).
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.arch.starts_with("riscv") && self.scause & SCAUSE_INTERRUPT != 0 {
            return Err(Error::InvalidValue {
                field: "scause",
                reason: "is an interrupt cause (bit 63 set), not a fault",
            });
        }
        Ok(())
    }

    /// The name of the fault cause: `scause` is a RISC-V cause code only on RISC-V
    /// (`arch` `riscv64` or `riscv32`); other architectures' dumps have none.
    pub fn cause_name(&self) -> Option<&'static str> {
        if self.arch.starts_with("riscv") {
            scause_name(self.scause)
        } else {
            None
        }
    }
}

/// The RISC-V privileged specification's name for an exception cause, if it has one.
pub fn scause_name(scause: u64) -> Option<&'static str> {
    Some(match scause {
        0 => "instruction address misaligned",
        1 => "instruction access fault",
        2 => "illegal instruction",
        3 => "breakpoint",
        4 => "load address misaligned",
        5 => "load access fault",
        6 => "store/AMO address misaligned",
        7 => "store/AMO access fault",
        8 => "environment call from U-mode",
        9 => "environment call from S-mode",
        12 => "instruction page fault",
        13 => "load page fault",
        15 => "store/AMO page fault",
        18 => "software check",
        19 => "hardware error",
        _ => return None,
    })
}

/// Wire form of `header.json`: [`Header`] plus `format_version`, keys in sorted order.
#[derive(Serialize)]
pub(crate) struct HeaderOut<'a> {
    arch: &'a str,
    build_id: &'a BuildId,
    created_ns: u64,
    dump_id: &'a DumpId,
    exit_code: i64,
    format_version: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    logs_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    os_version: Option<&'a str>,
    #[serde(with = "address")]
    pc: u64,
    pid: u32,
    process: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    redacted: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeats: Option<u64>,
    scause: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(with = "address")]
    stval: u64,
}

impl<'a> HeaderOut<'a> {
    pub(crate) fn new(h: &'a Header, format_version: u16) -> HeaderOut<'a> {
        HeaderOut {
            arch: &h.arch,
            build_id: &h.build_id,
            created_ns: h.created_ns,
            dump_id: &h.dump_id,
            exit_code: h.exit_code,
            format_version,
            logs_error: h.logs_error.as_deref(),
            os_version: h.os_version.as_deref(),
            pc: h.pc,
            pid: h.pid,
            process: &h.process,
            redacted: h.redacted.as_deref(),
            repeats: h.repeats,
            scause: h.scause,
            seq: h.seq,
            stval: h.stval,
        }
    }
}

/// Read side of the wire form.
#[derive(Deserialize)]
pub(crate) struct HeaderIn {
    pub(crate) format_version: u64,
    #[serde(flatten)]
    pub(crate) header: Header,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_cause_reads_minus_scause_plus_one() {
        assert_eq!(fault_cause(-14), Some(13));
        assert_eq!(fault_cause(-1), Some(0));
        assert_eq!(fault_cause(i64::MIN), Some(i64::MAX as u64));
    }

    #[test]
    fn riscv_headers_with_an_interrupt_cause_are_refused() {
        let mut h = Header {
            arch: String::from("riscv64"),
            build_id: BuildId::new(&[1]).unwrap(),
            created_ns: 0,
            dump_id: DumpId::new("d").unwrap(),
            exit_code: -14,
            logs_error: None,
            os_version: None,
            redacted: None,
            repeats: None,
            seq: None,
            pc: 0,
            pid: 1,
            process: String::from("p"),
            scause: 13,
            stval: 0,
        };
        assert_eq!(h.check(), Ok(()));
        h.scause = SCAUSE_INTERRUPT | 5;
        assert!(matches!(
            h.check(),
            Err(Error::InvalidValue {
                field: "scause",
                ..
            })
        ));
        h.arch = String::from("x86_64");
        assert_eq!(h.check(), Ok(()), "scause is a RISC-V register");
    }

    #[test]
    fn the_store_keys_are_written_sorted_and_read_back() {
        let h = Header {
            arch: String::from("riscv64"),
            build_id: BuildId::new(&[0xab]).unwrap(),
            created_ns: 5,
            dump_id: DumpId::new("5-p-3").unwrap(),
            exit_code: -16,
            logs_error: Some(String::from("logd did not answer in time")),
            os_version: None,
            pc: 0x10,
            pid: 3,
            process: String::from("p"),
            redacted: Some(alloc::vec![
                String::from(REDACTED_FOREIGN_LOGS),
                String::from(REDACTED_STACK)
            ]),
            repeats: Some(2),
            scause: 15,
            seq: Some(7),
            stval: 0,
        };
        let text = serde_json::to_string(&HeaderOut::new(&h, 2)).unwrap();
        assert_eq!(
            text,
            r#"{"arch":"riscv64","build_id":"ab","created_ns":5,"dump_id":"5-p-3","exit_code":-16,"format_version":2,"logs_error":"logd did not answer in time","pc":"0x10","pid":3,"process":"p","redacted":["foreign_logs","stack"],"repeats":2,"scause":15,"seq":7,"stval":"0x0"}"#
        );
        let back: HeaderIn = serde_json::from_str(&text).unwrap();
        assert_eq!(back.header, h);
        // Absent and null are the same: no note, nothing redacted, no repeat, no seq.
        let nulls = r#"{"arch":"riscv64","build_id":"ab","created_ns":5,"dump_id":"5-p-3","exit_code":-16,"format_version":2,"logs_error":null,"pc":"0x10","pid":3,"process":"p","redacted":null,"repeats":null,"scause":15,"seq":null,"stval":"0x0"}"#;
        let back: HeaderIn = serde_json::from_str(nulls).unwrap();
        assert_eq!(
            (
                back.header.logs_error,
                back.header.redacted,
                back.header.repeats,
                back.header.seq
            ),
            (None, None, None, None)
        );
    }

    #[test]
    fn exit_codes_of_zero_or_more_are_no_fault() {
        for code in [0, 1, 101, i64::MAX] {
            assert_eq!(fault_cause(code), None, "{code}");
        }
    }

    #[test]
    fn dump_ids_are_file_safe() {
        assert!(DumpId::new("20251223-app-42").is_ok());
        for bad in ["", ".hidden", "a/b", "a b", "é", &"x".repeat(65)] {
            assert!(DumpId::new(bad).is_err(), "{bad:?}");
        }
    }
}
