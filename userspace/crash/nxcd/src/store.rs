//! A dump directory on the host (feature `std`): which files are dumps, reading each one
//! (a bad file never stops the scan), and opening the dump a user-given id designates.
//! The rules themselves (dump names, listing order, id resolution) are the no_std
//! [`crate::listing`], which crashd in the OS applies to its own directory.

use std::fmt;
use std::format;
use std::io;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use crate::fs::{read_dump, FileError};

use crate::listing::{self, DumpEntry, Resolution};
use crate::{Dump, Header, Limits};

/// How many file names an ambiguity error shows before "and N more".
const AMBIGUOUS_SHOWN: usize = 5;

/// One dump file in the directory.
#[derive(Debug)]
pub struct DumpFile {
    /// File name (lossy UTF-8), as listed.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Size on disk in bytes.
    pub size: u64,
    /// The header of the dump (the whole dump was checked), or why it could not be
    /// read. Only headers are kept, so a large directory costs little memory.
    pub content: Result<Header, String>,
    /// Whether it is a regular file (a dump, or a corrupt one that may be purged).
    /// Anything else named like a dump (a directory, a FIFO, a device or a link to one)
    /// is listed as unreadable but never opened or deleted.
    pub regular: bool,
}

impl DumpFile {
    /// The file name without the dump extension.
    pub fn stem(&self) -> &str {
        listing::dump_stem(&self.name)
    }

    /// The dump id (header's `dump_id`), for readable dumps.
    pub fn dump_id(&self) -> Option<&str> {
        self.content.as_ref().ok().map(|h| h.dump_id.as_str())
    }
}

impl DumpEntry for DumpFile {
    fn file_name(&self) -> &str {
        &self.name
    }

    fn header(&self) -> Option<&Header> {
        self.content.as_ref().ok()
    }
}

/// A readable dump, opened by id.
#[derive(Debug)]
pub struct OpenDump {
    /// File name.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Size on disk in bytes.
    pub size: u64,
    /// The decoded dump.
    pub dump: Dump,
}

/// Why a dump directory could not be listed or a dump in it opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The directory (or one of its entries) could not be read.
    ReadDir {
        /// The dump directory.
        dir: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// No file in the directory is designated by the id.
    NotFound {
        /// The id asked for.
        id: String,
        /// The dump directory.
        dir: PathBuf,
        /// The ids (or file names without extension) the id nearly names, closest first
        /// (see [`crate::listing::near_misses`]).
        near_misses: Vec<String>,
    },
    /// Several files are designated by the id.
    Ambiguous {
        /// The id asked for.
        id: String,
        /// The dump directory.
        dir: PathBuf,
        /// Every designated file's name, in file-name order.
        names: Vec<String>,
    },
    /// The designated file was listed as unreadable.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why the scan could not read it.
        reason: String,
    },
    /// The designated file could not be read again in full.
    Load {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: FileError,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::ReadDir { dir, .. } => {
                write!(f, "cannot read dump directory {}", dir.display())
            }
            StoreError::NotFound {
                id,
                dir,
                near_misses,
            } => {
                write!(f, "no dump with id {id:?} in {}", dir.display())?;
                for (i, name) in near_misses.iter().enumerate() {
                    let lead = if i == 0 { "; did you mean " } else { " or " };
                    write!(f, "{lead}{name:?}")?;
                }
                if !near_misses.is_empty() {
                    f.write_str("?")?;
                }
                Ok(())
            }
            StoreError::Ambiguous { id, dir, names } => {
                let shown = &names[..names.len().min(AMBIGUOUS_SHOWN)];
                write!(
                    f,
                    "dump id {id:?} is ambiguous in {}: files {}",
                    dir.display(),
                    shown.join(", ")
                )?;
                let more = names.len().saturating_sub(AMBIGUOUS_SHOWN);
                if more > 0 {
                    write!(f, " and {more} more")?;
                }
                f.write_str("; name the file instead")
            }
            StoreError::Corrupt { path, reason } => {
                write!(f, "{}: corrupt dump: {reason}", path.display())
            }
            StoreError::Load {
                path,
                source: FileError::Io(_),
            } => write!(f, "cannot read dump {}", path.display()),
            StoreError::Load { path, .. } => write!(f, "{}: corrupt dump", path.display()),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::ReadDir { source, .. } => Some(source),
            StoreError::Load { source, .. } => Some(source),
            StoreError::NotFound { .. }
            | StoreError::Ambiguous { .. }
            | StoreError::Corrupt { .. } => None,
        }
    }
}

/// Reads one dump file, with its header or the reason it is unreadable.
pub fn read_dump_file(path: &Path, name: String, size: u64) -> DumpFile {
    let content = read_dump(path, &Limits::DEFAULT)
        .map(|dump| dump.header)
        .map_err(|e| e.to_string());
    DumpFile {
        name,
        path: path.to_path_buf(),
        size,
        content,
        regular: true,
    }
}

/// A dump file whose contents `raw` were read from elsewhere than a directory (the
/// device's state store); `path` names it in messages.
pub fn dump_file_from_bytes(name: String, path: PathBuf, raw: Vec<u8>) -> DumpFile {
    let size = raw.len() as u64;
    let content = crate::fs::unwrap_dump_bytes(raw, &Limits::DEFAULT)
        .and_then(|bytes| Ok(Dump::decode_with_limits(&bytes, &Limits::DEFAULT)?))
        .map(|dump| dump.header)
        .map_err(|e| e.to_string());
    DumpFile {
        name,
        path,
        size,
        content,
        regular: true,
    }
}

/// Every dump file in `dir`, sorted by file name. Unreadable dumps are included with
/// their error; only a missing or unreadable directory is an error. Symbolic links are
/// followed: a link to a dump is a dump, a dangling one is listed as unreadable, and so
/// is anything named like a dump that is not a regular file (a directory, a FIFO, a
/// device or a link to one), which is never opened.
pub fn scan(dir: &Path) -> Result<Vec<DumpFile>, StoreError> {
    let read_dir_error = |source| StoreError::ReadDir {
        dir: dir.to_path_buf(),
        source,
    };
    let entries = std::fs::read_dir(dir).map_err(read_dir_error)?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(read_dir_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !listing::is_dump_name(&name) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            files.push(DumpFile {
                name,
                path,
                size: 0,
                content: Err(String::from("cannot stat file (dangling link?)")),
                regular: true,
            });
            continue;
        };
        if !meta.is_file() {
            // Named like a dump but not one: listed as unreadable, never skipped
            // silently, and never opened (a FIFO would block the scan).
            files.push(DumpFile {
                name,
                path,
                size: 0,
                content: Err(format!("not a dump file: {}", file_kind(&meta))),
                regular: false,
            });
            continue;
        }
        files.push(read_dump_file(&path, name, meta.len()));
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// What a file that is not a regular file is, for the reason it is not a dump.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Sorts scanned files into listing order (readable dumps newest first, then unreadable
/// files by name): the order of `nx crash ls`.
pub fn listing_order(files: &mut [DumpFile]) {
    listing::listing_order(files);
}

/// Finds the one file `id` designates among the files scanned from `dir` (see
/// [`crate::listing::resolve`]); when none, the error names the near misses.
pub fn resolve(mut files: Vec<DumpFile>, id: &str, dir: &Path) -> Result<DumpFile, StoreError> {
    let not_found = |files: &[DumpFile]| StoreError::NotFound {
        id: String::from(id),
        dir: dir.to_path_buf(),
        near_misses: listing::near_misses(files, id)
            .into_iter()
            .filter_map(|i| files.get(i).map(|f| String::from(listing::entry_name(f))))
            .collect(),
    };
    match listing::resolve(&files, id) {
        Resolution::One(index) => {
            if index >= files.len() {
                return Err(not_found(&files));
            }
            Ok(files.swap_remove(index))
        }
        Resolution::NotFound => Err(not_found(&files)),
        Resolution::Ambiguous(indices) => Err(StoreError::Ambiguous {
            id: String::from(id),
            dir: dir.to_path_buf(),
            names: indices
                .into_iter()
                .filter_map(|i| files.get(i).map(|f| f.name.clone()))
                .collect(),
        }),
    }
}

/// Reads the whole dump of a file the scan found readable.
pub fn load(file: &DumpFile) -> Result<Dump, StoreError> {
    read_dump(&file.path, &Limits::DEFAULT).map_err(|source| StoreError::Load {
        path: file.path.clone(),
        source,
    })
}

/// Resolves `id` in `dir` and reads the dump, which must be readable.
pub fn open(dir: &Path, id: &str) -> Result<OpenDump, StoreError> {
    let file = resolve(scan(dir)?, id, dir)?;
    if let Err(reason) = &file.content {
        return Err(StoreError::Corrupt {
            path: file.path.clone(),
            reason: reason.clone(),
        });
    }
    let dump = load(&file)?;
    Ok(OpenDump {
        name: file.name,
        path: file.path,
        size: file.size,
        dump,
    })
}
