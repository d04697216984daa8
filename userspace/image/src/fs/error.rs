//! Why a file operation on an image failed: each variant names the file (or, for the image
//! as a whole, the range or segment) at fault and says the cause once.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

use crate::Error;

/// Why a file operation on an image failed; each variant names the file or range.
#[derive(Debug)]
#[non_exhaustive]
pub enum FsError {
    /// The operating system reported an error for `path`.
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The image format rejected an input or the manifest.
    Image {
        /// The file at fault (a segment file or the manifest).
        path: PathBuf,
        /// What is wrong.
        source: Error,
    },
    /// A segment file changed size or content while the image was built.
    Changed {
        /// The segment file.
        path: PathBuf,
    },
    /// The profile forbids what was asked (unsigned release, test key in release, ...).
    Profile {
        /// What is wrong.
        reason: String,
    },
    /// The signature is missing, malformed or not made by a trusted key.
    Signature {
        /// The signature file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The image is shorter or longer than the manifest or its partition table says.
    Size {
        /// The image file.
        path: PathBuf,
        /// Bytes expected.
        expected: u64,
        /// Bytes found.
        found: u64,
        /// Where the expected size comes from.
        basis: SizeBasis,
    },
    /// A partition of the image's table is out of range.
    Partition {
        /// The image file.
        path: PathBuf,
        /// The partition's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An output path cannot be used (same as another output or an input, no such
    /// directory, a directory itself).
    Output {
        /// The output path as given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A byte range's SHA-256 differs from the manifest's.
    RangeMismatch {
        /// The range (segment or GPT region) that differs.
        range: String,
    },
    /// Every range matches but the whole image's SHA-256 differs (a gap is not zero).
    ImageMismatch,
    /// The manifest is for another board.
    WrongBoard {
        /// The board expected.
        expected: String,
        /// The board the manifest names.
        found: String,
    },
    /// A segment the manifest lists is not in the image's partition table, or the
    /// segment asked for is not in the image.
    MissingSegment {
        /// The segment.
        segment: String,
    },
    /// An output could not be written or an input read (see [`durable::Error`]).
    Durable(durable::Error),
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FsError::Image { path, source } => write!(f, "{}: {source}", path.display()),
            FsError::Changed { path } => {
                write!(f, "{}: changed while the image was being built", path.display())
            }
            FsError::Profile { reason } => f.write_str(reason),
            FsError::Signature { path, reason } => write!(f, "{}: {reason}", path.display()),
            FsError::Size {
                path,
                expected,
                found,
                basis,
            } => {
                let what = if found < expected { "truncated" } else { "too long" };
                write!(f, "{}: image {what}: {found} bytes, ", path.display())?;
                match basis {
                    SizeBasis::Manifest => write!(f, "manifest says {expected}"),
                    SizeBasis::ManifestRange(r) => {
                        write!(f, "the manifest's range {r} ends at byte {expected}")
                    }
                    SizeBasis::BackupHeader { past_end } => {
                        write!(
                            f,
                            "the partition table's backup GPT header ends at byte {expected}"
                        )?;
                        if !past_end.is_empty() {
                            write!(
                                f,
                                "; partitions past the end of the file: {}",
                                past_end.join(", ")
                            )?;
                        }
                        Ok(())
                    }
                    SizeBasis::Partition(p) => write!(
                        f,
                        "the partition table says partition {p} ends at byte {expected}"
                    ),
                }
            }
            FsError::Output { path, reason } => write!(f, "{}: {reason}", path.display()),
            FsError::Partition { path, name, reason } => {
                write!(f, "{}: partition {name}: {reason}", path.display())
            }
            FsError::RangeMismatch { range } => {
                write!(f, "segment {range}: SHA-256 does not match the manifest")
            }
            FsError::ImageMismatch => f.write_str(
                "image: every range matches but the whole-image SHA-256 does not (a gap is not zero)",
            ),
            FsError::WrongBoard { expected, found } => {
                write!(f, "manifest is for board {found}, expected {expected}")
            }
            FsError::MissingSegment { segment } => {
                write!(f, "segment {segment}: missing from the image")
            }
            FsError::Durable(e) => write!(f, "{e}"),
        }
    }
}

/// Where the size an image is expected to have comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeBasis {
    /// The manifest's image size.
    Manifest,
    /// The end of a range of the manifest.
    ManifestRange(String),
    /// The backup GPT header's LBA in the primary header (the disk's last sector).
    BackupHeader {
        /// The partitions that run past the end of the file.
        past_end: Vec<String>,
    },
    /// The end of a partition in the partition table.
    Partition(String),
}

// `Display` already includes the underlying error, so `source` is not given: a cause
// chain printer would otherwise print the cause twice.
impl std::error::Error for FsError {}

impl FsError {
    /// The file the error names, when it names one. Errors about the image as a whole (a
    /// range or the whole-image digest that differs, a segment missing from it, the
    /// manifest's board) or about the arguments (a profile rule) name none: the caller
    /// says which image or command they concern.
    pub fn path(&self) -> Option<&Path> {
        match self {
            FsError::Io { path, .. }
            | FsError::Image { path, .. }
            | FsError::Changed { path }
            | FsError::Signature { path, .. }
            | FsError::Size { path, .. }
            | FsError::Partition { path, .. }
            | FsError::Output { path, .. } => Some(path),
            FsError::Durable(e) => Some(e.path()),
            FsError::Profile { .. }
            | FsError::RangeMismatch { .. }
            | FsError::ImageMismatch
            | FsError::WrongBoard { .. }
            | FsError::MissingSegment { .. } => None,
        }
    }
}

impl From<durable::Error> for FsError {
    fn from(e: durable::Error) -> Self {
        match e {
            durable::Error::Io { path, cause } => FsError::Io {
                path,
                source: cause,
            },
            other => FsError::Durable(other),
        }
    }
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FsError + '_ {
    move |source| FsError::Io {
        path: path.to_path_buf(),
        source,
    }
}
