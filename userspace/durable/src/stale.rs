//! Temporaries left by processes that died: recognising their names and removing them.
//!
//! A temporary beside the output `NAME` is `.NAME.tmp-PID-RANDOM` (a backup during a
//! commit `.NAME.old-PID-RANDOM`); names from before the random part (`.NAME.tmp-PID`) are
//! recognised too. One is stale when `PID` is not this process and no process with that
//! id runs, which is asked of `/proc/PID`; where `/proc` is not mounted nothing is taken
//! as stale. A process id can be reused: then a dead writer's temporary is kept until the
//! reusing process ends too, which errs on the safe side.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use crate::parent_dir;

/// The kinds of hidden file this crate makes beside an output.
const TAGS: [&str; 2] = ["tmp", "old"];

/// The process id in `file_name` when it is a temporary of this crate beside the output
/// named `output_name`.
pub(crate) fn temporary_pid(file_name: &str, output_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_prefix(output_name)?;
    let rest = TAGS.iter().find_map(|tag| {
        rest.strip_prefix('.')
            .and_then(|r| r.strip_prefix(tag))
            .and_then(|r| r.strip_prefix('-'))
    })?;
    let (pid, random) = match rest.split_once('-') {
        Some((pid, random)) => (pid, Some(random)),
        None => (rest, None),
    };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if random.is_some_and(|r| r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return None;
    }
    pid.parse().ok()
}

/// Whether the process `pid` is known to have ended: not this process, `/proc` is
/// there, and `/proc/PID` is not.
fn has_ended(pid: u32) -> bool {
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Whether `file_name` is a commit journal (`.NAME.commit-PID-RANDOM`) of a process that
/// has ended.
pub(crate) fn is_stale_journal(file_name: &OsStr) -> bool {
    let Some(name) = file_name.to_str() else {
        return false;
    };
    let marker = format!(".{}-", crate::journal::TAG);
    let Some(at) = name.rfind(&marker) else {
        return false;
    };
    let output_name = &name[1.min(at)..at];
    if !name.starts_with('.') || output_name.is_empty() {
        return false;
    }
    let tag_free = format!(".{output_name}.tmp-{}", &name[at + marker.len()..]);
    temporary_pid(&tag_free, output_name).is_some_and(has_ended)
}

/// Before writing `dest`: completes the commits that ended processes left half done in its
/// directory (their journals, [`crate::journal`]), then removes the temporaries beside
/// `dest` that processes which have ended left behind (best effort: one that cannot be
/// removed stays, and is tried again next time).
pub(crate) fn remove_stale(dest: &Path) {
    let Some(output_name) = dest.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(parent_dir(dest)) else {
        return;
    };
    let entries: Vec<fs::DirEntry> = entries.flatten().collect();
    for entry in &entries {
        if is_stale_journal(&entry.file_name()) && entry.file_type().is_ok_and(|t| t.is_file()) {
            crate::journal::roll_forward(&entry.path());
        }
    }
    for entry in entries {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| temporary_pid(n, output_name)) else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && has_ended(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn temporary_names_are_recognised_by_output_and_process() {
        for (name, want) in [
            (".a.nxs.tmp-123-Ab3xYz", Some(123)),
            (".a.nxs.old-7-q1w2e3", Some(7)),
            (".a.nxs.tmp-42", Some(42)),
            (".a.nxs.tmp-", None),
            (".a.nxs.tmp-12x", None),
            (".a.nxs.tmp-12-", None),
            (".a.nxs.tmp-12-a.b", None),
            (".a.nxs.new-12-abcdef", None),
            ("a.nxs.tmp-12-abcdef", None),
            (".b.nxs.tmp-12-abcdef", None),
            (".a.nxs.x.tmp-12-abcdef", None),
            ("a.nxs", None),
        ] {
            assert_eq!(temporary_pid(name, "a.nxs"), want, "{name}");
        }
    }

    /// A process id that no running process has: a child that has been waited for.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed_and_live_ones_kept() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out.img");
        let dead = dead_pid();
        let mine = std::process::id();
        let names = [
            format!(".out.img.tmp-{dead}-abc123"),
            format!(".out.img.old-{dead}-abc123"),
            format!(".out.img.tmp-{dead}"),
            format!(".out.img.tmp-{mine}-abc123"),
            format!(".other.img.tmp-{dead}-abc123"),
            "out.img".to_string(),
        ];
        for n in &names {
            fs::write(d.path().join(n), b"x").unwrap();
        }
        remove_stale(&out);
        let mut left: Vec<String> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want = vec![
            format!(".other.img.tmp-{dead}-abc123"),
            format!(".out.img.tmp-{mine}-abc123"),
            "out.img".to_string(),
        ];
        want.sort();
        assert_eq!(left, want);
    }
}
