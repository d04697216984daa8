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
    Level, Reader, ServiceId, Writer, MAX_FIELDS_LEN, MAX_MESSAGE_LEN, MAX_SCOPE_LEN,
    RECORD_FIXED_LEN,
};

/// One record as submitted by a producer; every part is within its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    level: Level,
    scope: &'a [u8],
    message: &'a [u8],
    fields: &'a [u8],
}

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
        })
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

/// Writes the record encoding of `entry` (exactly `entry.record_len()` bytes).
pub(crate) fn write_record(w: &mut Writer<'_>, stamp: &Stamp, entry: &Entry<'_>) {
    w.put(&stamp.record_id.to_le_bytes());
    w.put(&stamp.timestamp_nsec.to_le_bytes());
    w.put(&stamp.service_id.0.to_le_bytes());
    // The caps (64, 256, 512) make these conversions lossless.
    w.put(&[entry.level as u8, entry.scope.len() as u8]);
    w.put(&(entry.message.len() as u16).to_le_bytes());
    w.put(&(entry.fields.len() as u16).to_le_bytes());
    w.put(entry.scope);
    w.put(entry.message);
    w.put(entry.fields);
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
