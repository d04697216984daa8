//! The error type of the image core: each variant names the segment, range or manifest
//! field at fault.

use alloc::string::String;
use core::fmt;

use crate::SegmentName;

/// Why an image could not be planned, or a manifest, GPT or state header not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A segment name is not one of bootloader, kernel, initrd, rootfs, pkgfs, state.
    UnknownSegment,
    /// The board name is not lowercase `[a-z0-9-]`, 1 to 32 characters.
    InvalidBoard,
    /// The system version is not semver.
    InvalidSystemVersion,
    /// A segment is empty (a segment is either absent or has content).
    EmptySegment {
        /// The segment at fault.
        segment: SegmentName,
    },
    /// A segment is larger than the image format allows.
    SegmentTooLarge {
        /// The segment at fault.
        segment: SegmentName,
        /// Its size in bytes.
        size: u64,
        /// The largest size accepted.
        max: u64,
    },
    /// The profile requires a segment that was not given.
    MissingSegment {
        /// The segment required.
        segment: SegmentName,
    },
    /// No segment at all was given.
    NoSegments,
    /// The state partition size is out of bounds.
    StateSize {
        /// The size asked for.
        size: u64,
    },
    /// The image would exceed the largest image size.
    ImageTooLarge {
        /// Its size in bytes.
        size: u64,
    },
    /// The manifest is larger than [`crate::MAX_MANIFEST_LEN`].
    ManifestTooLarge {
        /// Its size in bytes.
        size: usize,
    },
    /// The manifest is not valid JSON of the expected shape.
    ManifestSyntax {
        /// What the JSON parser reported (line and column included).
        detail: String,
    },
    /// A manifest field has an invalid value.
    ManifestField {
        /// The field (JSON path) at fault.
        field: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A byte range of the manifest is invalid.
    ManifestRange {
        /// The range at fault.
        range: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// The GPT (or protective MBR) of an image is invalid.
    Gpt {
        /// What is wrong.
        what: &'static str,
    },
    /// The state partition header is invalid.
    StateHeader {
        /// What is wrong.
        what: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownSegment => f.write_str(
                "unknown segment name (expected bootloader, kernel, initrd, rootfs, pkgfs or state)",
            ),
            Error::InvalidBoard => {
                f.write_str("board: expected lowercase [a-z0-9-], 1 to 32 characters")
            }
            Error::InvalidSystemVersion => {
                f.write_str("system version: expected semver such as 1.2.3")
            }
            Error::EmptySegment { segment } => write!(f, "segment {segment}: file is empty"),
            Error::SegmentTooLarge { segment, size, max } => write!(
                f,
                "segment {segment}: {size} bytes is over the limit of {max} bytes"
            ),
            Error::MissingSegment { segment } => {
                write!(f, "segment {segment}: required by the release profile")
            }
            Error::NoSegments => f.write_str("no segment given: an image needs at least one"),
            Error::StateSize { size } => write!(
                f,
                "state size {size}: expected a multiple of 4096 between 64 KiB and 4 GiB"
            ),
            Error::ImageTooLarge { size } => write!(f, "image of {size} bytes is too large"),
            Error::ManifestTooLarge { size } => write!(
                f,
                "manifest: {size} bytes is over the limit of {} bytes",
                crate::MAX_MANIFEST_LEN
            ),
            Error::ManifestSyntax { detail } => write!(f, "manifest: {detail}"),
            Error::ManifestField { field, reason } => write!(f, "manifest field {field}: {reason}"),
            Error::ManifestRange { range, reason } => write!(f, "manifest range {range}: {reason}"),
            Error::Gpt { what } => write!(f, "partition table: {what}"),
            Error::StateHeader { what } => write!(f, "state header: {what}"),
        }
    }
}

impl core::error::Error for Error {}
