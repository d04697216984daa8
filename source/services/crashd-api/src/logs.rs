//! Recent logs for a dump: the records logd holds from the window before the fault,
//! read by QUERY (paged, 16 a page) and bounded, sans-IO over a [`LogSource`] (logd
//! through `nexus_rt::log`'s logger in the OS, a journal in host tests).
//!
//! Bounds: the records stamped in `[fault - LOG_WINDOW_NS, fault]` (logd's stamps and
//! the fault time are both the kernel's monotonic clock), the newest [`MAX_LOG_RECORDS`]
//! of them that the redaction policy lets the dump carry, read in at most
//! [`MAX_LOG_PAGES`] QUERYs. A QUERY that fails (logd did not answer in time, is not
//! running, answered with an error) ends the reading: the dump keeps the records read
//! before it and says why in its header's `logs_error`; so does a window that needed
//! more pages than the bound.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use nxcd::LogRecord;

use crate::redact::Redaction;

/// The window before the fault whose records a dump carries: 5 s.
pub const LOG_WINDOW_NS: u64 = 5_000_000_000;
/// Most records a dump carries: the newest 32 of the window.
pub const MAX_LOG_RECORDS: usize = 32;
/// Records asked for in one QUERY (logd's cap).
pub const PAGE: u16 = 16;
/// Most QUERYs one dump takes: 64 (at least 128 records, a quarter of the OS journal;
/// each QUERY is bounded by the logger's deadline).
pub const MAX_LOG_PAGES: usize = 64;

/// Where the records come from: logd's QUERY.
pub trait LogSource {
    /// The records stamped at or after `since_ns`, oldest first, at most `max`; or why
    /// logd gave none (said in the dump's `logs_error`).
    fn query(&mut self, since_ns: u64, max: u16) -> Result<Vec<LogRecord>, String>;
}

/// What reading the logs gave: the records (oldest first) and, when the reading was cut
/// short, why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Collected {
    /// The records the dump carries.
    pub records: Vec<LogRecord>,
    /// Why records may be missing (`logs_error`); `None` when the window was read whole.
    pub error: Option<String>,
}

/// Reads the records of the window before `fault_ns` that `redaction` lets the dump of
/// process `pid` carry.
pub fn collect<L: LogSource + ?Sized>(
    source: &mut L,
    fault_ns: u64,
    pid: u32,
    redaction: Redaction,
) -> Collected {
    let mut kept: VecDeque<LogRecord> = VecDeque::with_capacity(MAX_LOG_RECORDS + 1);
    let mut since = fault_ns.saturating_sub(LOG_WINDOW_NS);
    let mut error = Some(format!(
        "the window was not read to its end in {MAX_LOG_PAGES} queries"
    ));
    'pages: for _ in 0..MAX_LOG_PAGES {
        let page = match source.query(since, PAGE) {
            Ok(page) => page,
            Err(why) => {
                error = Some(why);
                break;
            }
        };
        if page.is_empty() {
            error = None;
            break;
        }
        for record in page {
            if record.timestamp_nsec > fault_ns {
                error = None;
                break 'pages;
            }
            since = record.timestamp_nsec.saturating_add(1);
            if redaction.keeps(&record, pid) {
                kept.push_back(record);
                if kept.len() > MAX_LOG_RECORDS {
                    kept.pop_front();
                }
            }
        }
    }
    Collected {
        records: kept.into(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logd::{handle_request, Journal, JournalConfig, Level, Response, ServiceId};

    /// A logd journal answering QUERYs, or failing every one after `fail_after` pages.
    struct Journaled {
        journal: Journal,
        queries: usize,
        fail_after: Option<usize>,
    }

    impl Journaled {
        /// `n` records, one every 100 ms from 1 s; records of even index from pid 7,
        /// the others from pid 9.
        fn with(n: u64) -> Journaled {
            let mut journal = Journal::new(JournalConfig {
                capacity_records: 512,
                capacity_bytes: 64 * 1024,
            })
            .unwrap();
            for i in 0..n {
                let from = if i % 2 == 0 { 7 } else { 9 };
                let message = format!("r{i}");
                let entry = logd::Entry::new(Level::Info, b"t", message.as_bytes(), b"").unwrap();
                let mut frame = Vec::new();
                logd::encode_append_into(&entry, &mut frame);
                let mut out = [0u8; logd::wire::MAX_RESPONSE_LEN];
                handle_request(
                    &mut journal,
                    ServiceId::from_kernel(from, 1),
                    1_000_000_000 + i * 100_000_000,
                    &frame,
                    &mut out,
                );
            }
            Journaled {
                journal,
                queries: 0,
                fail_after: None,
            }
        }
    }

    impl LogSource for Journaled {
        fn query(&mut self, since_ns: u64, max: u16) -> Result<Vec<LogRecord>, String> {
            if self.fail_after.is_some_and(|n| self.queries >= n) {
                return Err(String::from("logd did not answer in time"));
            }
            self.queries += 1;
            let frame = logd::encode_query(logd::Query {
                since_nsec: since_ns,
                max_count: max,
            });
            let mut out = [0u8; logd::wire::MAX_RESPONSE_LEN];
            let n = handle_request(&mut self.journal, ServiceId(0), 0, &frame, &mut out);
            match Response::decode_for(logd::Op::Query, &out[..n]) {
                Ok(Response::Query(q)) => Ok(q.records().map(|r| r.to_record()).collect()),
                _ => Err(String::from("bad answer")),
            }
        }
    }

    fn messages(c: &Collected) -> Vec<String> {
        c.records
            .iter()
            .map(|r| String::from_utf8(r.message.clone()).unwrap())
            .collect()
    }

    #[test]
    fn carries_the_newest_records_of_the_window_before_the_fault() {
        // 100 records from 1.0 s to 10.9 s; the fault at 8.05 s: the window is from
        // 3.05 s, records r21..=r70 (50), of which the newest 32 are r39..=r70.
        let mut logd = Journaled::with(100);
        let c = collect(&mut logd, 8_050_000_000, 7, Redaction::NONE);
        assert_eq!(c.error, None);
        let want: Vec<String> = (39..=70).map(|i| format!("r{i}")).collect();
        assert_eq!(messages(&c), want);
        assert!(logd.queries <= 5, "{} queries", logd.queries);
    }

    #[test]
    fn a_sensitive_program_gets_only_its_own_records() {
        let mut logd = Journaled::with(20);
        let c = collect(&mut logd, 3_000_000_000, 7, Redaction::SENSITIVE);
        assert_eq!(c.error, None);
        let want: Vec<String> = (0..20).step_by(2).map(|i| format!("r{i}")).collect();
        assert_eq!(messages(&c), want);
        assert!(c.records.iter().all(|r| r.service_id.kernel_id() == 7));
    }

    #[test]
    fn a_logd_that_does_not_answer_leaves_the_dump_without_logs_and_says_so() {
        let mut logd = Journaled::with(20);
        logd.fail_after = Some(0);
        let c = collect(&mut logd, 3_000_000_000, 7, Redaction::NONE);
        assert!(c.records.is_empty());
        assert_eq!(c.error.as_deref(), Some("logd did not answer in time"));
        // Cut short after one page: what was read stays, and the note says why.
        let mut logd = Journaled::with(40);
        logd.fail_after = Some(1);
        let c = collect(&mut logd, 5_000_000_000, 7, Redaction::NONE);
        assert_eq!(c.records.len(), 16);
        assert!(c.error.is_some());
    }

    #[test]
    fn an_empty_journal_is_no_error() {
        let mut logd = Journaled::with(0);
        let c = collect(&mut logd, 10, 7, Redaction::NONE);
        assert_eq!(c, Collected::default());
    }

    #[test]
    fn the_reading_is_bounded_by_max_log_pages() {
        struct Endless(u64);
        impl LogSource for Endless {
            fn query(&mut self, _: u64, max: u16) -> Result<Vec<LogRecord>, String> {
                // A logd that answers with records at ever-smaller stamps is broken;
                // the page bound still ends the reading.
                Ok((0..max)
                    .map(|_| {
                        self.0 += 1;
                        LogRecord {
                            record_id: self.0,
                            timestamp_nsec: 5,
                            service_id: ServiceId(1),
                            level: Level::Info,
                            scope: Vec::new(),
                            message: Vec::new(),
                            fields: Vec::new(),
                        }
                    })
                    .collect())
            }
        }
        let mut logd = Endless(0);
        let c = collect(&mut logd, 10, 1, Redaction::NONE);
        assert_eq!(logd.0, MAX_LOG_PAGES as u64 * u64::from(PAGE));
        assert_eq!(c.records.len(), MAX_LOG_RECORDS);
        assert!(c.error.unwrap().contains("not read to its end"));
    }
}
