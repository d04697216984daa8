//! Harness of the provisioning and recovery suite and benchmark: finds (building when
//! needed) the workspace's `nx` binary, runs child processes that are killed when their
//! guard drops, links two pseudo-terminals with `socat`, builds small test images in memory
//! (the dev image fixture `nx image build` makes is `test_harness::DevImage`), and
//! drives the flasher's two state machines in process over a wire that can drop,
//! corrupt, duplicate, reorder and cut frames on a virtual clock.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use flash::device::{Device, Storage};
use flash::frame::Decoder;
use flash::sender::{Outcome, Sender, SenderStats};
use flash::ProtocolError;
use image::{build_in_memory, Profile, SegmentName, SignatureKind};
use signing::SecretKey;

pub use test_harness::{pattern, test_key_files, workspace_root, DevImage, KillOnDrop};

/// The workspace's `nx` binary of the running executable's profile, built once per
/// process through cargo (unless `PROVISIONING_NO_BUILD` is set) so tests never run a
/// stale binary.
pub fn nx_binary() -> anyhow::Result<&'static Path> {
    static NX: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    NX.get_or_init(|| find_nx().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map(|p| p.as_path())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn find_nx() -> anyhow::Result<PathBuf> {
    let mut paths = test_harness::workspace_binaries(&[("nx", "nx")], "PROVISIONING_NO_BUILD")?;
    paths.pop().context("no nx path")
}

/// Two linked pseudo-terminals made by `socat` (raw, no echo): bytes written to one
/// come out of the other.
#[derive(Debug)]
pub struct PtyPair {
    /// The first terminal's path (a symlink to /dev/pts/N).
    pub a: PathBuf,
    /// The second terminal's path.
    pub b: PathBuf,
    _socat: KillOnDrop,
}

impl PtyPair {
    /// Starts socat with both links in `dir`, waiting at most 5 s for them.
    pub fn new(dir: &Path) -> anyhow::Result<PtyPair> {
        let a = dir.join("pty-a");
        let b = dir.join("pty-b");
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting socat (installed by scripts/bootstrap.sh)")?;
        let guard = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !(a.exists() && b.exists()) {
            if Instant::now() > deadline {
                bail!(
                    "socat did not create {} and {} within 5 s",
                    a.display(),
                    b.display()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let a = std::fs::canonicalize(&a).context("resolving pty a")?;
        let b = std::fs::canonicalize(&b).context("resolving pty b")?;
        Ok(PtyPair {
            a,
            b,
            _socat: guard,
        })
    }
}

/// A small signed test image: its bytes, canonical manifest bytes and signature.
#[derive(Debug, Clone)]
pub struct TestImage {
    /// The image.
    pub image: Vec<u8>,
    /// The manifest's bytes.
    pub manifest: Vec<u8>,
    /// The signature over them.
    pub signature: [u8; 64],
}

/// Builds a kernel + initrd image in memory, signed by `key`.
pub fn test_image(kernel_len: usize, key: &SecretKey) -> anyhow::Result<TestImage> {
    let kernel = pattern(kernel_len, 0x5eed);
    let initrd = pattern(3000, 0x1417);
    let (image, manifest) = build_in_memory(
        &[
            (SegmentName::Kernel, &kernel),
            (SegmentName::Initrd, &initrd),
        ],
        Some(64 << 10),
        "qemu-virt",
        "1.0.0",
        Profile::Dev,
        SignatureKind::Ed25519,
    )?;
    let manifest = manifest.encode();
    let signature = *key.sign(&manifest).as_bytes();
    Ok(TestImage {
        image,
        manifest,
        signature,
    })
}

/// Which way a frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Host to device.
    ToDevice,
    /// Device to host.
    ToHost,
}

/// What the wire does with one frame: the byte strings to deliver in its place (none to
/// drop it, two to duplicate it, altered bytes to corrupt it). `index` counts frames per
/// direction from 1.
pub type Fault<'a> = dyn FnMut(Dir, u64, Vec<u8>) -> Vec<Vec<u8>> + 'a;

/// How a wire run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireResult {
    /// The session's end, `None` when the wire was cut first.
    pub outcome: Option<Result<Outcome, ProtocolError>>,
    /// The sender's counters.
    pub stats: SenderStats,
    /// Frames delivered to the device.
    pub delivered: u64,
}

/// Runs `sender` against `device` in process: every frame goes through `fault`, arrives
/// 1 ms later (virtual), and a frame held back by `reorder_hold` is released after the
/// next one. The wire is cut after `cut_after` frames reach the device.
pub fn run_wire<S: Storage>(
    sender: &mut Sender,
    device: &mut Device<S>,
    mut image: &[u8],
    fault: &mut Fault<'_>,
    cut_after: Option<u64>,
) -> WireResult {
    let mut now = 0u64;
    let mut counts = [0u64; 2];
    let mut dev_rx = Decoder::new();
    let mut host_rx = Decoder::new();
    let mut to_device: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut to_host: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut delivered = 0u64;
    let latency = 1_000;
    for _ in 0..5_000_000 {
        while let Some(bytes) = sender.poll_transmit(now, &mut image) {
            counts[0] += 1;
            for b in fault(Dir::ToDevice, counts[0], bytes) {
                to_device.push((now + latency, b));
            }
        }
        if sender.is_finished() {
            break;
        }
        if cut_after.is_some_and(|c| delivered >= c) {
            return WireResult {
                outcome: None,
                stats: sender.stats(),
                delivered,
            };
        }
        let mut moved = false;
        let due: Vec<Vec<u8>> = take_due(&mut to_device, now);
        for b in due {
            moved = true;
            dev_rx.push(&b);
            while let Some(frame) = dev_rx.next_frame() {
                delivered += 1;
                if let Some(reply) = device.handle(&frame) {
                    counts[1] += 1;
                    for r in fault(Dir::ToHost, counts[1], reply.encode()) {
                        to_host.push((now + latency, r));
                    }
                }
            }
        }
        for b in take_due(&mut to_host, now) {
            moved = true;
            host_rx.push(&b);
            while let Some(frame) = host_rx.next_frame() {
                sender.handle(&frame, now);
            }
        }
        if moved {
            continue;
        }
        let next = to_device
            .iter()
            .chain(to_host.iter())
            .map(|(t, _)| *t)
            .chain(sender.next_deadline())
            .min();
        match next {
            Some(t) if t > now => now = t,
            Some(_) => now += 1,
            None => break,
        }
    }
    WireResult {
        outcome: sender.outcome().cloned(),
        stats: sender.stats(),
        delivered,
    }
}

fn take_due(queue: &mut Vec<(u64, Vec<u8>)>, now: u64) -> Vec<Vec<u8>> {
    let mut due = Vec::new();
    let mut keep = Vec::new();
    for (t, b) in queue.drain(..) {
        if t <= now {
            due.push(b);
        } else {
            keep.push((t, b));
        }
    }
    *queue = keep;
    due
}

/// SHA-256 of `bytes` as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    image::to_hex(&sha2::Sha256::digest(bytes))
}

/// Runs `cmd` (stdin closed, stdout and stderr captured) and waits at most `timeout`;
/// on timeout the process is killed and an error returned.
pub fn run_timed(cmd: &mut Command, timeout: Duration) -> anyhow::Result<std::process::Output> {
    use std::io::Read as _;
    let mut child = KillOnDrop(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {cmd:?}"))?,
    );
    let mut out_pipe = child.0.stdout.take().context("no stdout pipe")?;
    let mut err_pipe = child.0.stderr.take().context("no stderr pipe")?;
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let status = child
        .wait_timeout(timeout)
        .with_context(|| format!("running {cmd:?}"))?;
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}
