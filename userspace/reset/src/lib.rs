//! `reset`: factory reset of the `state:` tree. Everything is wiped except the top-level
//! `trust/` (public keys, anchors) and `boot/` (bootctl) entries.
//!
//! The plan is pure (`no_std` + `alloc`): given a listing of the tree, it returns the
//! paths to remove in a deterministic order (sorted by path components, parents before
//! children; removal runs in the reverse order). The default `std` feature adds [`fs`]:
//! scanning a directory without following symlinks, and executing a plan with `unlink`
//! and `rmdir` only (never a recursive delete, never through a symlink), reporting what
//! was and was not removed when something fails. Documented in
//! `docs/provisioning/overview.md`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

#[cfg(feature = "std")]
pub mod fs;

/// Top-level entries of `state:` that survive a factory reset, sorted.
pub const PRESERVED: [&str; 2] = ["boot", "trust"];

/// What kind of file system object an entry is (as `lstat` sees it: never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (removed as a link; its target is never touched).
    Symlink,
    /// Anything else (fifo, socket, device node): removed as a directory entry.
    Other,
}

/// An entry of the tree, by its path relative to the root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative path, e.g. `apps/com.example/data.bin`.
    pub path: String,
    /// Its kind.
    pub kind: EntryKind,
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A path is absolute, empty, or has an empty, `.` or `..` component.
    BadPath {
        /// The path at fault.
        path: String,
    },
    /// A path is listed twice.
    Duplicate {
        /// The path at fault.
        path: String,
    },
    /// A path's parent is not listed as a directory.
    Orphan {
        /// The path at fault.
        path: String,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::BadPath { path } => write!(
                f,
                "path {path:?}: must be relative without empty, '.' or '..' components"
            ),
            PlanError::Duplicate { path } => write!(f, "path {path:?}: listed twice"),
            PlanError::Orphan { path } => {
                write!(f, "path {path:?}: its parent is not a listed directory")
            }
        }
    }
}

impl core::error::Error for PlanError {}

/// Whether `path` (relative) is or lies under a preserved top-level entry.
pub fn is_preserved(path: &str) -> bool {
    let top = path.split('/').next().unwrap_or("");
    PRESERVED.contains(&top)
}

fn check_path(path: &str) -> Result<(), PlanError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(PlanError::BadPath { path: path.into() })
    } else {
        Ok(())
    }
}

/// A factory reset plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Entries to remove, parents before children (remove in reverse order).
    pub remove: Vec<Entry>,
    /// Preserved top-level entries present in the tree, sorted.
    pub keep: Vec<String>,
}

/// Plans a factory reset of a tree given its full listing (any order). Entries under a
/// symlink cannot exist in a listing made without following links; a listing that has
/// them is refused as orphaned.
pub fn plan(entries: &[Entry]) -> Result<Plan, PlanError> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    for e in &sorted {
        check_path(&e.path)?;
    }
    sorted.sort_by(|a, b| a.path.split('/').cmp(b.path.split('/')));
    for w in sorted.windows(2) {
        if w[0].path == w[1].path {
            return Err(PlanError::Duplicate {
                path: w[1].path.clone(),
            });
        }
    }
    for e in &sorted {
        if let Some((parent, _)) = e.path.rsplit_once('/') {
            let ok = sorted
                .binary_search_by(|x| x.path.split('/').cmp(parent.split('/')))
                .ok()
                .is_some_and(|i| sorted[i].kind == EntryKind::Dir);
            if !ok {
                return Err(PlanError::Orphan {
                    path: e.path.clone(),
                });
            }
        }
    }
    let mut keep = Vec::new();
    let mut remove = Vec::new();
    for e in sorted {
        if is_preserved(&e.path) {
            if !e.path.contains('/') {
                keep.push(e.path.clone());
            }
        } else {
            remove.push(e.clone());
        }
    }
    Ok(Plan { remove, keep })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn e(path: &str, kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
        }
    }

    #[test]
    fn wipes_everything_but_trust_and_boot() {
        let p = plan(&[
            e("settings", EntryKind::Dir),
            e("trust", EntryKind::Dir),
            e("trust/root.pub", EntryKind::File),
            e("apps", EntryKind::Dir),
            e("apps/a", EntryKind::File),
            e("boot", EntryKind::Dir),
            e("boot/bootctl", EntryKind::File),
            e("trustee", EntryKind::File),
            e("link", EntryKind::Symlink),
        ])
        .unwrap();
        let removed: Vec<&str> = p.remove.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            removed,
            vec!["apps", "apps/a", "link", "settings", "trustee"]
        );
        assert_eq!(p.keep, vec!["boot", "trust"]);
    }

    #[test]
    fn refuses_escaping_duplicate_and_orphan_paths() {
        for bad in ["../x", "/etc", "a//b", "a/./b", ""] {
            assert!(matches!(
                plan(&[e(bad, EntryKind::File)]),
                Err(PlanError::BadPath { .. })
            ));
        }
        assert!(matches!(
            plan(&[e("a", EntryKind::File), e("a", EntryKind::File)]),
            Err(PlanError::Duplicate { .. })
        ));
        assert!(matches!(
            plan(&[e("link", EntryKind::Symlink), e("link/x", EntryKind::File)]),
            Err(PlanError::Orphan { .. })
        ));
    }
}
