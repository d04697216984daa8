//! The store's errors: each names the path (or the part of the partition) and why.

use alloc::string::String;
use core::fmt;

use crate::DeviceError;

/// Why a store operation failed. Nothing was changed by a failed operation, except that a
/// failed write may leave the store's reserved temporary file, which the next write to
/// that directory replaces and which listings never show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The block device failed a request.
    Device {
        /// What was asked of it (`read`, `write`, `flush`).
        op: &'static str,
        /// Byte offset in the partition.
        offset: u64,
        /// The device's reason.
        reason: DeviceError,
    },
    /// The partition's header is not a valid state header.
    Header {
        /// What is wrong with it.
        what: &'static str,
    },
    /// The partition cannot hold a store of this geometry.
    Geometry {
        /// What does not fit.
        what: String,
    },
    /// The partition holds no store yet: a new image's state partition is its header and
    /// zeros until the device's first boot formats it.
    NotFormatted,
    /// A path the store does not accept.
    BadPath {
        /// The path as given (escaped).
        path: String,
        /// Why.
        why: &'static str,
    },
    /// Nothing at this path.
    NotFound {
        /// The path.
        path: String,
    },
    /// The path is a directory where a file was expected.
    IsDir {
        /// The path.
        path: String,
    },
    /// A component of the path is a file where a directory was expected.
    NotDir {
        /// The path.
        path: String,
    },
    /// The directory is not empty.
    NotEmpty {
        /// The path.
        path: String,
    },
    /// Something already exists at this path.
    Exists {
        /// The path.
        path: String,
    },
    /// The file is larger than the store reads or writes.
    TooLarge {
        /// The path.
        path: String,
        /// Its size in bytes.
        size: u64,
        /// The bound ([`crate::MAX_FILE`]).
        max: u64,
    },
    /// The store has no room for the file.
    NoSpace {
        /// The path.
        path: String,
    },
    /// littlefs found the store's metadata damaged.
    Corrupt {
        /// The path the operation was on (empty for the whole store).
        path: String,
    },
    /// Another littlefs error.
    Littlefs {
        /// The operation.
        op: &'static str,
        /// The path.
        path: String,
        /// littlefs's error code (negative errno).
        code: i32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Device { op, offset, reason } => {
                write!(f, "state partition: {op} at byte {offset} failed: {reason}")
            }
            Error::Header { what } => write!(f, "state partition header: {what}"),
            Error::Geometry { what } => write!(f, "state partition: {what}"),
            Error::NotFormatted => f.write_str(
                "state store not formatted yet (a new image's state partition is its header \
                 and zeros until the device's first boot formats it)",
            ),
            Error::BadPath { path, why } => write!(f, "state:/{path}: {why}"),
            Error::NotFound { path } => write!(f, "state:/{path}: no such file or directory"),
            Error::IsDir { path } => write!(f, "state:/{path}: is a directory"),
            Error::NotDir { path } => {
                write!(
                    f,
                    "state:/{path}: a component of the path is not a directory"
                )
            }
            Error::NotEmpty { path } => write!(f, "state:/{path}: directory not empty"),
            Error::Exists { path } => write!(f, "state:/{path}: already exists"),
            Error::TooLarge { path, size, max } => write!(
                f,
                "state:/{path}: {size} bytes is more than the store's file limit of {max} bytes"
            ),
            Error::NoSpace { path } => write!(f, "state:/{path}: no space left in the store"),
            Error::Corrupt { path } => write!(f, "state:/{path}: store metadata is corrupt"),
            Error::Littlefs { op, path, code } => {
                write!(f, "state:/{path}: {op} failed (littlefs error {code})")
            }
        }
    }
}

impl core::error::Error for Error {}
