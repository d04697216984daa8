//! Response frames: building them (server side, into a fixed buffer, no allocation) and
//! decoding them (client side).
//!
//! Every response starts `[L, O, 1, OP | 0x80, status]`. A request whose magic, version
//! or opcode is bad gets just those five bytes (the opcode byte echoes the request's, 0
//! when the frame is shorter than 4 bytes). A request with a good header but a bad payload
//! gets its operation's full layout with the error status, `record_id` and `count` 0, and
//! the journal's current counters.

use crate::error::FrameError;
use crate::journal::{Journal, Stats};
use crate::record::RecordView;
use crate::request::{parse_header, Query, Request};
use crate::wire::{
    Op, Reader, ServiceId, Status, Writer, APPEND_RESPONSE_LEN, HEADER_LEN, MAGIC0, MAGIC1,
    MAX_QUERY_COUNT, MAX_RESPONSE_LEN, QUERY_RESPONSE_FIXED_LEN, RESPONSE_BIT, STATUS_RESPONSE_LEN,
    VERSION,
};

/// A buffer that holds any response frame.
pub type ResponseBuf = [u8; MAX_RESPONSE_LEN];

/// Serves one request frame against the journal: parses it, carries it out with
/// `service_id` (from the transport) as the origin and `now_nsec` as the clock, and writes
/// the response into `out`. Returns the response's length. Never panics and allocates
/// nothing, whatever `frame` holds.
pub fn handle_request(
    journal: &mut Journal,
    service_id: ServiceId,
    now_nsec: u64,
    frame: &[u8],
    out: &mut ResponseBuf,
) -> usize {
    let written = match Request::parse(frame) {
        Ok(Request::Append(entry)) => {
            let appended = journal.append(now_nsec, service_id, &entry);
            write_append(out, Status::Ok, appended.record_id, journal.dropped())
        }
        Ok(Request::Query(query)) => write_query(out, Status::Ok, journal, query),
        Ok(Request::Stats) => write_stats(out, Status::Ok, &journal.stats()),
        Err(err) => write_error(out, frame, &err, journal),
    };
    // Every layout fits the buffer; the status-only frame is the fallback that cannot fail.
    written.unwrap_or_else(|| write_status_only(out, Op::Stats as u8, Status::Malformed))
}

/// Writes the response to a frame that failed with `err`.
fn write_error(
    out: &mut ResponseBuf,
    frame: &[u8],
    err: &FrameError,
    journal: &Journal,
) -> Option<usize> {
    let status = err.status();
    let op_byte = frame.get(3).copied().unwrap_or(0);
    // A frame whose header is good gets its operation's full layout.
    let op = parse_header(frame).ok();
    match op {
        Some(Op::Append) => write_append(out, status, 0, journal.dropped()),
        Some(Op::Query) => write_query(
            out,
            status,
            journal,
            Query {
                since_nsec: u64::MAX,
                max_count: 0,
            },
        ),
        Some(Op::Stats) => write_stats(out, status, &journal.stats()),
        None => Some(write_status_only(out, op_byte, status)),
    }
}

fn write_status_only(out: &mut ResponseBuf, op_byte: u8, status: Status) -> usize {
    let frame = [
        MAGIC0,
        MAGIC1,
        VERSION,
        op_byte | RESPONSE_BIT,
        status as u8,
    ];
    out[..STATUS_RESPONSE_LEN].copy_from_slice(&frame);
    STATUS_RESPONSE_LEN
}

fn start(w: &mut Writer<'_>, op: Op, status: Status) {
    w.put(&[MAGIC0, MAGIC1, VERSION, op.response_byte(), status as u8]);
}

fn write_append(
    out: &mut ResponseBuf,
    status: Status,
    record_id: u64,
    dropped: u64,
) -> Option<usize> {
    let mut frame = [0u8; APPEND_RESPONSE_LEN];
    frame[..4].copy_from_slice(&[MAGIC0, MAGIC1, VERSION, Op::Append.response_byte()]);
    frame[4] = status as u8;
    frame[5..13].copy_from_slice(&record_id.to_le_bytes());
    frame[13..21].copy_from_slice(&dropped.to_le_bytes());
    out.get_mut(..APPEND_RESPONSE_LEN)?.copy_from_slice(&frame);
    Some(APPEND_RESPONSE_LEN)
}

fn write_query(
    out: &mut ResponseBuf,
    status: Status,
    journal: &Journal,
    query: Query,
) -> Option<usize> {
    let mut w = Writer::new(out);
    start(&mut w, Op::Query, status);
    let count_at = w.len();
    w.put(&0u16.to_le_bytes());
    let count = journal.write_query(query, MAX_RESPONSE_LEN - QUERY_RESPONSE_FIXED_LEN, &mut w);
    w.patch(count_at, &count.to_le_bytes());
    w.put(&journal.total().to_le_bytes());
    w.put(&journal.dropped().to_le_bytes());
    w.finish()
}

fn write_stats(out: &mut ResponseBuf, status: Status, stats: &Stats) -> Option<usize> {
    let mut w = Writer::new(out);
    start(&mut w, Op::Stats, status);
    w.put(&stats.total.to_le_bytes());
    w.put(&stats.dropped.to_le_bytes());
    w.put(&stats.capacity_records.to_le_bytes());
    w.put(&stats.capacity_bytes.to_le_bytes());
    w.put(&stats.used_records.to_le_bytes());
    w.put(&stats.used_bytes.to_le_bytes());
    w.finish()
}

/// An APPEND response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResponse {
    /// Outcome.
    pub status: Status,
    /// The new record's id (0 on error).
    pub record_id: u64,
    /// Records dropped by overflow so far.
    pub dropped: u64,
}

/// A QUERY response; its records are validated when it is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryResponse<'a> {
    /// Outcome.
    pub status: Status,
    /// Number of records.
    pub count: u16,
    records: &'a [u8],
    /// Records appended so far (the newest id).
    pub total: u64,
    /// Records dropped so far (the oldest id held is `dropped + 1`).
    pub dropped: u64,
}

impl<'a> QueryResponse<'a> {
    /// The records, oldest first.
    pub fn records(&self) -> impl Iterator<Item = RecordView<'a>> + 'a {
        let mut rest = self.records;
        core::iter::from_fn(move || {
            let (view, len) = RecordView::decode(rest).ok()?;
            rest = rest.get(len..).unwrap_or(&[]);
            Some(view)
        })
    }
}

/// A decoded response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response<'a> {
    /// Answer to APPEND.
    Append(AppendResponse),
    /// Answer to QUERY.
    Query(QueryResponse<'a>),
    /// Answer to STATS.
    Stats(Status, Stats),
    /// A status-only answer (the request's magic, version or opcode was bad).
    StatusOnly {
        /// The response opcode byte.
        op: u8,
        /// The status (never OK).
        status: Status,
    },
}

impl<'a> Response<'a> {
    /// The status of any response.
    pub fn status(&self) -> Status {
        match self {
            Response::Append(a) => a.status,
            Response::Query(q) => q.status,
            Response::Stats(s, _) => *s,
            Response::StatusOnly { status, .. } => *status,
        }
    }

    /// Decodes a response frame, checking every length and each QUERY record.
    pub fn decode(frame: &'a [u8]) -> Result<Response<'a>, FrameError> {
        if frame.len() > MAX_RESPONSE_LEN {
            return Err(FrameError::TooLarge {
                field: "frame",
                len: frame.len(),
                max: MAX_RESPONSE_LEN,
            });
        }
        let mut r = Reader::new(frame);
        let [m0, m1, version, op_byte] = r.array::<HEADER_LEN>("header")?;
        if m0 != MAGIC0 || m1 != MAGIC1 {
            return Err(FrameError::BadMagic);
        }
        if version != VERSION {
            return Err(FrameError::UnsupportedVersion(version));
        }
        let status_byte = r.u8("status")?;
        let status =
            Status::from_byte(status_byte).ok_or(FrameError::UnknownStatus(status_byte))?;
        if op_byte & RESPONSE_BIT == 0 {
            return Err(FrameError::UnsupportedOp(op_byte));
        }
        if frame.len() == STATUS_RESPONSE_LEN && status != Status::Ok {
            return Ok(Response::StatusOnly {
                op: op_byte,
                status,
            });
        }
        let op =
            Op::from_byte(op_byte & !RESPONSE_BIT).ok_or(FrameError::UnsupportedOp(op_byte))?;
        let response = match op {
            Op::Append => Response::Append(AppendResponse {
                status,
                record_id: r.u64("record_id")?,
                dropped: r.u64("dropped")?,
            }),
            Op::Stats => Response::Stats(
                status,
                Stats {
                    total: r.u64("total")?,
                    dropped: r.u64("dropped")?,
                    capacity_records: r.u32("capacity_records")?,
                    capacity_bytes: r.u32("capacity_bytes")?,
                    used_records: r.u32("used_records")?,
                    used_bytes: r.u32("used_bytes")?,
                },
            ),
            Op::Query => {
                let count = r.u16("count")?;
                if count > MAX_QUERY_COUNT {
                    return Err(FrameError::CountTooLarge(count));
                }
                let records_len = r.remaining().checked_sub(16).ok_or(FrameError::Truncated {
                    field: "total",
                    offset: r.pos(),
                })?;
                let records = r.take(records_len, "records")?;
                let mut rest = records;
                for _ in 0..count {
                    let (_, len) = RecordView::decode(rest)?;
                    rest = rest.get(len..).unwrap_or(&[]);
                }
                if !rest.is_empty() {
                    return Err(FrameError::LengthMismatch {
                        expected: frame.len() - rest.len(),
                        actual: frame.len(),
                    });
                }
                Response::Query(QueryResponse {
                    status,
                    count,
                    records,
                    total: r.u64("total")?,
                    dropped: r.u64("dropped")?,
                })
            }
        };
        if r.remaining() != 0 {
            return Err(FrameError::LengthMismatch {
                expected: r.pos(),
                actual: frame.len(),
            });
        }
        Ok(response)
    }

    /// Decodes a response and checks that it answers `op`.
    pub fn decode_for(op: Op, frame: &'a [u8]) -> Result<Response<'a>, FrameError> {
        let response = Response::decode(frame)?;
        let found = match &response {
            Response::Append(_) => Op::Append.response_byte(),
            Response::Query(_) => Op::Query.response_byte(),
            Response::Stats(..) => Op::Stats.response_byte(),
            Response::StatusOnly { op, .. } => *op,
        };
        if found != op.response_byte() {
            return Err(FrameError::UnexpectedOp {
                expected: op.response_byte(),
                found,
            });
        }
        Ok(response)
    }
}
