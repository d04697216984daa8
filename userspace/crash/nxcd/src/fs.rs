//! I/O adapters (feature `std`): bounded file reads, atomic writes (temp file, fsync,
//! rename, fsync of the directory), and the `.nxcd.zst` wrapper.
//!
//! A `.nxcd.zst` file is one or more zstd frames whose decompressed content is exactly
//! one `.nxcd` file. Decompression streams with a hard output cap (the total size bound)
//! and fails as soon as the cap is exceeded, so a decompression bomb is never buffered.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::vec::Vec;
use std::{fmt, format};

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
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Io(e) | FileError::Decompress(e) => Some(e),
            FileError::Format(e) => Some(e),
            FileError::TooLarge { .. } | FileError::DecompressedTooLarge { .. } => None,
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

/// Reads a file of at most `limit` bytes; the size is checked before reading, and the
/// read itself is capped in case the file grows meanwhile.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(FileError::TooLarge {
            size: out.len() as u64,
            limit,
        });
    }
    Ok(out)
}

/// Reads the `.nxcd` bytes of a dump file, decompressing it when it is a `.nxcd.zst`
/// (recognized by the zstd magic, whatever the file name).
pub fn read_dump_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>, FileError> {
    let raw = read_capped(path, limits.max_total)?;
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

/// Encodes `dump` and writes it atomically, compressed when `path` ends in `.zst`.
pub fn write_dump(path: &Path, dump: &Dump) -> Result<(), FileError> {
    let bytes = dump.encode()?;
    let bytes = if is_zst_path(path) {
        compress(&bytes)?
    } else {
        bytes
    };
    write_atomic(path, &bytes)?;
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is
/// written and fsynced, then renamed over `path`, then the directory is fsynced. On
/// failure the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable. Directories cannot be opened on every
        // platform; where they cannot, the rename is as durable as the OS makes it.
        if let Ok(d) = File::open(dir) {
            d.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        // Best effort: the temporary file may not exist if creating it failed.
        let _ = fs::remove_file(&tmp);
    }
    result
}
