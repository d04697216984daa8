//! `logd`: the log journal of RFC-0011, v1.
//!
//! - [`wire`]: the v1 byte frames' vocabulary (magic `LO`, version 1, APPEND/QUERY/STATS,
//!   status codes, caps: scope 64, message 256, fields 512 bytes, 16 records and 2048 bytes
//!   a QUERY response);
//! - [`Request`] / [`Response`]: frame parsing and encoding, checked before any
//!   allocation, never panicking on any input;
//! - [`Journal`]: the bounded, drop-oldest RAM journal (sans-IO: the caller passes the
//!   time and the origin's [`ServiceId`]);
//! - [`handle_request`]: one request frame in, one response frame out (what the OS service
//!   and the host daemon both run);
//! - [`Fields`]: the `key=value` fields convention; [`crash`]: crash.v1 reports.
//!
//! [`ServiceId`] and [`Record`] are the one service identity and the one in-memory log
//! record of the log and crash pipeline (`nxcd` stores `Record` in dumps as it is). On
//! the OS an identity is the kernel's `u32` sender id widened
//! ([`ServiceId::from_kernel`]); on the host `(uid << 32) | pid`
//! ([`ServiceId::from_uid_pid`]). They live here because domain crates do not depend on
//! the OS's `abi` crate; the OS converts at its edge.
//!
//! The core is `no_std` + `alloc`. The default `std` feature adds [`host`]: the
//! `SOCK_SEQPACKET` client and the daemon behind the `logd` binary. The wire format and
//! the journal's rules are specified in `docs/observability/logd.md`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod crash;
mod error;
mod fields;
#[doc(hidden)]
pub mod fuzz;
mod journal;
mod record;
mod request;
mod response;
pub mod wire;

#[cfg(feature = "std")]
pub mod host;

pub use crash::{CrashPolicy, CrashReport, ExitEvent};
pub use error::{ConfigError, FieldsError, FrameError};
pub use fields::{validate_key, Fields};
pub use journal::{Appended, Journal, JournalConfig, Stats};
pub use record::{Entry, Record, RecordView};
pub use request::{encode_append, encode_append_into, encode_query, encode_stats, Query, Request};
pub use response::{handle_request, AppendResponse, QueryResponse, Response, ResponseBuf};
pub use wire::{Level, Op, ServiceId, Status};
