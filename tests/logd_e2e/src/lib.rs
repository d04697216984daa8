//! Harness of the logd end-to-end suite and benchmark: finds (building when needed) the
//! `logd` and `nx` binaries of this workspace, starts a daemon on a socket in a temporary
//! directory and waits, with a timeout, for its `logd: ready` line, and kills every
//! process it started when its guard is dropped, even when a test fails.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// The profile directory (`target/<profile>`) of the running executable.
fn profile_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running executable")?;
    let mut dir = exe.parent().context("executable has no directory")?;
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().context("deps has no parent")?;
    }
    Ok(dir.to_path_buf())
}

/// Paths of the workspace's `logd` and `nx` binaries, of the running executable's
/// profile. They are built (once per process, through cargo) unless `LOGD_E2E_NO_BUILD`
/// is set, so the suite never runs stale binaries.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The daemon.
    pub logd: PathBuf,
    /// The CLI.
    pub nx: PathBuf,
}

/// Finds, and builds when needed, the binaries.
pub fn binaries() -> anyhow::Result<&'static Binaries> {
    static BINARIES: OnceLock<Result<Binaries, String>> = OnceLock::new();
    BINARIES
        .get_or_init(|| find_binaries().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn find_binaries() -> anyhow::Result<Binaries> {
    let dir = profile_dir()?;
    if std::env::var_os("LOGD_E2E_NO_BUILD").is_none() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build", "--quiet", "-p", "logd", "-p", "nx", "--bin", "logd", "--bin", "nx",
        ]);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd
            .stdin(Stdio::null())
            .status()
            .context("running cargo build for logd and nx")?;
        if !status.success() {
            bail!("cargo build of logd and nx failed: {status}");
        }
    }
    let bins = Binaries {
        logd: dir.join("logd"),
        nx: dir.join("nx"),
    };
    for path in [&bins.logd, &bins.nx] {
        if !path.is_file() {
            bail!("{} is missing", path.display());
        }
    }
    Ok(bins)
}

/// Kills and reaps a child process when dropped.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Waits for the process to exit, at most `timeout`; kills it and fails on timeout.
    pub fn wait_timeout(&mut self, timeout: Duration) -> anyhow::Result<std::process::ExitStatus> {
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
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running daemon on a socket in its own temporary directory; killed on drop.
#[derive(Debug)]
pub struct Daemon {
    process: KillOnDrop,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

/// How long a daemon may take to print `logd: ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

impl Daemon {
    /// Starts `logd` with `extra` options (capacities, mode) and waits for `logd: ready`.
    /// The socket's directory is world-searchable so clients under other uids reach it.
    pub fn start(extra: &[&str]) -> anyhow::Result<Daemon> {
        let bins = binaries()?;
        Daemon::start_with(&bins.logd, extra)
    }

    /// Starts the daemon binary at `logd`.
    pub fn start_with(logd: &Path, extra: &[&str]) -> anyhow::Result<Daemon> {
        let dir = tempfile::Builder::new().prefix("logd-e2e").tempdir()?;
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )?;
        let socket = dir.path().join("logd.sock");
        let child = Command::new(logd)
            .arg("--socket")
            .arg(&socket)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", logd.display()))?;
        let mut process = KillOnDrop(child);
        let stdout = process.0.stdout.take().context("daemon stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line == "logd: ready" => break,
                Ok(_) => continue,
                Err(_) => bail!("logd did not print `logd: ready` within {READY_TIMEOUT:?}"),
            }
        }
        Ok(Daemon {
            process,
            socket,
            _dir: dir,
        })
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Kills the daemon now (its socket file stays behind, as after a crash).
    pub fn kill(&mut self) {
        let _ = self.process.0.kill();
        let _ = self.process.0.wait();
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// A client with a 10-second timeout.
    pub fn client(&self) -> anyhow::Result<logd::host::Client> {
        let mut client = logd::host::Client::connect(&self.socket)?;
        client.set_timeout(Some(Duration::from_secs(10)))?;
        Ok(client)
    }
}

/// A `VmRSS`/`VmHWM`-style value of `/proc/<pid>/status`, in KiB.
pub fn proc_status_kib(pid: u32, key: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {key} in /proc/{pid}/status"))
}

/// Whether this process runs as root (needed to run clients under other uids).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}
