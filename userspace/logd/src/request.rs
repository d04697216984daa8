//! Request frames: parsing (server side) and encoding (client side).
//!
//! Parsing borrows the frame and allocates nothing. Checks run in a fixed order, so every
//! defective frame gets one deterministic status:
//!
//! 1. shorter than the 4-byte header: `MALFORMED`; magic not `LO`: `MALFORMED`;
//! 2. version not 1: `UNSUPPORTED`; opcode not APPEND/QUERY/STATS: `UNSUPPORTED`;
//! 3. frame over 842 bytes (the largest APPEND): `TOO_LARGE`;
//! 4. per opcode: APPEND checks its 6-byte fixed part (`MALFORMED` if cut), then the
//!    declared scope/message/fields lengths against their caps (`TOO_LARGE`), then that the
//!    frame is exactly as long as declared (`MALFORMED`), then the level (`MALFORMED`);
//!    QUERY must be exactly 14 bytes (`MALFORMED`) with `max_count <= 16` (`TOO_LARGE`);
//!    STATS must be exactly 4 bytes (`MALFORMED`).

use alloc::vec::Vec;

use crate::error::FrameError;
use crate::record::{Entry, EntryBody, EntryHead};
use crate::wire::{
    Op, Reader, APPEND_FIXED_LEN, HEADER_LEN, MAGIC0, MAGIC1, MAX_QUERY_COUNT, MAX_REQUEST_LEN,
    QUERY_REQUEST_LEN, STATS_REQUEST_LEN, VERSION,
};

/// A QUERY: records with `timestamp_nsec >= since_nsec`, oldest first, at most
/// `max_count` (0 to 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    /// Inclusive lower bound on the record timestamp.
    pub since_nsec: u64,
    /// How many records at most.
    pub max_count: u16,
}

/// A parsed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// APPEND one record.
    Append(Entry<'a>),
    /// QUERY records.
    Query(Query),
    /// STATS.
    Stats,
}

impl<'a> Request<'a> {
    /// The operation.
    pub fn op(&self) -> Op {
        match self {
            Request::Append(_) => Op::Append,
            Request::Query(_) => Op::Query,
            Request::Stats => Op::Stats,
        }
    }

    /// Parses a request frame (see the module documentation for the order of checks).
    #[inline]
    pub fn parse(frame: &'a [u8]) -> Result<Request<'a>, FrameError> {
        match parse_valid_append(frame) {
            Some(entry) => Ok(Request::Append(entry)),
            None => Request::parse_checked(frame),
        }
    }

    /// [`Request::parse`] one check at a time, naming the first defect.
    #[cold]
    fn parse_checked(frame: &'a [u8]) -> Result<Request<'a>, FrameError> {
        let op = parse_header(frame)?;
        if frame.len() > MAX_REQUEST_LEN {
            return Err(FrameError::TooLarge {
                field: "frame",
                len: frame.len(),
                max: MAX_REQUEST_LEN,
            });
        }
        match op {
            Op::Append => parse_append(frame).map(Request::Append),
            Op::Query => parse_query(frame).map(Request::Query),
            Op::Stats => {
                exact_len(frame, STATS_REQUEST_LEN)?;
                Ok(Request::Stats)
            }
        }
    }

    /// Encodes the request frame.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Request::Append(entry) => encode_append(entry),
            Request::Query(q) => encode_query(*q),
            Request::Stats => header(Op::Stats).to_vec(),
        }
    }
}

/// The common case of [`Request::parse`]: a valid APPEND passes every check in this one
/// read of its bytes (`None` for anything else, which [`Request::parse_checked`] then takes
/// apart in order).
#[inline]
pub(crate) fn parse_valid_append(frame: &[u8]) -> Option<Entry<'_>> {
    // Header and fixed part present (one compare for the length checks that follow).
    if frame.len() < HEADER_LEN + APPEND_FIXED_LEN {
        return None;
    }
    let (header, payload) = frame.split_first_chunk::<HEADER_LEN>()?;
    // One compare for magic, version and opcode. A payload `from_wire` accepts is at most
    // 838 bytes (6 + 64 + 256 + 512), so the frame is within `MAX_REQUEST_LEN`.
    if u32::from_le_bytes(*header) != APPEND_HEADER {
        return None;
    }
    Entry::from_wire(payload)
}

/// Checks magic, version and opcode; returns the opcode.
#[inline]
pub(crate) fn parse_header(frame: &[u8]) -> Result<Op, FrameError> {
    let mut r = Reader::new(frame);
    let [m0, m1, version, op] = r.array::<HEADER_LEN>("header")?;
    if m0 != MAGIC0 || m1 != MAGIC1 {
        return Err(FrameError::BadMagic);
    }
    if version != VERSION {
        return Err(FrameError::UnsupportedVersion(version));
    }
    Op::from_byte(op).ok_or(FrameError::UnsupportedOp(op))
}

fn exact_len(frame: &[u8], expected: usize) -> Result<(), FrameError> {
    if frame.len() == expected {
        Ok(())
    } else {
        Err(FrameError::LengthMismatch {
            expected,
            actual: frame.len(),
        })
    }
}

/// An APPEND request's header as a little-endian word, for matching it in one compare.
const APPEND_HEADER: u32 = u32::from_le_bytes([MAGIC0, MAGIC1, VERSION, Op::Append as u8]);

fn parse_append(frame: &[u8]) -> Result<Entry<'_>, FrameError> {
    let mut r = Reader::new(frame);
    r.take(HEADER_LEN, "header")?;
    let head = EntryHead::read(&mut r)?;
    exact_len(frame, HEADER_LEN + APPEND_FIXED_LEN + head.body_len())?;
    let EntryBody {
        level,
        scope,
        message,
        fields,
    } = head.body(&mut r)?;
    let payload = frame.get(HEADER_LEN..).unwrap_or(&[]);
    // Every check above passed, so the payload is valid; the split parts are the
    // fallback that cannot differ from it.
    Entry::from_wire(payload).map_or_else(|| Entry::new(level, scope, message, fields), Ok)
}

fn parse_query(frame: &[u8]) -> Result<Query, FrameError> {
    exact_len(frame, QUERY_REQUEST_LEN)?;
    let mut r = Reader::new(frame);
    r.take(HEADER_LEN, "header")?;
    let since_nsec = r.u64("since_nsec")?;
    let max_count = r.u16("max_count")?;
    if max_count > MAX_QUERY_COUNT {
        return Err(FrameError::CountTooLarge(max_count));
    }
    Ok(Query {
        since_nsec,
        max_count,
    })
}

fn header(op: Op) -> [u8; HEADER_LEN] {
    [MAGIC0, MAGIC1, VERSION, op as u8]
}

/// Encodes an APPEND request frame.
pub fn encode_append(entry: &Entry<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + APPEND_FIXED_LEN + entry.record_len());
    encode_append_into(entry, &mut out);
    out
}

/// Appends an APPEND request frame to `out` (for callers that reuse a buffer).
pub fn encode_append_into(entry: &Entry<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(&header(Op::Append));
    // Entry's caps make these conversions lossless.
    out.push(entry.level() as u8);
    out.push(entry.scope().len() as u8);
    out.extend_from_slice(&(entry.message().len() as u16).to_le_bytes());
    out.extend_from_slice(&(entry.fields().len() as u16).to_le_bytes());
    out.extend_from_slice(entry.scope());
    out.extend_from_slice(entry.message());
    out.extend_from_slice(entry.fields());
}

/// Encodes a QUERY request frame (a `max_count` over 16 is sent as is; the server
/// answers it with `TOO_LARGE`).
pub fn encode_query(query: Query) -> Vec<u8> {
    let mut out = Vec::with_capacity(QUERY_REQUEST_LEN);
    out.extend_from_slice(&header(Op::Query));
    out.extend_from_slice(&query.since_nsec.to_le_bytes());
    out.extend_from_slice(&query.max_count.to_le_bytes());
    out
}

/// Encodes a STATS request frame.
pub fn encode_stats() -> Vec<u8> {
    header(Op::Stats).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An APPEND frame with the given fixed part and `body` bytes after it.
    fn append(level: u8, scope: u8, msg: u16, fields: u16, body: usize) -> Vec<u8> {
        let mut f = header(Op::Append).to_vec();
        f.push(level);
        f.push(scope);
        f.extend_from_slice(&msg.to_le_bytes());
        f.extend_from_slice(&fields.to_le_bytes());
        f.resize(f.len() + body, b'x');
        f
    }

    #[test]
    fn the_one_pass_append_parse_agrees_with_the_ordered_checks() {
        let mut frames = Vec::new();
        for level in 0..=6u8 {
            for (s, m, f) in [
                (0, 0, 0),
                (64, 256, 512),
                (65, 0, 0),
                (0, 257, 0),
                (0, 0, 513),
            ] {
                let len = usize::from(s) + usize::from(m) + usize::from(f);
                for body in [0, len.saturating_sub(1), len, len + 1] {
                    frames.push(append(level, s, m, f, body));
                }
            }
        }
        let valid = append(3, 5, 32, 0, 37);
        for cut in 0..valid.len() {
            frames.push(valid[..cut].to_vec());
        }
        for (at, byte) in [(0, b'X'), (1, b'X'), (2, 2), (3, 2), (3, 9)] {
            let mut f = valid.clone();
            f[at] = byte;
            frames.push(f);
        }
        for frame in &frames {
            let fast = parse_valid_append(frame).map(Request::Append);
            let checked = Request::parse_checked(frame);
            match fast {
                Some(request) => assert_eq!(Ok(request), checked, "{frame:?}"),
                None => assert!(
                    !matches!(checked, Ok(Request::Append(_))),
                    "{frame:?} is valid"
                ),
            }
        }
        assert!(parse_valid_append(&valid).is_some());
    }
}
