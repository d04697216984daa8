//! The `SOCK_SEQPACKET` client: one request frame per message, responses in order.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::prelude::rust_2021::*;
use std::time::Duration;
use std::vec;

use rustix::io::Errno;
use rustix::net::{
    self, AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

use super::HostError;
use crate::{
    encode_append, encode_query, encode_stats, wire::MAX_RESPONSE_LEN, AppendResponse, Entry, Op,
    Query, Record, Response, Stats, Status,
};

/// One page of a QUERY: owned records plus the journal counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPage {
    /// Records, oldest first.
    pub records: Vec<Record>,
    /// Records appended so far (the newest id).
    pub total: u64,
    /// Records dropped so far (the oldest id held is `dropped + 1`).
    pub dropped: u64,
}

/// A connection to a logd socket.
#[derive(Debug)]
pub struct Client {
    fd: OwnedFd,
    path: PathBuf,
    timeout: Option<Duration>,
    buf: Vec<u8>,
    /// Whether the daemon answered on this connection yet.
    answered: bool,
}

impl Client {
    /// Connects to the daemon at `path`.
    pub fn connect(path: &Path) -> Result<Client, HostError> {
        let io = |what, e: Errno| HostError::Io {
            what,
            path: path.to_path_buf(),
            cause: e.into(),
        };
        let addr = SocketAddrUnix::new(path).map_err(|e| io("socket path", e))?;
        let fd = net::socket_with(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .map_err(|e| io("create socket for", e))?;
        net::connect(&fd, &addr).map_err(|e| io("connect to", e))?;
        Ok(Client {
            fd,
            path: path.to_path_buf(),
            timeout: None,
            buf: vec![0; MAX_RESPONSE_LEN + 1],
            answered: false,
        })
    }

    /// Limits how long a send or receive may block (`None`: no limit).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), HostError> {
        for which in [net::sockopt::Timeout::Recv, net::sockopt::Timeout::Send] {
            net::sockopt::set_socket_timeout(&self.fd, which, timeout)
                .map_err(|e| self.io("set timeout on", e))?;
        }
        self.timeout = timeout;
        Ok(())
    }

    fn io(&self, what: &'static str, e: Errno) -> HostError {
        if e == Errno::AGAIN {
            return HostError::TimedOut(self.timeout.unwrap_or_default());
        }
        if !self.answered && matches!(e, Errno::CONNRESET | Errno::PIPE) {
            return HostError::Full(self.path.clone());
        }
        HostError::Io {
            what,
            path: self.path.clone(),
            cause: e.into(),
        }
    }

    /// Sends one frame (any bytes: tests send malformed ones on purpose).
    pub fn send_frame(&self, frame: &[u8]) -> Result<(), HostError> {
        net::send(&self.fd, frame, SendFlags::NOSIGNAL).map_err(|e| self.io("send to", e))?;
        Ok(())
    }

    /// Receives one response frame (at most 2048 bytes).
    pub fn recv_frame(&mut self) -> Result<&[u8], HostError> {
        let (len, _) = net::recv(&self.fd, &mut self.buf[..], RecvFlags::empty())
            .map_err(|e| self.io("receive from", e))?;
        if len == 0 {
            return Err(if self.answered {
                HostError::Closed
            } else {
                HostError::Full(self.path.clone())
            });
        }
        self.answered = true;
        if len > MAX_RESPONSE_LEN {
            return Err(HostError::Frame(crate::FrameError::TooLarge {
                field: "frame",
                len,
                max: MAX_RESPONSE_LEN,
            }));
        }
        Ok(self.buf.get(..len).unwrap_or(&[]))
    }

    /// Sends a request and receives its response.
    pub fn call(&mut self, frame: &[u8]) -> Result<&[u8], HostError> {
        self.send_frame(frame)?;
        self.recv_frame()
    }

    /// APPENDs one record.
    pub fn append(&mut self, entry: &Entry<'_>) -> Result<AppendResponse, HostError> {
        let frame = encode_append(entry);
        let response = self.call(&frame)?;
        match Response::decode_for(Op::Append, response)? {
            Response::Append(a) if a.status == Status::Ok => Ok(a),
            other => Err(HostError::Rejected {
                status: other.status(),
            }),
        }
    }

    /// Runs one QUERY.
    pub fn query(&mut self, query: Query) -> Result<QueryPage, HostError> {
        let frame = encode_query(query);
        let response = self.call(&frame)?;
        match Response::decode_for(Op::Query, response)? {
            Response::Query(q) if q.status == Status::Ok => Ok(QueryPage {
                records: q.records().map(|r| r.to_record()).collect(),
                total: q.total,
                dropped: q.dropped,
            }),
            other => Err(HostError::Rejected {
                status: other.status(),
            }),
        }
    }

    /// Reads the journal's counters.
    pub fn stats(&mut self) -> Result<Stats, HostError> {
        let response = self.call(&encode_stats())?;
        match Response::decode_for(Op::Stats, response)? {
            Response::Stats(Status::Ok, stats) => Ok(stats),
            other => Err(HostError::Rejected {
                status: other.status(),
            }),
        }
    }
}
