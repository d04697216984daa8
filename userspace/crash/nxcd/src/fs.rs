//! I/O adapters (feature `std`): reading and writing dump files (capped reads and atomic,
//! durable writes through the `durable` crate) and the `.nxcd.zst` wrapper.
//!
//! A `.nxcd.zst` file is one or more zstd frames whose decompressed content is exactly
//! one `.nxcd` file. Decompression streams with a hard output cap (the total size bound)
//! and fails as soon as the cap is exceeded, so a decompression bomb is never buffered.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;
use std::vec::Vec;

use crate::{Dump, Error, Limits};

/// The four magic bytes that open a zstd frame.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// The zstd compression level the writer uses (the level is not part of the format).
pub const ZSTD_LEVEL: i32 = 19;
/// The largest zstd window the reader accepts, as a power of two (8 MiB, the default
/// total size bound).
pub const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// Why a dump file could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// The operating system reported an error.
    Io(io::Error),
    /// The file is larger than the bound allows (checked before reading it).
    TooLarge {
        /// Size of the file.
        size: u64,
        /// The bound in effect.
        limit: u64,
    },
    /// The `.zst` wrapper is not valid zstd data.
    Decompress(io::Error),
    /// The decompressed content would exceed the bound; decompression was stopped there.
    DecompressedTooLarge {
        /// The bound in effect.
        limit: u64,
    },
    /// The content is not a valid `.nxcd` file.
    Format(Error),
    /// The dump file could not be written, or refused as an output (see
    /// [`durable::Error`]; the error names it).
    Durable(durable::Error),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io(e) => write!(f, "{e}"),
            FileError::TooLarge { size, limit } => {
                write!(
                    f,
                    "file too large: {size} bytes exceeds the bound of {limit}"
                )
            }
            FileError::Decompress(e) => write!(f, "invalid zstd data: {e}"),
            FileError::DecompressedTooLarge { limit } => write!(
                f,
                "decompressed content exceeds the bound of {limit} bytes (decompression stopped)"
            ),
            FileError::Format(e) => write!(f, "{e}"),
            FileError::Durable(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Io(e) | FileError::Decompress(e) => Some(e),
            FileError::Format(e) => Some(e),
            FileError::TooLarge { .. }
            | FileError::DecompressedTooLarge { .. }
            | FileError::Durable(_) => None,
        }
    }
}

impl From<io::Error> for FileError {
    fn from(e: io::Error) -> Self {
        FileError::Io(e)
    }
}

impl From<Error> for FileError {
    fn from(e: Error) -> Self {
        FileError::Format(e)
    }
}

/// Compresses `.nxcd` bytes into the `.nxcd.zst` wrapper (deterministic for a given
/// zstd library version).
pub fn compress(nxcd: &[u8]) -> Result<Vec<u8>, FileError> {
    zstd::bulk::compress(nxcd, ZSTD_LEVEL).map_err(FileError::Io)
}

/// Decompresses a `.nxcd.zst` wrapper, producing at most `max_out` bytes.
pub fn decompress(zst: &[u8], max_out: u64) -> Result<Vec<u8>, FileError> {
    let mut decoder =
        zstd::stream::read::Decoder::with_buffer(zst).map_err(FileError::Decompress)?;
    decoder
        .window_log_max(ZSTD_WINDOW_LOG_MAX)
        .map_err(FileError::Decompress)?;
    let mut out = Vec::new();
    decoder
        .take(max_out.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(FileError::Decompress)?;
    if out.len() as u64 > max_out {
        return Err(FileError::DecompressedTooLarge { limit: max_out });
    }
    Ok(out)
}

/// Whether `bytes` start like a zstd frame.
pub fn is_zstd(bytes: &[u8]) -> bool {
    bytes.starts_with(&ZSTD_MAGIC)
}

/// Reads a file of at most `limit` bytes (the size checked before reading); a read error
/// is [`FileError::Io`], for the caller to name the file.
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    durable::read_capped(path, limit).map_err(|e| match e {
        durable::Error::TooLarge { size, limit, .. } => FileError::TooLarge { size, limit },
        durable::Error::Io { cause, .. } => FileError::Io(cause),
        other => FileError::Durable(other),
    })
}

/// Reads the `.nxcd` bytes of a dump file, decompressing it when it is a `.nxcd.zst`
/// (recognized by the zstd magic, whatever the file name).
pub fn read_dump_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>, FileError> {
    unwrap_dump_bytes(read_capped(path, limits.max_total)?, limits)
}

/// The `.nxcd` bytes of a dump file's contents (`raw`, read from wherever the file is,
/// such as the device's state store), decompressing a `.nxcd.zst`.
pub fn unwrap_dump_bytes(raw: Vec<u8>, limits: &Limits) -> Result<Vec<u8>, FileError> {
    if raw.len() as u64 > limits.max_total {
        return Err(FileError::TooLarge {
            size: raw.len() as u64,
            limit: limits.max_total,
        });
    }
    if is_zstd(&raw) {
        decompress(&raw, limits.max_total)
    } else {
        Ok(raw)
    }
}

/// Reads and decodes a `.nxcd` or `.nxcd.zst` file.
pub fn read_dump(path: &Path, limits: &Limits) -> Result<Dump, FileError> {
    let bytes = read_dump_bytes(path, limits)?;
    Ok(Dump::decode_with_limits(&bytes, limits)?)
}

/// Whether `path`'s name ends in `.zst`.
pub fn is_zst_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

/// Encodes `dump` and writes it atomically and durably ([`durable::write_atomic`]),
/// compressed when `path` ends in `.zst`. A failed write names `path`.
pub fn write_dump(path: &Path, dump: &Dump) -> Result<(), FileError> {
    let bytes = dump.encode()?;
    let bytes = if is_zst_path(path) {
        compress(&bytes)?
    } else {
        bytes
    };
    durable::write_atomic(path, &bytes).map_err(FileError::Durable)
}
