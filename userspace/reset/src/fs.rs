//! Factory reset on a directory tree (feature `std`): scanning without following
//! symlinks, and executing a plan with `unlink`/`rmdir` only.
//!
//! Safety rules: the walk uses `lstat` and never descends into a symlink, so nothing
//! outside the root is listed; preserved top-level entries are not even walked; each
//! removal re-checks the entry with `lstat` and removes a symlink as a link (its target,
//! inside a preserved path or outside the root, is never touched); directories are
//! removed with `rmdir`, which fails rather than deletes anything that appeared since
//! the scan. A failure stops the run and the report lists what was and was not removed.
//!
//! Which directories may be reset: a host state tree carries the marker file
//! [`STATE_MARKER`] at its root (written by [`init_state_tree`], which `nx state init`
//! runs); [`check_root`] refuses a root without it unless forced, and refuses `/`, a home
//! directory and any directory that holds one always. The marker labels the tree, it is
//! not state: the scan leaves it out, so a reset keeps it.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::string::{String, ToString as _};
use std::vec::Vec;
use std::{fmt, format};

use crate::{is_preserved, plan, Entry, EntryKind, Plan, PlanError};

/// Most entries scanned (a state tree is far smaller).
pub const MAX_ENTRIES: usize = 1_000_000;
/// Deepest nesting scanned.
pub const MAX_DEPTH: usize = 64;

/// The marker file at the root of a host state tree.
pub const STATE_MARKER: &str = ".nx-state";
/// The marker's contents (its first line names the format and version).
pub const STATE_MARKER_CONTENTS: &str =
    "nx-state 1\nThis directory is a state tree: nx reset factory wipes all of it except trust/ and boot/.\n";

/// Why a reset could not be planned or carried out.
#[derive(Debug)]
#[non_exhaustive]
pub enum ResetError {
    /// The root is missing or not a directory.
    Root {
        /// The root.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Scanning failed at `path`.
    Scan {
        /// The path at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The tree is larger or deeper than the bounds.
    TooLarge {
        /// What was exceeded.
        what: &'static str,
    },
    /// The plan was refused.
    Plan(PlanError),
    /// The root carries no state marker (and the reset was not forced).
    NotAStateTree {
        /// The root.
        path: PathBuf,
    },
    /// The root is `/`, a home directory, or holds one: never reset.
    Protected {
        /// The root.
        path: PathBuf,
        /// What it is.
        what: String,
    },
    /// Writing the state marker failed.
    Marker {
        /// The marker's path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl fmt::Display for ResetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetError::Root { path, reason } => write!(f, "{}: {reason}", path.display()),
            ResetError::Scan { path, source } => write!(f, "scanning {}: {source}", path.display()),
            ResetError::TooLarge { what } => write!(f, "state tree too large: {what}"),
            ResetError::Plan(e) => write!(f, "{e}"),
            ResetError::NotAStateTree { path } => write!(
                f,
                "{}: not a state tree (no {STATE_MARKER} marker at its root); \
                 pass --force to reset it anyway",
                path.display()
            ),
            ResetError::Protected { path, what } => {
                write!(
                    f,
                    "{}: {what}; never reset, even with --force",
                    path.display()
                )
            }
            ResetError::Marker { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for ResetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResetError::Scan { source, .. } => Some(source),
            ResetError::Plan(e) => Some(e),
            ResetError::Marker { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Home directories: `$HOME` and every home listed in `/etc/passwd`.
fn home_directories() -> Vec<PathBuf> {
    let mut homes: Vec<PathBuf> = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Ok(passwd) = fs::read_to_string("/etc/passwd") {
        homes.extend(
            passwd
                .lines()
                .filter_map(|l| l.split(':').nth(5))
                .filter(|h| h.starts_with('/') && *h != "/")
                .map(PathBuf::from),
        );
    }
    homes
        .into_iter()
        .filter_map(|h| fs::canonicalize(h).ok())
        .collect()
}

/// Checks that `root` may be reset: never `/`, a home directory or a directory that
/// holds one; otherwise a state tree (its root carries [`STATE_MARKER`]) unless `force`.
pub fn check_root(root: &Path, force: bool) -> Result<(), ResetError> {
    let canonical = fs::canonicalize(root).map_err(|e| ResetError::Root {
        path: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    if canonical == Path::new("/") {
        return Err(ResetError::Protected {
            path: root.to_path_buf(),
            what: "the root directory".into(),
        });
    }
    if let Some(home) = home_directories()
        .into_iter()
        .find(|h| h.starts_with(&canonical))
    {
        let what = if home == canonical {
            "a home directory".into()
        } else {
            format!("holds the home directory {}", home.display())
        };
        return Err(ResetError::Protected {
            path: root.to_path_buf(),
            what,
        });
    }
    let marked = fs::symlink_metadata(root.join(STATE_MARKER)).is_ok_and(|m| m.is_file());
    if !marked && !force {
        return Err(ResetError::NotAStateTree {
            path: root.to_path_buf(),
        });
    }
    Ok(())
}

/// Makes `root` a state tree: creates it (and `trust/`, `boot/`) when missing and writes
/// the marker. An existing marker is kept.
pub fn init_state_tree(root: &Path) -> Result<(), ResetError> {
    for dir in [root.to_path_buf(), root.join("trust"), root.join("boot")] {
        fs::create_dir_all(&dir).map_err(|source| ResetError::Marker { path: dir, source })?;
    }
    let marker = root.join(STATE_MARKER);
    match fs::symlink_metadata(&marker) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(ResetError::Marker {
            source: io::Error::other("exists and is not a regular file"),
            path: marker,
        }),
        Err(_) => fs::write(&marker, STATE_MARKER_CONTENTS).map_err(|source| ResetError::Marker {
            path: marker,
            source,
        }),
    }
}

fn kind_of(meta: &fs::Metadata) -> EntryKind {
    let t = meta.file_type();
    if t.is_symlink() {
        EntryKind::Symlink
    } else if t.is_dir() {
        EntryKind::Dir
    } else if t.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other
    }
}

/// Lists the tree under `root` without following symlinks, skipping preserved entries'
/// contents.
pub fn scan(root: &Path) -> Result<Vec<Entry>, ResetError> {
    let meta = fs::metadata(root).map_err(|e| ResetError::Root {
        path: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(ResetError::Root {
            path: root.to_path_buf(),
            reason: "not a directory".into(),
        });
    }
    let mut out = Vec::new();
    let mut stack: Vec<(PathBuf, Vec<u8>, usize)> = std::vec![(root.to_path_buf(), Vec::new(), 0)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|source| ResetError::Scan {
            path: dir.clone(),
            source,
        })?;
        for item in rd {
            let item = item.map_err(|source| ResetError::Scan {
                path: dir.clone(),
                source,
            })?;
            let name = item.file_name();
            let name = name.as_bytes();
            if rel.is_empty() && name == STATE_MARKER.as_bytes() {
                // The tree's label, not state: kept by every reset.
                continue;
            }
            let mut path = rel.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            let full = item.path();
            let meta = fs::symlink_metadata(&full).map_err(|source| ResetError::Scan {
                path: full.clone(),
                source,
            })?;
            let kind = kind_of(&meta);
            out.push(Entry {
                path: path.clone(),
                kind,
            });
            if out.len() > MAX_ENTRIES {
                return Err(ResetError::TooLarge {
                    what: "more than 1,000,000 entries",
                });
            }
            if kind == EntryKind::Dir && !is_preserved(&path) {
                if depth + 1 > MAX_DEPTH {
                    return Err(ResetError::TooLarge {
                        what: "nested deeper than 64 levels",
                    });
                }
                stack.push((full, path, depth + 1));
            }
        }
    }
    Ok(out)
}

/// Scans `root` and plans its factory reset.
pub fn plan_dir(root: &Path) -> Result<Plan, ResetError> {
    plan(&scan(root)?).map_err(ResetError::Plan)
}

/// What an execution did.
#[derive(Debug, Default)]
pub struct Report {
    /// Paths removed, in plan order.
    pub removed: Vec<Vec<u8>>,
    /// Paths not removed (after a failure), in plan order.
    pub not_removed: Vec<Vec<u8>>,
    /// The removal that failed, if any.
    pub failure: Option<(Vec<u8>, io::Error)>,
}

/// Executes `plan` under `root`: children before parents, each entry re-checked with
/// `lstat`, symlinks unlinked, directories removed with `rmdir`. Stops at the first
/// failure.
pub fn execute(root: &Path, plan: &Plan) -> Report {
    let mut report = Report::default();
    let mut removed_rev = Vec::new();
    let mut failed_at = None;
    for (i, entry) in plan.remove.iter().enumerate().rev() {
        let full = root.join(OsStr::from_bytes(&entry.path));
        let result = match fs::symlink_metadata(&full) {
            Ok(m) if kind_of(&m) == EntryKind::Dir => fs::remove_dir(&full),
            Ok(_) => fs::remove_file(&full),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => removed_rev.push(entry.path.clone()),
            Err(e) => {
                report.failure = Some((entry.path.clone(), e));
                failed_at = Some(i);
                break;
            }
        }
    }
    removed_rev.reverse();
    report.removed = removed_rev;
    if let Some(i) = failed_at {
        report.not_removed = plan.remove[..=i].iter().map(|e| e.path.clone()).collect();
    }
    report
}
