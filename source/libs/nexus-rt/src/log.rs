//! The os-lite backend of `nexus-log`: logd's v1 frames over the kernel's
//! `call_timeout` to logd's endpoint, each call bounded by a deadline
//! (`nexus_log::deadline`, where the rules and counters live).
//!
//! A service finds logd's service id once (samgrd's lookup of [`LOGD_NAME`]) and makes a
//! [`Logger`] for its scope with [`logger`]. A record logd did not take in time, or one
//! sent while logd is not running, is not stored: the call returns the reason and the
//! backend counts it; the service goes on.

use crate::{println, sys};
use abi::{ServiceId, SysError};
pub use nexus_log::deadline::CallFailure;
use nexus_log::deadline::{DeadlineBackend, DeadlineCall};
pub use nexus_log::{Fields, Level, LogError, Logger, Record};

/// The name logd registers with samgrd.
pub const LOGD_NAME: &str = "logd";

/// logd's endpoint, reached with bounded calls.
#[derive(Debug, Clone, Copy)]
pub struct Logd(pub ServiceId);

impl DeadlineCall for Logd {
    fn call(
        &mut self,
        request: &[u8],
        response: &mut [u8],
        timeout_ns: u64,
    ) -> Result<usize, CallFailure> {
        sys::call_timeout(self.0, request, response, timeout_ns).map_err(|e| match e {
            SysError::TimedOut => CallFailure::TimedOut,
            SysError::NoSuchService | SysError::PeerGone => CallFailure::Gone,
            other => CallFailure::Other(other as u32),
        })
    }
}

/// The backend every os-lite service logs through.
pub type Backend = DeadlineBackend<Logd>;

/// A logger for `scope` (at most 64 bytes) that sends to logd at `logd`, each record
/// bounded by `nexus_log::deadline::DEFAULT_TIMEOUT_NS`.
pub fn logger(logd: ServiceId, scope: &str) -> Result<Logger<Backend>, LogError<CallFailure>> {
    Logger::new(DeadlineBackend::new(Logd(logd)), scope)
}

/// A logger for `scope` once logd's id is known (`found`, samgrd's answer to a lookup
/// of [`LOGD_NAME`]); `None`, said on the UART as `<scope>: log: ...`, when it is not.
pub fn connect(found: Result<ServiceId, SysError>, scope: &str) -> Option<Logger<Backend>> {
    match found
        .map_err(|e| alloc::format!("no logd: {e}"))
        .and_then(|id| logger(id, scope).map_err(|e| alloc::format!("{e}")))
    {
        Ok(log) => Some(log),
        Err(why) => {
            println!("{scope}: log: {why}");
            None
        }
    }
}

/// Sends one record in the logger's scope; returns its id. A record logd did not store
/// is said on the UART (`<scope>: log: <why>`, never silently) and the caller goes on.
pub fn send(
    log: &mut Logger<Backend>,
    level: Level,
    message: &str,
    fields: &Fields,
) -> Option<u64> {
    match log.log(level, message, fields) {
        Ok(id) => id,
        Err(e) => {
            println!("{}: log: {e}", log.scope());
            None
        }
    }
}
