//! Factory reset on a directory tree (feature `std`): scanning without following
//! symlinks, and executing a plan with `unlink`/`rmdir` only.
//!
//! Safety rules: the walk uses `lstat` and never descends into a symlink, so nothing
//! outside the root is listed; preserved top-level entries are not even walked; each
//! removal re-checks the entry with `lstat` and removes a symlink as a link (its target,
//! inside a preserved path or outside the root, is never touched); directories are
//! removed with `rmdir`, which fails rather than deletes anything that appeared since
//! the scan. A failure stops the run and the report lists what was and was not removed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::string::{String, ToString as _};
use std::vec::Vec;
use std::{fmt, format};

use crate::{is_preserved, plan, Entry, EntryKind, Plan, PlanError};

/// Most entries scanned (a state tree is far smaller).
pub const MAX_ENTRIES: usize = 1_000_000;
/// Deepest nesting scanned.
pub const MAX_DEPTH: usize = 64;

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
    /// A file name is not UTF-8 (state paths are UTF-8).
    NotUtf8 {
        /// The path at fault.
        path: PathBuf,
    },
    /// The plan was refused.
    Plan(PlanError),
}

impl fmt::Display for ResetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetError::Root { path, reason } => write!(f, "{}: {reason}", path.display()),
            ResetError::Scan { path, source } => write!(f, "scanning {}: {source}", path.display()),
            ResetError::TooLarge { what } => write!(f, "state tree too large: {what}"),
            ResetError::NotUtf8 { path } => {
                write!(f, "{}: file name is not UTF-8", path.display())
            }
            ResetError::Plan(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ResetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResetError::Scan { source, .. } => Some(source),
            ResetError::Plan(e) => Some(e),
            _ => None,
        }
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
    let mut stack: Vec<(PathBuf, String, usize)> =
        std::vec![(root.to_path_buf(), String::new(), 0)];
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
            let name = name
                .to_str()
                .ok_or_else(|| ResetError::NotUtf8 { path: item.path() })?;
            let path = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
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
    pub removed: Vec<String>,
    /// Paths not removed (after a failure), in plan order.
    pub not_removed: Vec<String>,
    /// The removal that failed, if any.
    pub failure: Option<(String, io::Error)>,
}

/// Executes `plan` under `root`: children before parents, each entry re-checked with
/// `lstat`, symlinks unlinked, directories removed with `rmdir`. Stops at the first
/// failure.
pub fn execute(root: &Path, plan: &Plan) -> Report {
    let mut report = Report::default();
    let mut removed_rev = Vec::new();
    let mut failed_at = None;
    for (i, entry) in plan.remove.iter().enumerate().rev() {
        let full = root.join(&entry.path);
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
