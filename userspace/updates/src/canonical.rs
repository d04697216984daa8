//! Cap'n Proto canonical form: encoding a built message to its canonical bytes, and
//! opening untrusted bytes as a bounded single-segment message.
//!
//! Canonical bytes are a single segment without the segment table (Cap'n Proto's
//! "canonicalization"). Readers decode into a domain type, re-encode it and compare, so
//! they accept exactly the bytes the writer produces for that content.

use alloc::vec::Vec;

use capnp::message::{self, HeapAllocator, ReaderOptions, SegmentArray};
use capnp::Word;

use crate::{Document, Error};

/// Canonical bytes of a built message.
pub(crate) fn encode(
    builder: message::Builder<HeapAllocator>,
    document: Document,
) -> Result<Vec<u8>, Error> {
    let words = builder
        .into_reader()
        .canonicalize()
        .map_err(|_| Error::Decode {
            document,
            field: "message",
        })?;
    Ok(Word::words_to_bytes(&words).to_vec())
}

/// Copies `bytes` (at most `limit` of them, a whole number of words) into an aligned
/// buffer and runs `read` on the single-segment message they hold.
pub(crate) fn decode<R>(
    bytes: &[u8],
    document: Document,
    limit: usize,
    read: impl FnOnce(&message::Reader<SegmentArray<'_>>) -> Result<R, Error>,
) -> Result<R, Error> {
    if bytes.len() > limit {
        return Err(Error::DocumentTooLarge {
            document,
            size: bytes.len() as u64,
            limit: limit as u64,
        });
    }
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
