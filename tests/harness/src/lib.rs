//! What the cross-crate suites and their benchmark drivers share: a child process that
//! is killed and reaped when its guard drops (so a failing test leaves nothing running),
//! the workspace's own binaries, built through cargo before use so a suite never runs
//! a stale one, the dev image fixture ([`dev_image`]) with the committed test keys, what
//! `NX_BLESS=1` rewrites: golden files and seed corpora, each checked one way ([`bless`]),
//! and the check of the user documentation's option lists against `--help`
//! ([`docs_help`]).

pub mod bless;
pub mod dev_image;
pub mod docs_help;
pub mod shared;

pub use bless::{blessing, check_golden, replay_corpus, replay_fuzz_corpus};
pub use dev_image::{pattern, test_key_files, workspace_root, DevImage};
pub use shared::{copy_executable, SharedCopy};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// A child process killed and reaped when dropped.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Waits for the process to exit, at most `timeout`; kills it and fails on timeout.
    pub fn wait_timeout(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.0.kill();
                let _ = self.0.wait();
                bail!(
                    "process {} still running after {timeout:?}; killed",
                    self.0.id()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // Best effort: the process may have exited already.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The profile directory (`target/<profile>`) of the running executable.
pub fn profile_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running executable")?;
    let mut dir = exe.parent().context("executable has no directory")?;
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().context("deps has no parent")?;
    }
    Ok(dir.to_path_buf())
}

/// Paths of the workspace's binaries `bins`, as `(package, binary)`, in the running
/// executable's profile. Unless the environment variable `no_build` is set, they are
/// built first through cargo (quietly; `--release` for a release profile).
pub fn workspace_binaries(bins: &[(&str, &str)], no_build: &str) -> anyhow::Result<Vec<PathBuf>> {
    let dir = profile_dir()?;
    if std::env::var_os(no_build).is_none() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet"]);
        for (package, bin) in bins {
            cmd.args(["-p", package, "--bin", bin]);
        }
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd
            .stdin(Stdio::null())
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("cargo build of {bins:?} failed: {status}");
        }
    }
    bins.iter()
        .map(|(_, bin)| {
            let path = dir.join(bin);
            if path.is_file() {
                Ok(path)
            } else {
                bail!("{} is missing", path.display())
            }
        })
        .collect()
}

/// The names of the entries of `dir` (hidden ones included), sorted: what a test compares
/// to show that a write left exactly the files it should, and no temporary. Panics,
/// naming the directory, when it cannot be read: it is for tests.
pub fn names_in(dir: &Path) -> Vec<String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => panic!("listing {}: {e}", dir.display()),
    };
    let mut names: Vec<String> = entries
        .map(|e| match e {
            Ok(e) => e.file_name().to_string_lossy().into_owned(),
            Err(e) => panic!("listing {}: {e}", dir.display()),
        })
        .collect();
    names.sort();
    names
}

/// Leaves in `dir` what a writer of the output `output_name` killed mid-write leaves
/// behind: its durable temporary `.NAME.tmp-PID-RANDOM`, holding `PID` of a process that
/// has ended (one this function started and reaped). Returns the temporary's path.
pub fn killed_writers_temporary(dir: &Path, output_name: &str) -> anyhow::Result<PathBuf> {
    let mut child = Command::new("true")
        .stdin(Stdio::null())
        .spawn()
        .context("starting `true`")?;
    let pid = child.id();
    child.wait().context("reaping `true`")?;
    let path = dir.join(format!(".{output_name}.tmp-{pid}-k1lled"));
    std::fs::write(&path, b"half of an output").with_context(|| path.display().to_string())?;
    Ok(path)
}
