//! `nexus-log`: the small logging facade every service uses. A [`Logger`] turns a level,
//! a scope, a message and [`Fields`] into one logd v1 APPEND frame and hands it to a
//! [`Backend`], which only moves frames: the kernel's IPC on the OS (the os-lite
//! backend: [`deadline::DeadlineBackend`] over `nexus_rt::log`'s `call_timeout` to logd,
//! every call bounded, failures counted), the logd socket on the host
//! ([`SocketBackend`], feature `std`), or a journal in the same process
//! ([`JournalBackend`]).
//!
//! Rules: the origin is never part of what a producer sends (logd takes it from the
//! transport); records below the logger's maximum level are not sent; a message over
//! 256 bytes is cut at a character boundary; a scope over 64 bytes is an error; fields
//! follow the convention (sorted `key=value` lines, keys `[a-z0-9_.-]+`, no newline in
//! values, at most 512 bytes). Logging is never "ok" unless logd answered OK: every call
//! returns the record id or the reason it was not stored.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod deadline;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use logd::wire::{MAX_MESSAGE_LEN, MAX_SCOPE_LEN};
use logd::{encode_append_into, Entry, FrameError, Journal, Op, Response, ResponseBuf, Status};
pub use logd::{Fields, FieldsError, Level, Record, ServiceId, Stats};

/// Moves one request frame to logd and its response frame back.
pub trait Backend {
    /// Transport failure.
    type Error: core::error::Error;

    /// Sends `request`, writes the response into `response` and returns its length.
    fn call(&mut self, request: &[u8], response: &mut ResponseBuf) -> Result<usize, Self::Error>;
}

/// Why a record was not stored.
#[derive(Debug)]
pub enum LogError<E> {
    /// The transport failed.
    Backend(E),
    /// logd's response is not a valid APPEND response.
    Frame(FrameError),
    /// logd answered with an error status.
    Rejected(Status),
    /// The scope is over 64 bytes.
    ScopeTooLong(usize),
    /// The fields break the convention or the 512-byte cap.
    Fields(FieldsError),
}

impl<E: fmt::Display> fmt::Display for LogError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Backend(e) => write!(f, "logd transport: {e}"),
            LogError::Frame(e) => write!(f, "logd response: {e}"),
            LogError::Rejected(s) => write!(f, "logd rejected the record: {s}"),
            LogError::ScopeTooLong(n) => write!(f, "scope is {n} bytes, over the cap of 64"),
            LogError::Fields(e) => write!(f, "fields: {e}"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for LogError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            LogError::Backend(e) => Some(e),
            LogError::Frame(e) => Some(e),
            LogError::Fields(e) => Some(e),
            LogError::Rejected(_) | LogError::ScopeTooLong(_) => None,
        }
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// A logger with a default scope and a maximum level.
#[derive(Debug)]
pub struct Logger<B> {
    backend: B,
    scope: String,
    max_level: Level,
    request: Vec<u8>,
    response: ResponseBuf,
}

impl<B: Backend> Logger<B> {
    /// A logger for `scope` (at most 64 bytes) that sends every level up to info.
    pub fn new(backend: B, scope: &str) -> Result<Logger<B>, LogError<B::Error>> {
        if scope.len() > MAX_SCOPE_LEN {
            return Err(LogError::ScopeTooLong(scope.len()));
        }
        Ok(Logger {
            backend,
            scope: String::from(scope),
            max_level: Level::Info,
            request: Vec::new(),
            response: [0; logd::wire::MAX_RESPONSE_LEN],
        })
    }

    /// The default scope.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Sends records up to `level` (error is most severe; trace sends everything).
    pub fn set_max_level(&mut self, level: Level) {
        self.max_level = level;
    }

    /// Whether records at `level` are sent.
    pub fn enabled(&self, level: Level) -> bool {
        level <= self.max_level
    }

    /// The backend.
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// Logs in the logger's scope. Returns the record id, or `None` when `level` is above
    /// the maximum level (nothing sent).
    pub fn log(
        &mut self,
        level: Level,
        message: &str,
        fields: &Fields,
    ) -> Result<Option<u64>, LogError<B::Error>> {
        let scope = core::mem::take(&mut self.scope);
        let result = self.log_in(level, &scope, message, fields);
        self.scope = scope;
        result
    }

    /// Logs in another scope.
    pub fn log_in(
        &mut self,
        level: Level,
        scope: &str,
        message: &str,
        fields: &Fields,
    ) -> Result<Option<u64>, LogError<B::Error>> {
        if !self.enabled(level) {
            return Ok(None);
        }
        if scope.len() > MAX_SCOPE_LEN {
            return Err(LogError::ScopeTooLong(scope.len()));
        }
        let fields = fields.encode().map_err(LogError::Fields)?;
        let message = cut(message, MAX_MESSAGE_LEN);
        let entry = Entry::new(level, scope.as_bytes(), message.as_bytes(), &fields)
            .map_err(LogError::Frame)?;
        self.request.clear();
        encode_append_into(&entry, &mut self.request);
        let len = self
            .backend
            .call(&self.request, &mut self.response)
            .map_err(LogError::Backend)?;
        let frame = self.response.get(..len).unwrap_or(&[]);
        match Response::decode_for(Op::Append, frame).map_err(LogError::Frame)? {
            Response::Append(a) if a.status == Status::Ok => Ok(Some(a.record_id)),
            other => Err(LogError::Rejected(other.status())),
        }
    }

    /// Reads back records stamped at or after `since_nsec`, oldest first, at most
    /// `max_count` (logd caps it at 16 and a response at 2,048 bytes): logd's QUERY through
    /// the same backend. Also returns logd's `total` and `dropped` counters.
    pub fn query(
        &mut self,
        since_nsec: u64,
        max_count: u16,
    ) -> Result<(Vec<Record>, u64, u64), LogError<B::Error>> {
        let request = logd::encode_query(logd::Query {
            since_nsec,
            max_count,
        });
        let len = self
            .backend
            .call(&request, &mut self.response)
            .map_err(LogError::Backend)?;
        let frame = self.response.get(..len).unwrap_or(&[]);
        match Response::decode_for(Op::Query, frame).map_err(LogError::Frame)? {
            Response::Query(q) if q.status == Status::Ok => Ok((
                q.records().map(|r| r.to_record()).collect(),
                q.total,
                q.dropped,
            )),
            other => Err(LogError::Rejected(other.status())),
        }
    }

    /// logd's counters and occupancy (STATS).
    pub fn stats(&mut self) -> Result<Stats, LogError<B::Error>> {
        let request = logd::encode_stats();
        let len = self
            .backend
            .call(&request, &mut self.response)
            .map_err(LogError::Backend)?;
        let frame = self.response.get(..len).unwrap_or(&[]);
        match Response::decode_for(Op::Stats, frame).map_err(LogError::Frame)? {
            Response::Stats(Status::Ok, stats) => Ok(stats),
            other => Err(LogError::Rejected(other.status())),
        }
    }

    /// Logs an error without fields.
    pub fn error(&mut self, message: &str) -> Result<Option<u64>, LogError<B::Error>> {
        self.log(Level::Error, message, &Fields::new())
    }

    /// Logs a warning without fields.
    pub fn warn(&mut self, message: &str) -> Result<Option<u64>, LogError<B::Error>> {
        self.log(Level::Warn, message, &Fields::new())
    }

    /// Logs information without fields.
    pub fn info(&mut self, message: &str) -> Result<Option<u64>, LogError<B::Error>> {
        self.log(Level::Info, message, &Fields::new())
    }

    /// Logs a debug message without fields.
    pub fn debug(&mut self, message: &str) -> Result<Option<u64>, LogError<B::Error>> {
        self.log(Level::Debug, message, &Fields::new())
    }

    /// Logs a trace message without fields.
    pub fn trace(&mut self, message: &str) -> Result<Option<u64>, LogError<B::Error>> {
        self.log(Level::Trace, message, &Fields::new())
    }
}

/// Never fails: the error type of in-process backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Infallible {}

impl fmt::Display for Infallible {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl core::error::Error for Infallible {}

/// A backend that serves frames with a journal in the same process, under a fixed origin
/// and a caller-driven clock (tests, and services that own a journal).
#[derive(Debug)]
pub struct JournalBackend {
    /// The journal.
    pub journal: Journal,
    /// The origin every record gets.
    pub service_id: ServiceId,
    /// The time every record is stamped with (the journal keeps stamps increasing).
    pub now_nsec: u64,
}

impl Backend for JournalBackend {
    type Error = Infallible;

    fn call(&mut self, request: &[u8], response: &mut ResponseBuf) -> Result<usize, Infallible> {
        Ok(logd::handle_request(
            &mut self.journal,
            self.service_id,
            self.now_nsec,
            request,
            response,
        ))
    }
}

/// The host backend: logd's `SOCK_SEQPACKET` socket.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct SocketBackend {
    client: logd::host::Client,
}

#[cfg(feature = "std")]
impl SocketBackend {
    /// Connects to the logd socket at `path`, waiting at most `timeout` for any answer.
    pub fn connect(
        path: &std::path::Path,
        timeout: core::time::Duration,
    ) -> Result<SocketBackend, logd::host::HostError> {
        let mut client = logd::host::Client::connect(path)?;
        client.set_timeout(Some(timeout))?;
        Ok(SocketBackend { client })
    }
}

#[cfg(feature = "std")]
impl Backend for SocketBackend {
    type Error = logd::host::HostError;

    fn call(&mut self, request: &[u8], response: &mut ResponseBuf) -> Result<usize, Self::Error> {
        let frame = self.client.call(request)?;
        let len = frame.len().min(response.len());
        response[..len].copy_from_slice(frame.get(..len).unwrap_or(&[]));
        Ok(len)
    }
}
