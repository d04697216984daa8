//! The commit journal of [`crate::commit_all`]: what makes several outputs switch as one
//! even when the process is killed between two of its renames.
//!
//! Before the first rename, once every staged temporary is fsynced, a journal
//! `.NAME.commit-PID-RANDOM` is written and fsynced beside the last output in each output
//! directory (`NAME` is that directory's last output). It lists every (temporary,
//! output) pair of the commit with absolute paths. Its existence is the commit point: the
//! renames that follow are idempotent, and a journal whose process has ended is rolled
//! forward by the next [`crate::Staged::new`] in its directory (every temporary still
//! there is renamed to its output) before stale temporaries are removed, so a killed commit
//! ends as if it had finished. The journals are removed after the last rename and the
//! directory fsyncs. Without a journal (a kill before it was written) nothing was
//! renamed: the temporaries are stale and removed as usual.
//!
//! Layout: the line `nx-durable-commit 1`, then for each pair the temporary's path, a NUL,
//! the output's path, a NUL (paths as bytes).

use std::ffi::OsString;
use std::fs;
use std::io::Write as _;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::staged::make_beside;
use crate::{parent_dir, sync_dir, Error};

const MAGIC: &[u8] = b"nx-durable-commit 1\n";
/// The largest journal read back (a commit of a few outputs takes a few hundred bytes).
const MAX_JOURNAL: u64 = 1 << 20;
/// The tag of a journal's hidden name.
pub(crate) const TAG: &str = "commit";

/// `path` made absolute (its directory resolved), as the journal records it.
fn absolute(path: &Path) -> Result<PathBuf, Error> {
    let dir = fs::canonicalize(parent_dir(path)).map_err(Error::io(path))?;
    match path.file_name() {
        Some(name) => Ok(dir.join(name)),
        None => Ok(dir),
    }
}

/// The journals of a commit, one in each output directory.
pub(crate) struct Journals(Vec<PathBuf>);

/// Writes and fsyncs the journal of `pairs` (temporary, output) beside the last output of
/// each directory the outputs are in.
pub(crate) fn write(pairs: &[(PathBuf, PathBuf)]) -> Result<Journals, Error> {
    let mut body = MAGIC.to_vec();
    for (tmp, dest) in pairs {
        body.extend_from_slice(absolute(tmp)?.as_os_str().as_bytes());
        body.push(0);
        body.extend_from_slice(absolute(dest)?.as_os_str().as_bytes());
        body.push(0);
    }
    let mut last_in_dir: Vec<(PathBuf, &Path)> = Vec::new();
    for (_, dest) in pairs {
        let dir = parent_dir(dest).to_path_buf();
        match last_in_dir.iter_mut().find(|(d, _)| *d == dir) {
            Some(entry) => entry.1 = dest,
            None => last_in_dir.push((dir, dest)),
        }
    }
    let mut written = Journals(Vec::new());
    for (dir, dest) in last_in_dir {
        let mut file = make_beside(dest, TAG, |p| {
            fs::OpenOptions::new().write(true).create_new(true).open(p)
        })?;
        file.write_all(&body).map_err(Error::io(dest))?;
        file.as_file().sync_all().map_err(Error::io(dest))?;
        let (_, path) = file.keep().map_err(|e| Error::io(dest)(e.error))?;
        written.0.push(path);
        sync_dir(&dir)?;
    }
    Ok(written)
}

impl Journals {
    /// Removes the journals once the commit is complete (or abandoned after an undo).
    pub(crate) fn remove(self) -> Result<(), Error> {
        for path in &self.0 {
            fs::remove_file(path).map_err(Error::io(path))?;
            sync_dir(parent_dir(path))?;
        }
        Ok(())
    }
}

/// The (temporary, output) pairs of a journal file, or `None` when it is not one.
fn read(path: &Path) -> Option<Vec<(PathBuf, PathBuf)>> {
    let bytes = crate::read_capped(path, MAX_JOURNAL).ok()?;
    let rest = bytes.strip_prefix(MAGIC)?;
    let parts: Vec<&[u8]> = rest.split(|b| *b == 0).collect();
    // A well-formed body ends in NUL, which leaves one empty part after it.
    let (last, fields) = parts.split_last()?;
    if !last.is_empty() || fields.len() % 2 != 0 {
        return None;
    }
    let path_of = |b: &[u8]| PathBuf::from(OsString::from_vec(b.to_vec()));
    Some(
        fields
            .chunks(2)
            .map(|pair| (path_of(pair[0]), path_of(pair[1])))
            .collect(),
    )
}

/// Completes the commit a journal records: renames each temporary still there to its
/// output, fsyncs their directories, then removes the journal. A journal that cannot be
/// read is left alone (best effort: it is tried again next time).
pub(crate) fn roll_forward(journal: &Path) {
    let Some(pairs) = read(journal) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (tmp, dest) in &pairs {
        if tmp.symlink_metadata().is_ok() && fs::rename(tmp, dest).is_err() {
            // Keep the journal: the next run tries again.
            return;
        }
        let dir = parent_dir(dest).to_path_buf();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in &dirs {
        let _ = sync_dir(dir);
    }
    if fs::remove_file(journal).is_ok() {
        let _ = sync_dir(parent_dir(journal));
    }
}

/// Journals of ended processes that list `output` among their outputs: a commit that was
/// killed and not yet rolled forward, which leaves `output` and the other outputs of that
/// commit out of step until the next write beside them completes it.
pub fn interrupted_commits(output: &Path) -> Vec<PathBuf> {
    let Ok(target) = absolute(output) else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(parent_dir(output)) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !crate::stale::is_stale_journal(&entry.file_name()) {
            continue;
        }
        if read(&path).is_some_and(|pairs| pairs.iter().any(|(_, d)| *d == target)) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Completes the killed commits that list `output` (see [`interrupted_commits`]), as the
/// next write beside them would, so that a reader sees the outputs of one commit; returns
/// the journals completed. A journal that cannot be completed (no permission to rename,
/// say) stays and is not returned.
pub fn complete_interrupted(output: &Path) -> Vec<PathBuf> {
    let mut done = interrupted_commits(output);
    for journal in &done {
        roll_forward(journal);
    }
    done.retain(|j| j.symlink_metadata().is_err());
    done
}

/// The test hook of the commit's steps: with `NX_DURABLE_KILL_AT=N` in the environment,
/// the process aborts (no destructor runs, as under SIGKILL) when it reaches its `N`th
/// commit step, counted from 1 across the process. The kill-injection tests of `nx image
/// build` run it at every step.
pub(crate) fn step() {
    static STEP: AtomicU64 = AtomicU64::new(0);
    let Some(at) = std::env::var("NX_DURABLE_KILL_AT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return;
    };
    if STEP.fetch_add(1, Ordering::SeqCst) + 1 == at {
        std::process::abort();
    }
}
