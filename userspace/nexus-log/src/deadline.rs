//! The os-lite backend's rules, without the OS: a [`Backend`] over a transport whose
//! every call is bounded by a deadline, with counters for what was not delivered.
//!
//! On the OS the transport is the kernel's `call_timeout` to logd's endpoint
//! (`nexus_rt::log`): the request waits in logd's inbox at most the deadline, then it is
//! withdrawn and the call fails with [`CallFailure::TimedOut`]; a logd that has ended
//! fails it at once with [`CallFailure::Gone`]. Either way the record is not stored, the
//! logger returns [`crate::LogError::Backend`], the failure is counted in
//! [`Undelivered`], and the service goes on: logging never blocks a service longer than
//! the deadline plus logd's handling of one request (logd answers each request before it
//! takes the next, so once taken a request is answered in one turn of its loop).

use core::fmt;

use crate::Backend;
use logd::ResponseBuf;

/// The deadline the os-lite services use: 20 ms, ten of the kernel's time slices, so a
/// logd that is busy with a flood from others still takes the request in time under
/// QEMU's emulation, and a stuck one costs a service at most that.
pub const DEFAULT_TIMEOUT_NS: u64 = 20_000_000;

/// Why one bounded call delivered nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFailure {
    /// logd did not take the request before the deadline (it was withdrawn).
    TimedOut,
    /// logd is not there (never started, or ended).
    Gone,
    /// The transport refused the call for another reason (its code, as the OS names it).
    Other(u32),
}

impl fmt::Display for CallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallFailure::TimedOut => f.write_str("logd did not take the record in time"),
            CallFailure::Gone => f.write_str("logd is not running"),
            CallFailure::Other(code) => write!(f, "the call to logd failed (code {code})"),
        }
    }
}

impl core::error::Error for CallFailure {}

/// A call with a deadline: sends `request`, waits at most `timeout_ns` for logd to take
/// it, writes the response into `response` and returns its length.
pub trait DeadlineCall {
    /// One bounded call.
    fn call(
        &mut self,
        request: &[u8],
        response: &mut [u8],
        timeout_ns: u64,
    ) -> Result<usize, CallFailure>;
}

/// Records the backend could not deliver, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Undelivered {
    /// Not taken before the deadline.
    pub timed_out: u64,
    /// logd not running.
    pub gone: u64,
    /// Refused by the transport otherwise.
    pub other: u64,
}

impl Undelivered {
    /// All of them.
    pub fn total(&self) -> u64 {
        self.timed_out + self.gone + self.other
    }
}

/// The os-lite backend: every call bounded by one deadline, failures counted.
#[derive(Debug)]
pub struct DeadlineBackend<C> {
    transport: C,
    timeout_ns: u64,
    delivered: u64,
    undelivered: Undelivered,
}

impl<C: DeadlineCall> DeadlineBackend<C> {
    /// A backend over `transport` with the [`DEFAULT_TIMEOUT_NS`] deadline.
    pub fn new(transport: C) -> DeadlineBackend<C> {
        DeadlineBackend::with_timeout(transport, DEFAULT_TIMEOUT_NS)
    }

    /// A backend over `transport` whose calls wait at most `timeout_ns` to be taken (0:
    /// only when logd waits for a request right now).
    pub fn with_timeout(transport: C, timeout_ns: u64) -> DeadlineBackend<C> {
        DeadlineBackend {
            transport,
            timeout_ns,
            delivered: 0,
            undelivered: Undelivered::default(),
        }
    }

    /// The deadline of each call.
    pub fn timeout_ns(&self) -> u64 {
        self.timeout_ns
    }

    /// Calls that reached logd (whatever its answer).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Calls that did not, by cause.
    pub fn undelivered(&self) -> Undelivered {
        self.undelivered
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut C {
        &mut self.transport
    }

    /// One raw frame, bounded and counted like every record (for QUERY and STATS, and
    /// for tests of logd's answers to frames the logger would never build).
    pub fn call_frame(
        &mut self,
        request: &[u8],
        response: &mut [u8],
    ) -> Result<usize, CallFailure> {
        match self.transport.call(request, response, self.timeout_ns) {
            Ok(n) => {
                self.delivered += 1;
                Ok(n.min(response.len()))
            }
            Err(e) => {
                match e {
                    CallFailure::TimedOut => self.undelivered.timed_out += 1,
                    CallFailure::Gone => self.undelivered.gone += 1,
                    CallFailure::Other(_) => self.undelivered.other += 1,
                }
                Err(e)
            }
        }
    }
}

impl<C: DeadlineCall> Backend for DeadlineBackend<C> {
    type Error = CallFailure;

    fn call(&mut self, request: &[u8], response: &mut ResponseBuf) -> Result<usize, CallFailure> {
        self.call_frame(request, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fields, LogError, Logger};
    use logd::{Journal, JournalConfig, ServiceId};

    /// A logd that answers, stalls or is gone, as the test says.
    struct Scripted {
        journal: Journal,
        next: Option<CallFailure>,
        timeouts_seen: alloc::vec::Vec<u64>,
    }

    impl DeadlineCall for Scripted {
        fn call(
            &mut self,
            req: &[u8],
            resp: &mut [u8],
            timeout_ns: u64,
        ) -> Result<usize, CallFailure> {
            self.timeouts_seen.push(timeout_ns);
            if let Some(e) = self.next.take() {
                return Err(e);
            }
            let mut buf = [0u8; logd::wire::MAX_RESPONSE_LEN];
            let n = logd::handle_request(
                &mut self.journal,
                ServiceId::from_kernel(9, 1),
                5,
                req,
                &mut buf,
            );
            resp[..n].copy_from_slice(&buf[..n]);
            Ok(n)
        }
    }

    fn logger() -> Logger<DeadlineBackend<Scripted>> {
        let journal = Journal::new(JournalConfig {
            capacity_records: 8,
            capacity_bytes: 4096,
        })
        .unwrap();
        let t = Scripted {
            journal,
            next: None,
            timeouts_seen: alloc::vec::Vec::new(),
        };
        Logger::new(DeadlineBackend::with_timeout(t, 1234), "svc").unwrap()
    }

    #[test]
    fn every_call_carries_the_deadline_and_a_stored_record_returns_its_id() {
        let mut log = logger();
        assert_eq!(log.info("up").unwrap(), Some(1));
        assert_eq!(log.info("again").unwrap(), Some(2));
        let b = log.backend_mut();
        assert_eq!(b.transport_mut().timeouts_seen, [1234, 1234]);
        assert_eq!((b.delivered(), b.undelivered().total()), (2, 0));
    }

    #[test]
    fn a_slow_or_absent_logd_is_an_error_counted_by_cause_and_logging_goes_on() {
        let mut log = logger();
        log.backend_mut().transport_mut().next = Some(CallFailure::TimedOut);
        assert!(matches!(
            log.info("lost"),
            Err(LogError::Backend(CallFailure::TimedOut))
        ));
        log.backend_mut().transport_mut().next = Some(CallFailure::Gone);
        assert!(matches!(
            log.log(logd::Level::Warn, "lost too", &Fields::new()),
            Err(LogError::Backend(CallFailure::Gone))
        ));
        log.backend_mut().transport_mut().next = Some(CallFailure::Other(12));
        assert!(log.error("lost three").is_err());
        // The next record is stored: nothing stuck.
        assert_eq!(log.info("back").unwrap(), Some(1));
        let b = log.backend_mut();
        assert_eq!(
            b.undelivered(),
            Undelivered {
                timed_out: 1,
                gone: 1,
                other: 1
            }
        );
        assert_eq!(b.undelivered().total(), 3);
        assert_eq!(b.delivered(), 1);
    }

    #[test]
    fn query_and_stats_read_back_through_the_same_backend() {
        let mut log = logger();
        let mut f = Fields::new();
        f.insert("k", "v").unwrap();
        log.log(logd::Level::Warn, "one", &f).unwrap();
        log.info("two").unwrap();
        let (records, total, dropped) = log.query(0, 16).unwrap();
        assert_eq!((records.len(), total, dropped), (2, 2, 0));
        assert_eq!(records[0].message, b"one");
        assert_eq!(records[0].fields, b"k=v");
        assert_eq!(records[0].service_id, ServiceId::from_kernel(9, 1));
        assert_eq!(records[1].scope, b"svc");
        let stats = log.stats().unwrap();
        assert_eq!(
            (stats.total, stats.used_records, stats.capacity_records),
            (2, 2, 8)
        );
        log.backend_mut().transport_mut().next = Some(CallFailure::TimedOut);
        assert!(matches!(
            log.query(0, 16),
            Err(LogError::Backend(CallFailure::TimedOut))
        ));
    }

    #[test]
    fn raw_frames_get_logd_s_status() {
        let mut log = logger();
        let mut resp = [0u8; logd::wire::MAX_RESPONSE_LEN];
        let n = log
            .backend_mut()
            .call_frame(b"LO\x01\x09", &mut resp)
            .unwrap();
        let r = logd::Response::decode(&resp[..n]).unwrap();
        assert_eq!(r.status(), logd::Status::Unsupported);
    }
}
