//! Harness of the logd end-to-end suite and benchmark: finds (building when needed) the
//! `logd` and `nx` binaries of this workspace, starts a daemon on a socket in a temporary
//! directory and waits, with a timeout, for its `logd: ready` line, and kills every
//! process it started when its guard is dropped, even when a test fails.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

pub use test_harness::KillOnDrop;

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

/// A copy of the `nx` binary that every uid can run (`test_harness::SharedCopy`):
/// clients run under other uids cannot reach the workspace's own binary when the checkout
/// sits where other users cannot enter (a 0700 home directory). Removed on drop.
#[derive(Debug)]
pub struct SharedNx {
    path: PathBuf,
    _copy: test_harness::SharedCopy,
}

impl SharedNx {
    /// Copies the workspace's `nx` (mode 0755, in a 0755 directory).
    pub fn new() -> anyhow::Result<SharedNx> {
        let bins = binaries()?;
        let copy = test_harness::SharedCopy::new(&[bins.nx.as_path()])?;
        Ok(SharedNx {
            path: copy.path("nx"),
            _copy: copy,
        })
    }

    /// The copy's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn find_binaries() -> anyhow::Result<Binaries> {
    let paths =
        test_harness::workspace_binaries(&[("logd", "logd"), ("nx", "nx")], "LOGD_E2E_NO_BUILD")?;
    match paths.as_slice() {
        [logd, nx] => Ok(Binaries {
            logd: logd.clone(),
            nx: nx.clone(),
        }),
        _ => bail!("expected two binaries"),
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
