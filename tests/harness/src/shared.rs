//! Copies of files that every uid can reach, for tests that run a tool as another user:
//! the checkout may sit where other users cannot enter (root's 0700 home), so a program
//! run with `setpriv --reuid` or as a client of another uid cannot reach the workspace's
//! own binaries or fixtures.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// A world-searchable temporary directory (0755) holding mode-0755 copies of some files,
/// and a world-writable work directory (`work/`, 0777) for the other user's outputs.
/// Removed on drop.
#[derive(Debug)]
pub struct SharedCopy {
    dir: tempfile::TempDir,
}

impl SharedCopy {
    /// Copies each of `files` into a new shared directory, under its own file name.
    pub fn new(files: &[&Path]) -> anyhow::Result<SharedCopy> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::Builder::new().prefix("nx-shared").tempdir()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        for file in files {
            let name = file
                .file_name()
                .with_context(|| format!("{} has no file name", file.display()))?;
            copy_executable(file, &dir.path().join(name))?;
        }
        let work = dir.path().join("work");
        std::fs::create_dir(&work)?;
        std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o777))?;
        Ok(SharedCopy { dir })
    }

    /// The copy of the file named `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The work directory every uid may write in.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }
}

/// Copies `from` to `to` with mode 0755, for a test to execute. The copy is made by a
/// child process (`install`), never through a file this process opens for writing: a
/// test thread that forks meanwhile would inherit that descriptor until its exec, and
/// executing the copy then would fail with ETXTBSY ("Text file busy").
pub fn copy_executable(from: &Path, to: &Path) -> anyhow::Result<()> {
    let status = std::process::Command::new("install")
        .arg("-m")
        .arg("0755")
        .arg(from)
        .arg(to)
        .status()
        .context("running install (coreutils)")?;
    anyhow::ensure!(
        status.success(),
        "copying {} to {}: install {status}",
        from.display(),
        to.display()
    );
    Ok(())
}
