//! `reset`: factory reset of the `state:` tree. Everything is wiped except the top-level
//! `trust/` (public keys, anchors) and `boot/` (bootctl) entries.
//!
//! The plan is pure (`no_std` + `alloc`): given a listing of the tree, it returns the
//! paths to remove in a deterministic order (sorted by path components compared as bytes,
//! parents before children; removal runs in the reverse order). Paths are bytes, as file
//! names are: a name that is not UTF-8 is planned and removed like any other, and printed
//! escaped ([`escaped`]). The default `std` feature adds [`fs`]:
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
use core::fmt::Write as _;

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

/// An entry of the tree, by its path relative to the root (`/`-separated bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative path, e.g. `apps/com.example/data.bin`; any bytes but `/` and NUL in a
    /// component.
    pub path: Vec<u8>,
    /// Its kind.
    pub kind: EntryKind,
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A path is absolute, empty, or has an empty, `.` or `..` component.
    BadPath {
        /// The path at fault.
        path: Vec<u8>,
    },
    /// A path is listed twice.
    Duplicate {
        /// The path at fault.
        path: Vec<u8>,
    },
    /// A path's parent is not listed as a directory.
    Orphan {
        /// The path at fault.
        path: Vec<u8>,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::BadPath { path } => write!(
                f,
                "path \"{}\": must be relative without empty, '.' or '..' components",
                escaped(path)
            ),
            PlanError::Duplicate { path } => {
                write!(f, "path \"{}\": listed twice", escaped(path))
            }
            PlanError::Orphan { path } => write!(
                f,
                "path \"{}\": its parent is not a listed directory",
                escaped(path)
            ),
        }
    }
}

impl core::error::Error for PlanError {}

/// A path for people: valid UTF-8 as it is, other bytes and control characters escaped
/// (`\xff`, `\n`), backslashes doubled, so that every path prints on one line and two
/// paths never print the same.
pub fn escaped(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' || c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|b| *b == b'/')
}

/// Whether `path` (relative) is or lies under a preserved top-level entry.
pub fn is_preserved(path: &[u8]) -> bool {
    let top = components(path).next().unwrap_or_default();
    PRESERVED.iter().any(|p| p.as_bytes() == top)
}

fn check_path(path: &[u8]) -> Result<(), PlanError> {
    let bad = path.is_empty()
        || path.starts_with(b"/")
        || path.contains(&0)
        || components(path).any(|c| c.is_empty() || c == b"." || c == b"..");
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
    sorted.sort_by(|a, b| components(&a.path).cmp(components(&b.path)));
    for w in sorted.windows(2) {
        if w[0].path == w[1].path {
            return Err(PlanError::Duplicate {
                path: w[1].path.clone(),
            });
        }
    }
    for e in &sorted {
        if let Some(slash) = e.path.iter().rposition(|b| *b == b'/') {
            let parent = &e.path[..slash];
            let ok = sorted
                .binary_search_by(|x| components(&x.path).cmp(components(parent)))
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
            if !e.path.contains(&b'/') {
                keep.push(escaped(&e.path));
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
            path: path.as_bytes().to_vec(),
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
        let removed: Vec<&[u8]> = p.remove.iter().map(|e| e.path.as_slice()).collect();
        let want: Vec<&[u8]> = vec![b"apps", b"apps/a", b"link", b"settings", b"trustee"];
        assert_eq!(removed, want);
        assert_eq!(p.keep, vec!["boot", "trust"]);
    }

    #[test]
    fn plans_names_that_are_not_utf8_in_byte_order() {
        let raw = |p: &[u8], kind| Entry {
            path: p.to_vec(),
            kind,
        };
        let p = plan(&[
            raw(b"apps", EntryKind::Dir),
            raw(b"apps/\xff", EntryKind::File),
            raw(b"apps/z", EntryKind::File),
            raw(b"trust", EntryKind::Dir),
            raw(b"trust/\xfe", EntryKind::File),
        ])
        .unwrap();
        let removed: Vec<&[u8]> = p.remove.iter().map(|e| e.path.as_slice()).collect();
        let want: Vec<&[u8]> = vec![b"apps", b"apps/z", b"apps/\xff"];
        assert_eq!(removed, want);
        assert_eq!(p.keep, vec!["trust"]);
    }

    #[test]
    fn escapes_bytes_that_are_not_utf8_and_control_characters() {
        assert_eq!(escaped(b"apps/caf\xc3\xa9"), "apps/caf\u{e9}");
        assert_eq!(escaped(b"apps/\xff\xfe.bin"), "apps/\\xff\\xfe.bin");
        assert_eq!(escaped(b"a\nb\\c"), "a\\nb\\\\c");
        // An escaped name and a real name that spells the escape print differently.
        assert_ne!(escaped(b"\xff"), escaped(b"\\xff"));
    }

    #[test]
    fn refuses_escaping_duplicate_and_orphan_paths() {
        for bad in ["../x", "/etc", "a//b", "a/./b", "", "a\0b"] {
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
