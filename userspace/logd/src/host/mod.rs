//! Host I/O adapters (feature `std`): the v1 frames over a Unix `SOCK_SEQPACKET` socket, one
//! frame per message. [`Client`] is what `nx log` and nexus-log's socket backend use;
//! [`Daemon`] is the server behind the `logd` binary. Each connection's origin is
//! `(uid << 32) | pid` of the peer, read with `SO_PEERCRED` when it connects.

mod client;
mod daemon;

use std::path::PathBuf;

pub use client::{Client, QueryPage};
pub use daemon::{Daemon, DaemonConfig};

use crate::{ConfigError, FrameError, Status};

/// Nanoseconds of `CLOCK_MONOTONIC` (time since boot, never stepped): the clock the host
/// daemon stamps records with, as the OS stamps them with its monotonic timer.
pub fn monotonic_nsec() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// Errors of the host client and daemon.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A socket or file operation failed.
    #[error("{what} {path}: {cause}")]
    Io {
        /// The operation.
        what: &'static str,
        /// The socket path.
        path: PathBuf,
        /// The cause (said by the message, so not a `source()`: a chain says it once).
        cause: std::io::Error,
    },
    /// The daemon closed the connection.
    #[error("logd closed the connection")]
    Closed,
    /// No answer within the timeout.
    #[error("no answer from logd within {0:?}")]
    TimedOut(std::time::Duration),
    /// The response frame is invalid.
    #[error("invalid response frame: {0}")]
    Frame(FrameError),
    /// The daemon rejected the request.
    #[error("logd answered {status}")]
    Rejected {
        /// The status.
        status: Status,
    },
    /// The journal capacity is invalid.
    #[error("journal: {0}")]
    Config(ConfigError),
    /// Another daemon answers on the socket path.
    #[error("a logd already answers on {0}")]
    AlreadyRunning(PathBuf),
    /// The socket path holds something that is not a socket.
    #[error("{0} exists and is not a socket (not removed)")]
    NotASocket(PathBuf),
    /// A daemon limit that no client could work with.
    #[error("{0}")]
    Limit(&'static str),
    /// The daemon closed the connection before answering its first request: it serves as
    /// many connections as it allows.
    #[error(
        "logd on {0} closed the connection before answering: it is serving as many \
         connections as it allows (in all, or for this user); try again later"
    )]
    Full(PathBuf),
}

// The messages of these variants include their cause, so they are not `source()`s
// (`#[from]` would make them so, and a chain printer would say the cause twice).
impl From<FrameError> for HostError {
    fn from(e: FrameError) -> HostError {
        HostError::Frame(e)
    }
}

impl From<ConfigError> for HostError {
    fn from(e: ConfigError) -> HostError {
        HostError::Config(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn host_errors_say_their_cause_once() {
        let io = HostError::Io {
            what: "bind",
            path: PathBuf::from("logd.sock"),
            cause: std::io::Error::from_raw_os_error(98),
        };
        let frame = HostError::from(FrameError::TooLarge {
            field: "frame",
            len: 9,
            max: 8,
        });
        for e in [io, frame] {
            assert!(e.source().is_none(), "{e}: the message already says it");
        }
        let text = std::format!(
            "{}",
            HostError::Io {
                what: "bind",
                path: PathBuf::from("logd.sock"),
                cause: std::io::Error::from_raw_os_error(98),
            }
        );
        assert!(text.starts_with("bind logd.sock: Address"), "{text}");
    }
}
