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
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    level: Level,
    parts: Parts<'a>,
}

/// Where an entry's scope, message and fields are.
#[derive(Clone, Copy)]
enum Parts<'a> {
    /// Three slices, each within its cap.
    Split {
        scope: &'a [u8],
        message: &'a [u8],
        fields: &'a [u8],
    },
    /// An APPEND payload (level byte to the end) whose lengths [`Entry::from_wire`]
    /// checked: its bytes are exactly the record encoding after the 24-byte
    /// id/stamp/origin prefix, so storing it is one copy.
    Wire {
        payload: &'a [u8],
        scope_len: u8,
        msg_len: u16,
    },
}

/// Offset of the scope in an APPEND payload (after level, scope_len, msg_len, fields_len).
const WIRE_BODY_AT: usize = 6;

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Entry<'_>) -> bool {
        self.level == other.level
            && self.scope() == other.scope()
            && self.message() == other.message()
            && self.fields() == other.fields()
    }
}

impl Eq for Entry<'_> {}

impl core::fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Entry")
            .field("level", &self.level)
            .field("scope", &self.scope())
            .field("message", &self.message())
            .field("fields", &self.fields())
            .finish()
    }
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
            parts: Parts::Split {
                scope,
                message,
                fields,
            },
        })
    }

    /// The entry an APPEND payload (level byte to the end of the frame) holds, when the
    /// payload is valid: declared lengths within their caps and adding up to exactly the
    /// bytes that follow, and a known level. `None` otherwise (the request parser then
    /// names the defect). Reads each byte once and copies nothing.
    #[inline]
    pub(crate) fn from_wire(payload: &'a [u8]) -> Option<Entry<'a>> {
        let [level_byte, scope_len, m0, m1, f0, f1, body @ ..] = payload else {
            return None;
        };
        let msg_len = u16::from_le_bytes([*m0, *m1]);
        let fields_len = usize::from(u16::from_le_bytes([*f0, *f1]));
        let (s, m) = (usize::from(*scope_len), usize::from(msg_len));
        if s > MAX_SCOPE_LEN
            || m > MAX_MESSAGE_LEN
            || fields_len > MAX_FIELDS_LEN
            || body.len() != s + m + fields_len
        {
            return None;
        }
        Some(Entry {
            level: Level::from_byte(*level_byte)?,
            parts: Parts::Wire {
                payload,
                scope_len: *scope_len,
                msg_len,
            },
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
            parts: Parts::Split {
                scope: scope.get(..MAX_SCOPE_LEN).unwrap_or(scope),
                message: message.get(..MAX_MESSAGE_LEN).unwrap_or(message),
                fields: fields.get(..MAX_FIELDS_LEN).unwrap_or(fields),
            },
        }
    }

    /// The level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The scope (producer-chosen, not an identity).
    pub fn scope(&self) -> &'a [u8] {
        match self.parts {
            Parts::Split { scope, .. } => scope,
            Parts::Wire {
                payload, scope_len, ..
            } => payload
                .get(WIRE_BODY_AT..WIRE_BODY_AT + usize::from(scope_len))
                .unwrap_or(&[]),
        }
    }

    /// The message.
    pub fn message(&self) -> &'a [u8] {
        match self.parts {
            Parts::Split { message, .. } => message,
            Parts::Wire {
                payload,
                scope_len,
                msg_len,
            } => {
                let at = WIRE_BODY_AT + usize::from(scope_len);
                payload.get(at..at + usize::from(msg_len)).unwrap_or(&[])
            }
        }
    }

    /// The opaque fields blob.
    pub fn fields(&self) -> &'a [u8] {
        match self.parts {
            Parts::Split { fields, .. } => fields,
            Parts::Wire {
                payload,
                scope_len,
                msg_len,
            } => payload
                .get(WIRE_BODY_AT + usize::from(scope_len) + usize::from(msg_len)..)
                .unwrap_or(&[]),
        }
    }

    /// The APPEND payload this entry was parsed from, if it was (see [`write_wire`]).
    #[inline]
    pub(crate) fn wire_payload(&self) -> Option<&'a [u8]> {
        match self.parts {
            Parts::Wire { payload, .. } => Some(payload),
            Parts::Split { .. } => None,
        }
    }

    /// Size of this entry once stored: the record encoding's length, which is what the
    /// journal's byte capacity counts.
    #[inline]
    pub fn record_len(&self) -> usize {
        match self.parts {
            Parts::Split {
                scope,
                message,
                fields,
            } => RECORD_FIXED_LEN + scope.len() + message.len() + fields.len(),
            Parts::Wire { payload, .. } => RECORD_PREFIX_LEN + payload.len(),
        }
    }
}

pub(crate) fn check_len(field: &'static str, len: usize, max: usize) -> Result<(), FrameError> {
    if len > max {
        Err(FrameError::TooLarge { field, len, max })
    } else {
        Ok(())
    }
}

/// The head of an entry on the wire, in a record and in an APPEND payload alike: the
/// level byte and the scope, message and fields lengths, each length within its cap.
pub(crate) struct EntryHead {
    level_byte: u8,
    scope_len: usize,
    msg_len: usize,
    fields_len: usize,
}

impl EntryHead {
    /// Reads the head at `r`'s position and checks each length against its cap.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<EntryHead, FrameError> {
        let level_byte = r.u8("level")?;
        let scope_len = usize::from(r.u8("scope_len")?);
        let msg_len = usize::from(r.u16("msg_len")?);
        let fields_len = usize::from(r.u16("fields_len")?);
        check_len("scope", scope_len, MAX_SCOPE_LEN)?;
        check_len("message", msg_len, MAX_MESSAGE_LEN)?;
        check_len("fields", fields_len, MAX_FIELDS_LEN)?;
        Ok(EntryHead {
            level_byte,
            scope_len,
            msg_len,
            fields_len,
        })
    }

    /// The bytes of the scope, message and fields together.
    pub(crate) fn body_len(&self) -> usize {
        self.scope_len + self.msg_len + self.fields_len
    }

    /// Reads the scope, message and fields the head announces, then checks the level.
    pub(crate) fn body<'a>(&self, r: &mut Reader<'a>) -> Result<EntryBody<'a>, FrameError> {
        let scope = r.take(self.scope_len, "scope")?;
        let message = r.take(self.msg_len, "message")?;
        let fields = r.take(self.fields_len, "fields")?;
        let level =
            Level::from_byte(self.level_byte).ok_or(FrameError::BadLevel(self.level_byte))?;
        Ok(EntryBody {
            level,
            scope,
            message,
            fields,
        })
    }
}

/// An entry's parts as read after its [`EntryHead`], each within its cap.
pub(crate) struct EntryBody<'a> {
    pub(crate) level: Level,
    pub(crate) scope: &'a [u8],
    pub(crate) message: &'a [u8],
    pub(crate) fields: &'a [u8],
}

/// The identity and time the journal gives an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) record_id: u64,
    pub(crate) timestamp_nsec: u64,
    pub(crate) service_id: ServiceId,
}

/// Length of the record prefix that is not in an APPEND payload: id, stamp, origin.
pub(crate) const RECORD_PREFIX_LEN: usize = 24;

/// The 24-byte prefix every record starts with: id, stamp, origin.
#[inline]
fn record_prefix(stamp: &Stamp) -> [u8; RECORD_PREFIX_LEN] {
    let mut h = [0u8; RECORD_PREFIX_LEN];
    h[0..8].copy_from_slice(&stamp.record_id.to_le_bytes());
    h[8..16].copy_from_slice(&stamp.timestamp_nsec.to_le_bytes());
    h[16..24].copy_from_slice(&stamp.service_id.0.to_le_bytes());
    h
}

/// Writes a record whose entry is a checked APPEND payload (level byte to the end, see
/// [`Entry::from_wire`]) into `dst`, which must be exactly 24 bytes longer: the prefix, then
/// the payload in one copy (it holds lengths, scope, message and fields in record order).
/// Returns false (writing nothing) on a length mismatch.
#[inline]
pub(crate) fn write_wire(dst: &mut [u8], stamp: &Stamp, payload: &[u8]) -> bool {
    let Some((prefix, rest)) = dst.split_first_chunk_mut::<RECORD_PREFIX_LEN>() else {
        return false;
    };
    if rest.len() != payload.len() {
        return false;
    }
    *prefix = record_prefix(stamp);
    copy_short(rest, payload);
    true
}

/// Copies `src` into `dst` (same length). Slices of 4 to 64 bytes (a log line's payload,
/// a scope) are copied as two overlapping fixed-size windows, inline (what `memcpy` does
/// for these sizes, without the call); other lengths go to `copy_from_slice`.
#[inline]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    if dst.len() != src.len() {
        return;
    }
    if copy_windows::<32>(dst, src)
        || copy_windows::<16>(dst, src)
        || copy_windows::<8>(dst, src)
        || copy_windows::<4>(dst, src)
    {
        return;
    }
    dst.copy_from_slice(src);
}

/// Copies `src` into `dst` as its first and last `N` bytes, when `N <= len <= 2N`.
#[inline]
fn copy_windows<const N: usize>(dst: &mut [u8], src: &[u8]) -> bool {
    if src.len() > 2 * N {
        return false;
    }
    let (Some(head), Some(tail)) = (src.first_chunk::<N>(), src.last_chunk::<N>()) else {
        return false;
    };
    let (head, tail) = (*head, *tail);
    if let Some(d) = dst.first_chunk_mut::<N>() {
        *d = head;
    }
    if let Some(d) = dst.last_chunk_mut::<N>() {
        *d = tail;
    }
    true
}

/// Writes the record encoding of `entry` into `dst`, which must be exactly
/// `entry.record_len()` bytes long; returns false (writing nothing) otherwise.
#[inline]
pub(crate) fn write_record(dst: &mut [u8], stamp: &Stamp, entry: &Entry<'_>) -> bool {
    let (scope, message, fields) = match entry.parts {
        Parts::Wire { payload, .. } => return write_wire(dst, stamp, payload),
        Parts::Split {
            scope,
            message,
            fields,
        } => (scope, message, fields),
    };
    let Some((prefix, rest)) = dst.split_first_chunk_mut::<RECORD_PREFIX_LEN>() else {
        return false;
    };
    let Some((lengths, body)) = rest.split_first_chunk_mut::<WIRE_BODY_AT>() else {
        return false;
    };
    let Some((scope_dst, body)) = body.split_at_mut_checked(scope.len()) else {
        return false;
    };
    let Some((message_dst, fields_dst)) = body.split_at_mut_checked(message.len()) else {
        return false;
    };
    if fields_dst.len() != fields.len() {
        return false;
    }
    *prefix = record_prefix(stamp);
    // The caps (64, 256, 512) make these conversions lossless.
    let [m0, m1] = (message.len() as u16).to_le_bytes();
    let [f0, f1] = (fields.len() as u16).to_le_bytes();
    *lengths = [entry.level as u8, scope.len() as u8, m0, m1, f0, f1];
    copy_short(scope_dst, scope);
    copy_short(message_dst, message);
    copy_short(fields_dst, fields);
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
        let EntryBody {
            level,
            scope,
            message,
            fields,
        } = EntryHead::read(&mut r)?.body(&mut r)?;
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
            parts: Parts::Split {
                scope: self.scope,
                message: self.message,
                fields: self.fields,
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_copies_copy_every_length_exactly() {
        let src: Vec<u8> = (0..=255u8).collect();
        for len in 0..=200 {
            let mut dst = alloc::vec![0xAAu8; len];
            copy_short(&mut dst, &src[..len]);
            assert_eq!(dst, &src[..len], "length {len}");
        }
        // Unequal lengths copy nothing.
        let mut dst = [0u8; 4];
        copy_short(&mut dst, &src[..5]);
        assert_eq!(dst, [0; 4]);
    }
}
