//! The error type of the `updates` core. Every variant names the archive entry, schema
//! field or state at fault, so a refused bundle or system-set says exactly why.

use alloc::string::String;
use core::fmt;

use crate::bootctl::Phase;

/// Which Cap'n Proto document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// A bundle manifest (`manifest.nxb`).
    Manifest,
    /// A system-set index (`system.nxsindex`).
    Index,
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Document::Manifest => "manifest.nxb",
            Document::Index => "system.nxsindex",
        })
    }
}

/// Why a bundle, a system-set or a BootCtrl operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // --- archive framing (canonical ustar) -------------------------------------------
    /// The archive is larger than the configured bound (checked before reading it).
    ArchiveTooLarge {
        /// Size of the archive, or the bytes seen so far when streaming.
        size: u64,
        /// The bound in effect.
        limit: u64,
    },
    /// The archive ends inside an entry, a header, or before its two end blocks.
    Truncated {
        /// The entry being read when the input ended (`"end blocks"` after the last one).
        entry: String,
        /// Bytes read in total.
        offset: u64,
    },
    /// A header block's checksum does not match its bytes.
    HeaderChecksum {
        /// Byte offset of the header block.
        offset: u64,
    },
    /// A header's name field is not a NUL-terminated UTF-8 name.
    EntryName {
        /// Byte offset of the header block.
        offset: u64,
    },
    /// An entry name is absolute, contains a path separator or `..`, or starts with a dot.
    PathTraversal {
        /// The entry name.
        entry: String,
    },
    /// A symbolic or hard link entry.
    LinkEntry {
        /// The entry name.
        entry: String,
    },
    /// A character device, block device or FIFO entry.
    DeviceEntry {
        /// The entry name.
        entry: String,
    },
    /// Any other entry type than a regular file (directory, GNU or pax extension, ...).
    UnsupportedEntryType {
        /// The entry name.
        entry: String,
        /// The header's type flag byte.
        typeflag: u8,
    },
    /// A header differs from the one the canonical writer produces for the same entry.
    NonCanonicalHeader {
        /// The entry name.
        entry: String,
        /// The ustar header field that differs (`"mode"`, `"mtime"`, `"uname"`, ...).
        field: &'static str,
    },
    /// The padding after an entry's data is not all zero.
    NonZeroPadding {
        /// The entry name.
        entry: String,
    },
    /// The second end-of-archive block is not all zero.
    BadEndBlock {
        /// Byte offset of the block.
        offset: u64,
    },
    /// Bytes follow the two end-of-archive blocks.
    TrailingData {
        /// Byte offset of the first extra byte.
        offset: u64,
    },
    /// An entry is larger than its bound.
    EntryTooLarge {
        /// The entry name.
        entry: String,
        /// Its declared size.
        size: u64,
        /// The bound in effect.
        limit: u64,
    },
    /// An entry appears where another one is required.
    UnexpectedEntry {
        /// The entry required at this position.
        expected: &'static str,
        /// The entry found (`"end of archive"` when there is none).
        found: String,
    },

    // --- signatures and trust ---------------------------------------------------------
    /// The system-set has no `system.sig.ed25519` after its index.
    MissingSignature {
        /// What follows the index instead.
        found: String,
    },
    /// A signature or key is malformed, or no trusted key verifies it.
    Signature {
        /// The entry or field holding the signature.
        entry: &'static str,
        /// What is wrong.
        source: signing::Error,
    },
    /// The `publisher` field does not name the trusted key that made the signature.
    PublisherMismatch {
        /// The document whose `publisher` field is at fault.
        document: Document,
    },

    // --- documents ----------------------------------------------------------------------
    /// A Cap'n Proto document could not be decoded.
    Decode {
        /// The document.
        document: Document,
        /// The field being read, or `"message"` for the framing.
        field: &'static str,
    },
    /// A field of a document has an invalid value.
    InvalidField {
        /// The document.
        document: Document,
        /// The field at fault.
        field: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A document's bytes are not the canonical encoding of its content.
    NotCanonical {
        /// The document.
        document: Document,
    },
    /// A document is larger than its bound.
    DocumentTooLarge {
        /// The document.
        document: Document,
        /// Its size.
        size: u64,
        /// The bound in effect.
        limit: u64,
    },

    // --- system-set content ---------------------------------------------------------------
    /// The system-set is built for another board.
    WrongBoard {
        /// The board of the running system.
        expected: String,
        /// The board the system-set names.
        found: String,
    },
    /// The system-set's version is lower than the running one and downgrades are not
    /// allowed.
    Downgrade {
        /// Version of the running system.
        running: String,
        /// Version of the system-set.
        candidate: String,
    },
    /// A bundle member appears twice.
    DuplicateEntry {
        /// The entry name.
        entry: String,
    },
    /// A bundle member the index does not list.
    UnlistedEntry {
        /// The entry name.
        entry: String,
    },
    /// A bundle the index lists has no member in the archive.
    MissingBundle {
        /// The bundle name.
        bundle: String,
    },
    /// A listed bundle's member comes where the index lists another bundle next: the
    /// members are out of order, or the one expected is missing.
    OutOfOrder {
        /// The member found.
        entry: String,
        /// The bundle the index lists next.
        expected: String,
    },
    /// A member's size differs from the index's.
    SizeMismatch {
        /// The entry name.
        entry: String,
        /// Size in the index.
        listed: u64,
        /// Size in the archive.
        found: u64,
    },
    /// A member's SHA-256 differs from the index's.
    DigestMismatch {
        /// The entry name.
        entry: String,
    },

    // --- bundles ------------------------------------------------------------------------
    /// A bundle's payload differs from its manifest's `payloadDigest`.
    PayloadDigestMismatch {
        /// The bundle name.
        bundle: String,
    },
    /// A bundle's payload length differs from its manifest's `payloadSize`.
    PayloadSizeMismatch {
        /// The bundle name.
        bundle: String,
        /// Size in the manifest.
        listed: u64,
        /// Size of the payload.
        found: u64,
    },

    // --- BootCtrl -----------------------------------------------------------------------
    /// A BootCtrl operation is not valid in the current phase.
    InvalidTransition {
        /// The operation (`"stage"`, `"switch"`, `"commit_health"`, `"rollback"`).
        operation: &'static str,
        /// The phase BootCtrl was in.
        phase: Phase,
    },
    /// The slot does not exist (only `a` and `b` do).
    InvalidSlot {
        /// The raw slot number.
        slot: u8,
    },
    /// A tries count outside `1..=MAX_TRIES`.
    InvalidTries {
        /// The value given.
        tries: u8,
    },
    /// Neither copy of the persistent BootCtrl record is valid.
    NoValidBootRecord,
    /// A persistent BootCtrl record copy is malformed.
    BootRecord {
        /// The field at fault.
        field: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ArchiveTooLarge { size, limit } => write!(
                f,
                "archive too large: {size} bytes exceeds the bound of {limit}"
            ),
            Error::Truncated { entry, offset } => {
                write!(f, "truncated archive: input ends at byte {offset} in {entry}")
            }
            Error::HeaderChecksum { offset } => {
                write!(f, "bad header checksum in the header at byte {offset}")
            }
            Error::EntryName { offset } => write!(
                f,
                "the header at byte {offset} has no NUL-terminated UTF-8 name"
            ),
            Error::PathTraversal { entry } => write!(
                f,
                "entry {entry:?}: path traversal (names must be plain file names)"
            ),
            Error::LinkEntry { entry } => write!(f, "entry {entry:?}: links are not allowed"),
            Error::DeviceEntry { entry } => {
                write!(f, "entry {entry:?}: device and FIFO entries are not allowed")
            }
            Error::UnsupportedEntryType { entry, typeflag } => write!(
                f,
                "entry {entry:?}: type {:?} is not a regular file",
                char::from(*typeflag)
            ),
            Error::NonCanonicalHeader { entry, field } => write!(
                f,
                "entry {entry:?}: header field {field} is not the canonical value"
            ),
            Error::NonZeroPadding { entry } => {
                write!(f, "entry {entry:?}: padding after the data is not zero")
            }
            Error::BadEndBlock { offset } => {
                write!(f, "the end-of-archive block at byte {offset} is not zero")
            }
            Error::TrailingData { offset } => {
                write!(f, "data after the end of the archive at byte {offset}")
            }
            Error::EntryTooLarge { entry, size, limit } => write!(
                f,
                "entry {entry:?}: {size} bytes exceeds the bound of {limit}"
            ),
            Error::UnexpectedEntry { expected, found } => {
                write!(f, "expected entry {expected:?}, found {found:?}")
            }
            Error::MissingSignature { found } => write!(
                f,
                "unsigned system-set: no system.sig.ed25519 after the index (found {found:?})"
            ),
            Error::Signature { entry, source } => write!(f, "{entry}: {source}"),
            Error::PublisherMismatch { document } => write!(
                f,
                "{document}: field publisher is not the key that made the signature"
            ),
            Error::Decode { document, field } => {
                write!(f, "{document}: cannot decode field {field}")
            }
            Error::InvalidField {
                document,
                field,
                reason,
            } => write!(f, "{document}: field {field}: {reason}"),
            Error::NotCanonical { document } => {
                write!(f, "{document}: not the canonical encoding of its content")
            }
            Error::DocumentTooLarge {
                document,
                size,
                limit,
            } => write!(
                f,
                "{document}: {size} bytes exceeds the bound of {limit}"
            ),
            Error::WrongBoard { expected, found } => write!(
                f,
                "system.nxsindex: built for board {found:?}, this system is {expected:?}"
            ),
            Error::Downgrade { running, candidate } => write!(
                f,
                "system.nxsindex: version {candidate} is older than the running {running} \
                 (downgrade not allowed)"
            ),
            Error::DuplicateEntry { entry } => write!(f, "entry {entry:?}: appears twice"),
            Error::UnlistedEntry { entry } => {
                write!(f, "entry {entry:?}: not listed in system.nxsindex")
            }
            Error::OutOfOrder { entry, expected } => write!(
                f,
                "entry {entry:?}: found where system.nxsindex lists bundle {expected:?} next \
                 (bundles must follow the index's order)"
            ),
            Error::MissingBundle { bundle } => write!(
                f,
                "bundle {bundle:?}: listed in system.nxsindex but not in the archive"
            ),
            Error::SizeMismatch {
                entry,
                listed,
                found,
            } => write!(
                f,
                "entry {entry:?}: {found} bytes, system.nxsindex lists {listed}"
            ),
            Error::DigestMismatch { entry } => write!(
                f,
                "entry {entry:?}: SHA-256 differs from system.nxsindex"
            ),
            Error::PayloadDigestMismatch { bundle } => write!(
                f,
                "bundle {bundle:?}: payload SHA-256 differs from manifest field payloadDigest"
            ),
            Error::PayloadSizeMismatch {
                bundle,
                listed,
                found,
            } => write!(
                f,
                "bundle {bundle:?}: payload is {found} bytes, manifest field payloadSize is {listed}"
            ),
            Error::InvalidTransition { operation, phase } => {
                write!(f, "bootctl: {operation} is not valid while {phase}")
            }
            Error::InvalidSlot { slot } => write!(f, "bootctl: slot {slot} does not exist"),
            Error::InvalidTries { tries } => write!(
                f,
                "bootctl: tries must be 1..={}, got {tries}",
                crate::bootctl::MAX_TRIES
            ),
            Error::NoValidBootRecord => {
                f.write_str("bootctl record: neither copy is valid")
            }
            Error::BootRecord { field } => write!(f, "bootctl record: invalid field {field}"),
        }
    }
}

// Display already includes a wrapped signing error; `source` stays empty to keep
// error chains from printing it twice.
impl core::error::Error for Error {}
