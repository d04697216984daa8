//! Cap'n Proto canonical form: encoding a built message to its canonical bytes, and
//! opening untrusted bytes as a bounded single-segment message.
//!
//! Canonical bytes are a single segment without the segment table (Cap'n Proto's
//! "canonicalization"). Readers decode into a domain type, re-encode it and compare, so
//! they accept exactly the bytes the writer produces for that content.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use capnp::message::{self, HeapAllocator, ReaderOptions, SegmentArray};
use capnp::Word;
use signing::PublicKey;

use crate::{Document, Error};

/// Canonical bytes of a built message, which may be at most `limit` bytes long (the
/// bound its reader, [`decode`], enforces).
pub(crate) fn encode(
    builder: message::Builder<HeapAllocator>,
    document: Document,
    limit: usize,
) -> Result<Vec<u8>, Error> {
    let words = builder
        .into_reader()
        .canonicalize()
        .map_err(|_| Error::Decode {
            document,
            field: "message",
        })?;
    let bytes = Word::words_to_bytes(&words);
    check_len(bytes, document, limit)?;
    Ok(bytes.to_vec())
}

/// Refuses `bytes` longer than the document's bound `limit`.
fn check_len(bytes: &[u8], document: Document, limit: usize) -> Result<(), Error> {
    if bytes.len() > limit {
        return Err(Error::DocumentTooLarge {
            document,
            size: bytes.len() as u64,
            limit: limit as u64,
        });
    }
    Ok(())
}

/// Copies `bytes` (at most `limit` of them, a whole number of words) into an aligned
/// buffer and runs `read` on the single-segment message they hold.
pub(crate) fn decode<R>(
    bytes: &[u8],
    document: Document,
    limit: usize,
    read: impl FnOnce(&message::Reader<SegmentArray<'_>>) -> Result<R, Error>,
) -> Result<R, Error> {
    check_len(bytes, document, limit)?;
    if bytes.is_empty() || !bytes.len().is_multiple_of(8) {
        return Err(Error::Decode {
            document,
            field: "message",
        });
    }
    let mut words = Word::allocate_zeroed_vec(bytes.len() / 8);
    Word::words_to_bytes_mut(&mut words).copy_from_slice(bytes);
    let segments: [&[u8]; 1] = [Word::words_to_bytes(&words)];
    let options = ReaderOptions {
        traversal_limit_in_words: Some(words.len().saturating_mul(2).max(64)),
        nesting_limit: 8,
    };
    let message = message::Reader::new(SegmentArray::new(&segments), options);
    read(&message)
}

/// The text `field` of `document`, as an owned string; refused unless it is UTF-8.
pub(crate) fn text(
    field_reader: capnp::Result<capnp::text::Reader<'_>>,
    document: Document,
    field: &'static str,
) -> Result<String, Error> {
    field_reader
        .map_err(|_| Error::Decode { document, field })?
        .to_str()
        .map(ToString::to_string)
        .map_err(|_| Error::InvalidField {
            document,
            field,
            reason: "not UTF-8",
        })
}

/// The public key in the data `field` of `document`; refused unless it is 32 bytes of a
/// valid Ed25519 key.
pub(crate) fn public_key(
    field_reader: capnp::Result<capnp::data::Reader<'_>>,
    document: Document,
    field: &'static str,
) -> Result<PublicKey, Error> {
    let bytes = field_reader.map_err(|_| Error::Decode { document, field })?;
    PublicKey::from_slice(bytes).map_err(|_| Error::InvalidField {
        document,
        field,
        reason: "not a valid 32-byte Ed25519 public key",
    })
}
