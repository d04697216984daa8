//! Putting several staged outputs in place together, undoing the ones already in place
//! when a later one fails.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use crate::staged::make_beside;
use crate::{journal, parent_dir, sync_dir, Error, Staged};

/// Whether a commit may replace files that exist at the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Rename over existing files (each is kept under a hidden name until the whole commit
    /// is done, to be put back if a later output fails).
    Allow,
    /// Replace nothing: an output that exists, even one a concurrent writer made after the
    /// caller's own checks, fails the commit with [`Error::Exists`].
    Refuse,
}

/// An output put in place, and what to do to undo it.
struct Placed {
    dest: PathBuf,
    /// The file that was there before, under a hidden name, when there was one.
    backup: Option<TempPath>,
}

impl Placed {
    /// Undoes the placement (best effort: the error that stopped the commit is what is
    /// reported).
    fn undo(self) {
        match self.backup {
            Some(backup) => {
                let _ = backup.persist(&self.dest);
            }
            None => {
                let _ = fs::remove_file(&self.dest);
            }
        }
    }
}

/// Keeps the file at `dest` under a hidden name beside it (a hard link, so `dest` itself
/// is not touched), when there is one. Where hard links are not possible, no backup is
/// taken and a failed commit cannot put that file back.
fn backup_of(dest: &Path) -> Result<Option<TempPath>, Error> {
    match dest.symlink_metadata() {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(dest)(e)),
    }
    Ok(
        make_beside(dest, "old", |candidate| fs::hard_link(dest, candidate))
            .ok()
            .map(|linked| linked.into_temp_path()),
    )
}

/// Puts every staged output in place, in the order given, after fsyncing them all; then
/// fsyncs their directories. If one cannot be put in place, those already placed are
/// undone in reverse order (a replaced file is put back, a new one removed), every
/// temporary file is removed, and the error names the output that failed.
///
/// Put the output that names the others last (a manifest after the image and signature
/// it describes): a reader that sees it then finds what it names.
pub fn commit_all(staged: Vec<Staged>, replace: Replace) -> Result<(), Error> {
    for s in &staged {
        s.sync()?;
        journal::step();
    }
    // The commit point: from here a killed commit is completed by the next write beside
    // its outputs ([`crate::journal`]). One output alone needs no journal: its rename is
    // the commit.
    let journals = if staged.len() > 1 {
        let pairs: Vec<(PathBuf, PathBuf)> = staged
            .iter()
            .map(|s| (s.file_path().to_path_buf(), s.dest().to_path_buf()))
            .collect();
        Some(journal::write(&pairs)?)
    } else {
        None
    };
    journal::step();
    let mut placed: Vec<Placed> = Vec::with_capacity(staged.len());
    for s in staged {
        let (dest, tmp) = s.into_parts();
        let result = match replace {
            Replace::Allow => backup_of(&dest).and_then(|backup| {
                tmp.persist(&dest)
                    .map(|_| backup)
                    .map_err(|e| Error::io(&dest)(e.error))
            }),
            Replace::Refuse => tmp.persist_noclobber(&dest).map(|_| None).map_err(|e| {
                if e.error.kind() == io::ErrorKind::AlreadyExists {
                    Error::Exists { path: dest.clone() }
                } else {
                    Error::io(&dest)(e.error)
                }
            }),
        };
        match result {
            Ok(backup) => placed.push(Placed { dest, backup }),
            Err(e) => {
                for p in placed.into_iter().rev() {
                    p.undo();
                }
                // The commit is abandoned: nothing for a later run to complete.
                if let Some(j) = journals {
                    let _ = j.remove();
                }
                return Err(e);
            }
        }
        journal::step();
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in placed {
        // Dropping the backup removes it: the commit is complete.
        drop(p.backup);
        let dir = parent_dir(&p.dest).to_path_buf();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in &dirs {
        sync_dir(dir)?;
    }
    journal::step();
    if let Some(j) = journals {
        j.remove()?;
    }
    journal::step();
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use test_harness::names_in;

    fn staged(dest: &Path, bytes: &[u8]) -> Staged {
        let mut s = Staged::new(dest).unwrap();
        s.write_all(bytes).unwrap();
        s
    }

    /// A non-empty directory at `path`, made after staging as a concurrent writer could:
    /// neither a rename nor a link can put a file there.
    fn block(path: &Path) {
        fs::create_dir(path).unwrap();
        fs::write(path.join("x"), b"x").unwrap();
    }

    #[test]
    fn all_outputs_go_into_place_together() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.img");
        let b = d.path().join("a.json");
        fs::write(&a, b"earlier").unwrap();
        commit_all(
            vec![staged(&a, b"image"), staged(&b, b"manifest")],
            Replace::Allow,
        )
        .unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"image");
        assert_eq!(fs::read(&b).unwrap(), b"manifest");
        assert_eq!(names_in(d.path()), ["a.img", "a.json"]);
    }

    #[test]
    fn a_failed_rename_rolls_back_the_outputs_already_in_place() {
        let d = tempfile::tempdir().unwrap();
        let old = d.path().join("old.img");
        let new = d.path().join("new.sig");
        let blocked = d.path().join("m.json");
        fs::write(&old, b"earlier image").unwrap();
        let outputs = vec![
            staged(&old, b"new image"),
            staged(&new, b"signature"),
            staged(&blocked, b"manifest"),
        ];
        block(&blocked);
        let err = commit_all(outputs, Replace::Allow).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if *path == blocked),
            "{err}"
        );
        assert_eq!(fs::read(&old).unwrap(), b"earlier image", "put back");
        assert!(!new.exists(), "a new output is removed again");
        assert_eq!(
            names_in(d.path()),
            ["m.json", "old.img"],
            "no temporary left"
        );
        assert!(!err.to_string().contains(".tmp-"), "{err}");
    }

    #[test]
    fn refusing_to_replace_fails_on_an_existing_file_and_removes_what_it_placed() {
        let d = tempfile::tempdir().unwrap();
        let private = d.path().join("key.hex");
        let public = d.path().join("key.pub");
        let outputs = vec![staged(&private, b"secret"), staged(&public, b"public")];
        // Made after the caller's checks, as by a concurrent writer.
        fs::write(&public, b"someone else's").unwrap();
        let err = commit_all(outputs, Replace::Refuse).unwrap_err();
        assert!(
            matches!(&err, Error::Exists { path } if *path == public),
            "{err}"
        );
        assert_eq!(fs::read(&public).unwrap(), b"someone else's");
        assert_eq!(names_in(d.path()), ["key.pub"], "no orphan, no temporary");
    }

    #[test]
    fn refusing_to_replace_places_new_files() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a");
        commit_all(vec![staged(&a, b"x")], Replace::Refuse).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"x");
        assert_eq!(names_in(d.path()), ["a"]);
    }
}
