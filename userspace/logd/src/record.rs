//! Log records: [`Entry`] (what a producer submits: level, scope, message, fields, each
//! within its cap), and the stored form, encoded exactly as a QUERY response carries it:
//!
//! ```text
//! [record_id:u64le, timestamp_nsec:u64le, service_id:u64le, level:u8, scope_len:u8,
//!  msg_len:u16le, fields_len:u16le, scope, msg, fields]
//! ```
//!
//! [`RecordView`] borrows a decoded record; [`Record`] owns one.

use alloc::vec::Vec;

use crate::error::FrameError;
use crate::wire::{
    Level, Reader, ServiceId, MAX_FIELDS_LEN, MAX_MESSAGE_LEN, MAX_SCOPE_LEN, RECORD_FIXED_LEN,
};

/// One record as submitted by a producer; every part is within its cap.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    level: Level,
    scope: &'a [u8],
    message: &'a [u8],
    fields: &'a [u8],
    /// The APPEND payload this entry was parsed from, when it was: its bytes are exactly
    /// the record encoding after the 24-byte id/stamp/origin prefix, so storing it is one
    /// copy.
    wire: Option<&'a [u8]>,
}

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Entry<'_>) -> bool {
        self.level == other.level
            && self.scope == other.scope
            && self.message == other.message
            && self.fields == other.fields
    }
}

impl Eq for Entry<'_> {}

impl<'a> Entry<'a> {
    /// Checks the caps (scope 64, message 256, fields 512 bytes).
    pub fn new(
        level: Level,
        scope: &'a [u8],
        message: &'a [u8],
        fields: &'a [u8],
    ) -> Result<Entry<'a>, FrameError> {
        check_len("scope", scope.len(), MAX_SCOPE_LEN)?;
        check_len("message", message.len(), MAX_MESSAGE_LEN)?;
        check_len("fields", fields.len(), MAX_FIELDS_LEN)?;
        Ok(Entry {
            level,
            scope,
            message,
            fields,
            wire: None,
        })
    }

    /// Attaches the APPEND payload the entry was parsed from (level byte to the end).
    pub(crate) fn with_wire(self, payload: &'a [u8]) -> Entry<'a> {
        let wire = (payload.len() + RECORD_PREFIX_LEN == self.record_len()).then_some(payload);
        Entry { wire, ..self }
    }

    /// An entry whose parts the caller has proven to be within their caps (parts over a
    /// cap are cut to it, which keeps the encoding valid).
    pub(crate) fn within_caps(
        level: Level,
        scope: &'a [u8],
        message: &'a [u8],
        fields: &'a [u8],
    ) -> Entry<'a> {
        Entry {
            level,
            scope: scope.get(..MAX_SCOPE_LEN).unwrap_or(scope),
            message: message.get(..MAX_MESSAGE_LEN).unwrap_or(message),
            fields: fields.get(..MAX_FIELDS_LEN).unwrap_or(fields),
            wire: None,
        }
    }

    /// The level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The scope (producer-chosen, not an identity).
    pub fn scope(&self) -> &'a [u8] {
        self.scope
    }

    /// The message.
    pub fn message(&self) -> &'a [u8] {
        self.message
    }

    /// The opaque fields blob.
    pub fn fields(&self) -> &'a [u8] {
        self.fields
    }

    /// Size of this entry once stored: the record encoding's length, which is what the
    /// journal's byte capacity counts.
    pub fn record_len(&self) -> usize {
        RECORD_FIXED_LEN + self.scope.len() + self.message.len() + self.fields.len()
    }
}

pub(crate) fn check_len(field: &'static str, len: usize, max: usize) -> Result<(), FrameError> {
    if len > max {
        Err(FrameError::TooLarge { field, len, max })
    } else {
        Ok(())
    }
}

/// The identity and time the journal gives an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) record_id: u64,
    pub(crate) timestamp_nsec: u64,
    pub(crate) service_id: ServiceId,
}

/// Length of the record prefix that is not in an APPEND payload: id, stamp, origin.
const RECORD_PREFIX_LEN: usize = 24;

/// The 30-byte fixed part of a record's encoding.
#[inline]
fn record_header(stamp: &Stamp, entry: &Entry<'_>) -> [u8; RECORD_FIXED_LEN] {
    let mut h = [0u8; RECORD_FIXED_LEN];
    h[0..8].copy_from_slice(&stamp.record_id.to_le_bytes());
    h[8..16].copy_from_slice(&stamp.timestamp_nsec.to_le_bytes());
    h[16..24].copy_from_slice(&stamp.service_id.0.to_le_bytes());
    // The caps (64, 256, 512) make these conversions lossless.
    h[24] = entry.level as u8;
    h[25] = entry.scope.len() as u8;
    h[26..28].copy_from_slice(&(entry.message.len() as u16).to_le_bytes());
    h[28..30].copy_from_slice(&(entry.fields.len() as u16).to_le_bytes());
    h
}

/// Writes the record encoding of `entry` into `dst`, which must be exactly
/// `entry.record_len()` bytes long; returns false (writing nothing) otherwise.
#[inline]
pub(crate) fn write_record(dst: &mut [u8], stamp: &Stamp, entry: &Entry<'_>) -> bool {
    if dst.len() != entry.record_len() {
        return false;
    }
    if entry
        .wire
        .is_some_and(|w| w.len() + RECORD_PREFIX_LEN != dst.len())
    {
        return false;
    }
    let Some((head, body)) = dst.split_at_mut_checked(RECORD_FIXED_LEN) else {
        return false;
    };
    let header = record_header(stamp, entry);
    if let Some(wire) = entry.wire {
        // Same bytes as the lengths and body below, in one copy.
        let (prefix, rest) = dst.split_at_mut(RECORD_PREFIX_LEN);
        prefix.copy_from_slice(&header[..RECORD_PREFIX_LEN]);
        rest.copy_from_slice(wire);
        return true;
    }
    head.copy_from_slice(&header);
    let Some((scope, rest)) = body.split_at_mut_checked(entry.scope.len()) else {
        return false;
    };
    let Some((message, fields)) = rest.split_at_mut_checked(entry.message.len()) else {
        return false;
    };
    scope.copy_from_slice(entry.scope);
    message.copy_from_slice(entry.message);
    fields.copy_from_slice(entry.fields);
    true
}

/// A record decoded from its encoding, borrowing the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// Position in the journal, from 1, without holes.
    pub record_id: u64,
    /// When the journal stored it (see the journal's clock rules).
    pub timestamp_nsec: u64,
    /// The origin, from the transport.
    pub service_id: ServiceId,
    /// The level.
    pub level: Level,
    /// The scope.
    pub scope: &'a [u8],
    /// The message.
    pub message: &'a [u8],
    /// The fields blob.
    pub fields: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// Decodes one record from the start of `bytes`; returns it and its length.
    pub fn decode(bytes: &'a [u8]) -> Result<(RecordView<'a>, usize), FrameError> {
        let mut r = Reader::new(bytes);
        let record_id = r.u64("record_id")?;
        let timestamp_nsec = r.u64("timestamp_nsec")?;
        let service_id = ServiceId(r.u64("service_id")?);
        let level_byte = r.u8("level")?;
        let scope_len = usize::from(r.u8("scope_len")?);
        let msg_len = usize::from(r.u16("msg_len")?);
        let fields_len = usize::from(r.u16("fields_len")?);
        check_len("scope", scope_len, MAX_SCOPE_LEN)?;
        check_len("message", msg_len, MAX_MESSAGE_LEN)?;
        check_len("fields", fields_len, MAX_FIELDS_LEN)?;
        let scope = r.take(scope_len, "scope")?;
        let message = r.take(msg_len, "message")?;
        let fields = r.take(fields_len, "fields")?;
        let level = Level::from_byte(level_byte).ok_or(FrameError::BadLevel(level_byte))?;
        Ok((
            RecordView {
                record_id,
                timestamp_nsec,
                service_id,
                level,
                scope,
                message,
                fields,
            },
            r.pos(),
        ))
    }

    /// The entry part (level, scope, message, fields).
    pub fn entry(&self) -> Entry<'a> {
        Entry {
            level: self.level,
            scope: self.scope,
            message: self.message,
            fields: self.fields,
            wire: None,
        }
    }

    /// Length of this record's encoding.
    pub fn encoded_len(&self) -> usize {
        self.entry().record_len()
    }

    /// An owned copy.
    pub fn to_record(&self) -> Record {
        Record {
            record_id: self.record_id,
            timestamp_nsec: self.timestamp_nsec,
            service_id: self.service_id,
            level: self.level,
            scope: self.scope.to_vec(),
            message: self.message.to_vec(),
            fields: self.fields.to_vec(),
        }
    }
}

/// An owned record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Position in the journal, from 1, without holes.
    pub record_id: u64,
    /// When the journal stored it.
    pub timestamp_nsec: u64,
    /// The origin, from the transport.
    pub service_id: ServiceId,
    /// The level.
    pub level: Level,
    /// The scope.
    pub scope: Vec<u8>,
    /// The message.
    pub message: Vec<u8>,
    /// The fields blob.
    pub fields: Vec<u8>,
}

impl Record {
    /// A borrowed view.
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            record_id: self.record_id,
            timestamp_nsec: self.timestamp_nsec,
            service_id: self.service_id,
            level: self.level,
            scope: &self.scope,
            message: &self.message,
            fields: &self.fields,
        }
    }
}
