//! The v1 wire vocabulary of RFC-0011: magic, version, opcodes, status codes, log levels,
//! the origin identity, every size cap, and the bounds-checked little-endian reader that
//! all decoders use (no decoder indexes untrusted bytes directly).

use core::fmt;

use crate::error::FrameError;

/// First magic byte of every v1 frame (`'L'`).
pub const MAGIC0: u8 = b'L';
/// Second magic byte of every v1 frame (`'O'`).
pub const MAGIC1: u8 = b'O';
/// The only wire version this crate speaks.
pub const VERSION: u8 = 1;
/// Bit set on the opcode of every response frame.
pub const RESPONSE_BIT: u8 = 0x80;

/// Length of the frame header `[MAGIC0, MAGIC1, VERSION, OP]`.
pub const HEADER_LEN: usize = 4;
/// Largest scope, in bytes.
pub const MAX_SCOPE_LEN: usize = 64;
/// Largest message, in bytes.
pub const MAX_MESSAGE_LEN: usize = 256;
/// Largest fields blob, in bytes.
pub const MAX_FIELDS_LEN: usize = 512;
/// Largest `max_count` a QUERY may ask for.
pub const MAX_QUERY_COUNT: u16 = 16;
/// Largest response frame, header included; QUERY leaves out records past it.
pub const MAX_RESPONSE_LEN: usize = 2048;

/// Fixed part of an APPEND payload: level, scope_len, msg_len, fields_len.
pub const APPEND_FIXED_LEN: usize = 1 + 1 + 2 + 2;
/// Largest request frame (an APPEND with every part at its cap): 842 bytes.
pub const MAX_REQUEST_LEN: usize =
    HEADER_LEN + APPEND_FIXED_LEN + MAX_SCOPE_LEN + MAX_MESSAGE_LEN + MAX_FIELDS_LEN;
/// Length of a QUERY request frame.
pub const QUERY_REQUEST_LEN: usize = HEADER_LEN + 8 + 2;
/// Length of a STATS request frame.
pub const STATS_REQUEST_LEN: usize = HEADER_LEN;

/// Fixed part of an encoded record: id, timestamp, service id, level, three lengths.
pub const RECORD_FIXED_LEN: usize = 8 + 8 + 8 + 1 + 1 + 2 + 2;
/// Largest encoded record: 862 bytes.
pub const MAX_RECORD_LEN: usize =
    RECORD_FIXED_LEN + MAX_SCOPE_LEN + MAX_MESSAGE_LEN + MAX_FIELDS_LEN;

/// Length of an APPEND response frame.
pub const APPEND_RESPONSE_LEN: usize = HEADER_LEN + 1 + 8 + 8;
/// Length of a QUERY response frame without records.
pub const QUERY_RESPONSE_FIXED_LEN: usize = HEADER_LEN + 1 + 2 + 8 + 8;
/// Length of a STATS response frame.
pub const STATS_RESPONSE_LEN: usize = HEADER_LEN + 1 + 8 + 8 + 4 * 4;
/// Length of a status-only response (bad magic, version or opcode).
pub const STATUS_RESPONSE_LEN: usize = HEADER_LEN + 1;

/// Request opcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Op {
    /// Store one record.
    Append = 1,
    /// Read records, oldest first.
    Query = 2,
    /// Read the journal's counters and capacity.
    Stats = 3,
}

impl Op {
    /// The opcode for a request byte, if it names one.
    pub fn from_byte(byte: u8) -> Option<Op> {
        match byte {
            1 => Some(Op::Append),
            2 => Some(Op::Query),
            3 => Some(Op::Stats),
            _ => None,
        }
    }

    /// The opcode byte of this operation's response.
    pub fn response_byte(self) -> u8 {
        self as u8 | RESPONSE_BIT
    }
}

/// Status byte of every response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// The request was carried out.
    Ok = 0,
    /// The frame is truncated, has bad magic, a bad length or an invalid value.
    Malformed = 1,
    /// The version or opcode is not one this server speaks.
    Unsupported = 2,
    /// A length is over its cap.
    TooLarge = 3,
}

impl Status {
    /// The status for a status byte, if it names one.
    pub fn from_byte(byte: u8) -> Option<Status> {
        match byte {
            0 => Some(Status::Ok),
            1 => Some(Status::Malformed),
            2 => Some(Status::Unsupported),
            3 => Some(Status::TooLarge),
            _ => None,
        }
    }

    /// Lowercase name, as the documentation spells it.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Malformed => "malformed",
            Status::Unsupported => "unsupported",
            Status::TooLarge => "too large",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Log level: 1 error, 2 warn, 3 info, 4 debug, 5 trace (lower is more severe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Something failed.
    Error = 1,
    /// Something is wrong but work goes on.
    Warn = 2,
    /// Normal operation worth recording.
    Info = 3,
    /// Detail for developers.
    Debug = 4,
    /// Step-by-step detail.
    Trace = 5,
}

impl Level {
    /// Every level, most severe first.
    pub const ALL: [Level; 5] = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// The level for a wire byte, if it names one.
    pub fn from_byte(byte: u8) -> Option<Level> {
        match byte {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            5 => Some(Level::Trace),
            _ => None,
        }
    }

    /// Lowercase name (`error`, `warn`, `info`, `debug`, `trace`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }

    /// One-letter tag (`E`, `W`, `I`, `D`, `T`).
    pub fn letter(self) -> char {
        match self {
            Level::Error => 'E',
            Level::Warn => 'W',
            Level::Info => 'I',
            Level::Debug => 'D',
            Level::Trace => 'T',
        }
    }

    /// Parses a name, its first letter, or the digit (case-insensitive).
    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| {
            text.eq_ignore_ascii_case(l.name())
                || text.eq_ignore_ascii_case(l.letter().encode_utf8(&mut [0; 4]))
                || text.as_bytes() == [b'0' + *l as u8]
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The origin of a record, supplied by the transport and never by the payload. This is the
/// one service identity of the log and crash pipeline: journal records, crash reports and
/// the `logs.jsonl` of a `.nxcd` (whose `nxcd::LogRecord` is [`crate::Record`]) all carry
/// it. Its 64 bits hold either system's identity, losslessly:
///
/// - on the OS, `(incarnation << 32) | service_id` of the IPC sender, both stamped by
///   the kernel (`abi::RecvHeader`), made by [`ServiceId::from_kernel`]: the low half
///   is the kernel's service id (`abi::ServiceId`, the process's 1-based line in the
///   boot manifest, or its slot after them for a program started from memory), the
///   high half how many times a program has been started in that slot since boot
///   (1 for the first run), so a restarted program's records are told from its earlier
///   run's;
/// - on the host, `(uid << 32) | pid` of the socket peer (from `SO_PEERCRED`), made by
///   [`ServiceId::from_uid_pid`].
///
/// A journal holds one system's records, so the two never meet in one journal. It is a
/// `u64` here rather than `abi`'s `u32` because the host identity needs 64 bits, and it
/// lives in `logd` rather than `abi` because domain crates do not depend on OS crates:
/// the OS side converts at its edge (the OS logd stamps
/// `from_kernel(sender, sender_incarnation)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(pub u64);

impl ServiceId {
    /// The OS identity of a process: the kernel's IPC sender service id and the
    /// sender's incarnation (both from `abi::RecvHeader`).
    pub fn from_kernel(id: u32, incarnation: u32) -> ServiceId {
        ServiceId((u64::from(incarnation) << 32) | u64::from(id))
    }

    /// The low 32 bits: the kernel service id, for an OS identity.
    pub fn kernel_id(self) -> u32 {
        (self.0 & 0xffff_ffff) as u32
    }

    /// The high 32 bits: the incarnation (1 for a program's first run since boot), for an
    /// OS identity.
    pub fn incarnation(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The host identity of a peer process.
    pub fn from_uid_pid(uid: u32, pid: u32) -> ServiceId {
        ServiceId((u64::from(uid) << 32) | u64::from(pid))
    }

    /// The high 32 bits: the peer's uid on the host.
    pub fn uid(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The low 32 bits: the peer's pid on the host.
    pub fn pid(self) -> u32 {
        (self.0 & 0xffff_ffff) as u32
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A bounds-checked little-endian reader over untrusted bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// Offset of the next byte to read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], FrameError> {
        let end = self.pos.checked_add(len).ok_or(FrameError::Truncated {
            field,
            offset: self.pos,
        })?;
        let slice = self.bytes.get(self.pos..end).ok_or(FrameError::Truncated {
            field,
            offset: self.pos,
        })?;
        self.pos = end;
        Ok(slice)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], FrameError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, FrameError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, FrameError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, FrameError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, FrameError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }
}

/// A bounds-checked writer into a caller's fixed buffer (no allocation). A write that
/// does not fit is not made and marks the writer as overflowed.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    overflowed: bool,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Writer<'a> {
        Writer {
            buf,
            pos: 0,
            overflowed: false,
        }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.pos
    }

    /// Writes `bytes` at the end.
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        let end = self.pos.saturating_add(bytes.len());
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.pos = end;
            }
            None => self.overflowed = true,
        }
    }

    /// Overwrites bytes already written at `offset`.
    pub(crate) fn patch(&mut self, offset: usize, bytes: &[u8]) {
        let end = offset.saturating_add(bytes.len());
        match self.buf.get_mut(offset..end) {
            Some(dst) if end <= self.pos => dst.copy_from_slice(bytes),
            _ => self.overflowed = true,
        }
    }

    /// The number of bytes written, or `None` if any write did not fit.
    pub(crate) fn finish(self) -> Option<usize> {
        (!self.overflowed).then_some(self.pos)
    }
}
