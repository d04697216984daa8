//! Error types of the no_std core. Each variant names the frame field, offset or setting at
//! fault; [`FrameError::status`] maps a request defect to the wire status that answers it.

use core::fmt;

use crate::wire::Status;

/// A defect in a request or response frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The frame ends inside `field`, which starts at byte `offset`.
    Truncated {
        /// The field that is cut short.
        field: &'static str,
        /// Offset of that field in the frame (or record).
        offset: usize,
    },
    /// The frame does not start with `L` `O`.
    BadMagic,
    /// The version byte is not 1.
    UnsupportedVersion(u8),
    /// The opcode byte names no v1 operation (or is a response opcode).
    UnsupportedOp(u8),
    /// A declared length, or the frame itself, is over its cap.
    TooLarge {
        /// The field whose length is over the cap (`frame` for the whole frame).
        field: &'static str,
        /// The length found.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The frame has `actual` bytes where its lengths say `expected`.
    LengthMismatch {
        /// The length the header fields add up to.
        expected: usize,
        /// The frame's length.
        actual: usize,
    },
    /// The level byte is not 1 to 5.
    BadLevel(u8),
    /// A QUERY asked for more than 16 records.
    CountTooLarge(u16),
    /// A response's opcode is not the response to the expected request.
    UnexpectedOp {
        /// The response opcode expected.
        expected: u8,
        /// The opcode found.
        found: u8,
    },
    /// A response's status byte names no v1 status.
    UnknownStatus(u8),
}

impl FrameError {
    /// The status a server answers this request defect with.
    pub fn status(&self) -> Status {
        match self {
            FrameError::UnsupportedVersion(_) | FrameError::UnsupportedOp(_) => Status::Unsupported,
            FrameError::TooLarge { .. } | FrameError::CountTooLarge(_) => Status::TooLarge,
            FrameError::Truncated { .. }
            | FrameError::BadMagic
            | FrameError::LengthMismatch { .. }
            | FrameError::BadLevel(_)
            | FrameError::UnexpectedOp { .. }
            | FrameError::UnknownStatus(_) => Status::Malformed,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated { field, offset } => {
                write!(f, "frame truncated in {field} at byte {offset}")
            }
            FrameError::BadMagic => f.write_str("frame does not start with magic \"LO\""),
            FrameError::UnsupportedVersion(v) => write!(f, "unsupported frame version {v}"),
            FrameError::UnsupportedOp(op) => write!(f, "unsupported opcode {op:#04x}"),
            FrameError::TooLarge { field, len, max } => {
                write!(f, "{field} is {len} bytes, over the cap of {max}")
            }
            FrameError::LengthMismatch { expected, actual } => write!(
                f,
                "frame is {actual} bytes but its lengths add up to {expected}"
            ),
            FrameError::BadLevel(l) => write!(f, "level {l} is not 1 (error) to 5 (trace)"),
            FrameError::CountTooLarge(n) => write!(f, "max_count {n} is over the cap of 16"),
            FrameError::UnexpectedOp { expected, found } => write!(
                f,
                "response opcode {found:#04x} does not answer the request (expected {expected:#04x})"
            ),
            FrameError::UnknownStatus(s) => write!(f, "unknown status byte {s}"),
        }
    }
}

impl core::error::Error for FrameError {}

/// A journal capacity that cannot be honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// `capacity_records` is 0.
    NoRecords,
    /// `capacity_bytes` cannot hold one record of the largest size.
    BytesTooSmall {
        /// The capacity asked for.
        capacity_bytes: u32,
        /// The smallest capacity allowed (the largest encoded record, 862 bytes).
        min: u32,
    },
    /// The journal's storage could not be allocated.
    OutOfMemory {
        /// Bytes asked of the allocator.
        bytes: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoRecords => f.write_str("capacity_records must be at least 1"),
            ConfigError::BytesTooSmall {
                capacity_bytes,
                min,
            } => write!(
                f,
                "capacity_bytes {capacity_bytes} cannot hold the largest record ({min} bytes)"
            ),
            ConfigError::OutOfMemory { bytes } => {
                write!(f, "cannot allocate {bytes} bytes for the journal")
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// A `fields` blob or pair that breaks the `key=value` convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldsError {
    /// A key is empty.
    EmptyKey {
        /// Index of the pair (0-based, in line order when parsing).
        pair: usize,
    },
    /// A key holds a byte outside `[a-z0-9_.-]`.
    BadKeyByte {
        /// Index of the pair.
        pair: usize,
        /// The offending byte.
        byte: u8,
    },
    /// A value holds a newline.
    NewlineInValue {
        /// Index of the pair.
        pair: usize,
    },
    /// A key appears twice.
    DuplicateKey {
        /// Index of the second occurrence.
        pair: usize,
    },
    /// A line has no `=`.
    MissingEquals {
        /// Index of the line.
        pair: usize,
    },
    /// The blob is not UTF-8.
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The encoded pairs are over the 512-byte fields cap.
    TooLarge {
        /// Encoded length.
        len: usize,
    },
}

impl fmt::Display for FieldsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldsError::EmptyKey { pair } => write!(f, "field {pair}: empty key"),
            FieldsError::BadKeyByte { pair, byte } => write!(
                f,
                "field {pair}: key byte {byte:#04x} is not one of [a-z0-9_.-]"
            ),
            FieldsError::NewlineInValue { pair } => {
                write!(f, "field {pair}: value contains a newline")
            }
            FieldsError::DuplicateKey { pair } => write!(f, "field {pair}: duplicate key"),
            FieldsError::MissingEquals { pair } => write!(f, "field {pair}: no '=' in line"),
            FieldsError::NotUtf8 { offset } => {
                write!(f, "fields are not UTF-8 (byte {offset})")
            }
            FieldsError::TooLarge { len } => {
                write!(f, "fields are {len} bytes, over the cap of 512")
            }
        }
    }
}

impl core::error::Error for FieldsError {}
