//! The redaction policy: what a dump of a program may carry, decided per program from
//! its boot-manifest line (the `sensitive` flag, source/libs/initrd/src/manifest.rs).
//!
//! - A program without the flag gets a whole dump: every frame unwound through the
//!   record's stack copy, and the recent log records of every service.
//! - A program marked `sensitive`, and a program without a manifest line (one started
//!   from memory: nothing says it holds no secrets), gets a dump with no memory: the
//!   faulting pc as its only frame (the return addresses beyond it are words of the
//!   stack copy), and only its own log records (those whose origin's kernel id is its
//!   pid). The registers (`regs.bin`) stay: they are the fault's state, not memory.
//!
//! The dump names what was left out in its header's `redacted` key
//! ([`nxcd::REDACTED_STACK`], [`nxcd::REDACTED_FOREIGN_LOGS`]).

use alloc::string::String;
use alloc::vec::Vec;
use initrd::manifest::Program;
use nxcd::LogRecord;

/// What a dump leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Redaction {
    /// Leave out the frames unwound through the stack copy (keep the faulting pc).
    pub stack: bool,
    /// Leave out log records of services other than the crashed program.
    pub foreign_logs: bool,
}

impl Redaction {
    /// Nothing left out.
    pub const NONE: Redaction = Redaction {
        stack: false,
        foreign_logs: false,
    };
    /// No memory and no other service's records: the policy of a `sensitive` program.
    pub const SENSITIVE: Redaction = Redaction {
        stack: true,
        foreign_logs: true,
    };

    /// The policy for the crashed program's manifest line (`None`: no line).
    pub fn for_program(program: Option<&Program<'_>>) -> Redaction {
        match program {
            Some(p) if !p.sensitive => Redaction::NONE,
            _ => Redaction::SENSITIVE,
        }
    }

    /// Whether the dump of the program with kernel id `pid` may carry `record`.
    pub fn keeps(&self, record: &LogRecord, pid: u32) -> bool {
        !self.foreign_logs || record.service_id.kernel_id() == pid
    }

    /// The header's `redacted` value: the names of what is left out, sorted; `None`
    /// when nothing is.
    pub fn names(&self) -> Option<Vec<String>> {
        let mut names = Vec::new();
        if self.foreign_logs {
            names.push(String::from(nxcd::REDACTED_FOREIGN_LOGS));
        }
        if self.stack {
            names.push(String::from(nxcd::REDACTED_STACK));
        }
        (!names.is_empty()).then_some(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use initrd::manifest::Manifest;
    use nxcd::{Level, ServiceId};

    fn record(id: u32) -> LogRecord {
        LogRecord {
            record_id: 1,
            timestamp_nsec: 1,
            service_id: ServiceId::from_kernel(id, 2),
            level: Level::Info,
            scope: b"s".to_vec(),
            message: b"m".to_vec(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn sensitive_and_unlisted_programs_carry_no_memory_and_only_their_records() {
        let m = Manifest::parse(b"init spawn\nkeyd boot sensitive\ncrash-demo ondemand\n").unwrap();
        assert_eq!(
            Redaction::for_program(m.by_name("crash-demo")),
            Redaction::NONE
        );
        assert_eq!(
            Redaction::for_program(m.by_name("keyd")),
            Redaction::SENSITIVE
        );
        assert_eq!(Redaction::for_program(None), Redaction::SENSITIVE);
        let (own, other) = (record(2), record(5));
        assert!(Redaction::NONE.keeps(&own, 2) && Redaction::NONE.keeps(&other, 2));
        assert!(Redaction::SENSITIVE.keeps(&own, 2));
        assert!(!Redaction::SENSITIVE.keeps(&other, 2));
        assert_eq!(Redaction::NONE.names(), None);
        assert_eq!(
            Redaction::SENSITIVE.names().unwrap(),
            ["foreign_logs", "stack"]
        );
        let logs_only = Redaction {
            stack: false,
            foreign_logs: true,
        };
        assert_eq!(logs_only.names().unwrap(), ["foreign_logs"]);
    }
}
