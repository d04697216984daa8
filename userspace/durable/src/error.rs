//! Why durable output or a capped read failed. Every variant names the path the caller
//! gave (never a temporary file) and says the cause once: `Display` includes the cause and
//! `source()` stays empty, so an error-chain printer does not repeat it.

use std::io;
use std::path::{Path, PathBuf};

use crate::FileKind;

/// Why writing an output or reading an input failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system reported an error for `path`.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The output (or its directory, or the input) at fault.
        path: PathBuf,
        /// The underlying error (never naming a temporary file).
        cause: io::Error,
    },
    /// The file is larger than the caller's limit (checked before reading it).
    #[error("{}: {size} bytes is over the limit of {limit} bytes", path.display())]
    TooLarge {
        /// The file at fault.
        path: PathBuf,
        /// Its size (or the bytes read, when it grew while being read).
        size: u64,
        /// The limit in effect.
        limit: u64,
    },
    /// The output path names one of the inputs; nothing was written.
    #[error(
        "{}: the output path is also an input ({what} {}); writing it would replace that \
         input (choose another output path; nothing was written)",
        path.display(),
        input.display()
    )]
    OutputIsInput {
        /// The output path.
        path: PathBuf,
        /// What the input is (the option that named it, e.g. `--payload`).
        what: String,
        /// The input it would replace.
        input: PathBuf,
    },
    /// The output exists and is not a regular file; nothing was written.
    #[error(
        "{}: is {}, not a regular file; refusing to write over it (nothing was written)",
        path.display(),
        kind.with_article()
    )]
    NotARegularFile {
        /// The output path.
        path: PathBuf,
        /// What is there.
        kind: FileKind,
    },
    /// The output exists and the commit was asked not to replace anything
    /// ([`crate::Replace::Refuse`]); nothing of this commit is left in place.
    #[error("{}: already exists", path.display())]
    Exists {
        /// The output path.
        path: PathBuf,
    },
}

impl Error {
    /// A mapper from an I/O error to [`Error::Io`] naming `path`.
    pub fn io(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
        move |cause| Error::Io {
            path: path.to_path_buf(),
            cause,
        }
    }

    /// The path the error names.
    pub fn path(&self) -> &Path {
        match self {
            Error::Io { path, .. }
            | Error::TooLarge { path, .. }
            | Error::OutputIsInput { path, .. }
            | Error::NotARegularFile { path, .. }
            | Error::Exists { path } => path,
        }
    }

    /// Whether the error is the operating system's "no such file or directory".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { cause, .. } if cause.kind() == io::ErrorKind::NotFound)
    }
}
