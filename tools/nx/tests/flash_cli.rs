//! `nx flash` end to end on unix sockets: `send` checks the image against its manifest
//! before sending anything, refuses out-of-range windows, and suggests `--resume` only
//! after a link failure; `serve` refuses conflicting trust options, names the journal it
//! ignores and why, and clears a stale socket file left by a killed server while refusing
//! to take over a live one or a file that is not a socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{nx, Run};
use test_harness::DevImage;

use std::io::{BufRead as _, BufReader};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Runs `nx flash serve --port PORT --disk DISK EXTRA...`, which must refuse to start
/// (with exit status `code`) saying `want`.
fn serve_refused(cwd: &Path, port: &str, disk: &str, extra: &[&str], code: i32, want: &str) {
    let mut args = vec!["flash", "serve", "--port", port, "--disk", disk];
    args.extend_from_slice(extra);
    let run = nx_bounded(cwd, &args);
    assert_eq!(run.code, code, "{}", run.stderr);
    assert!(run.stderr.contains(want), "{}", run.stderr);
}

/// Runs `nx` for at most 10 s: a command that should refuse to start must not serve.
fn nx_bounded(cwd: &Path, args: &[&str]) -> Run {
    let mut child = common::nx_command(cwd, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nx {} still running after 10 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::new(args, child.wait_with_output().unwrap())
}

fn test_key(name: &str) -> PathBuf {
    test_harness::workspace_root().join("keys/test").join(name)
}

/// A directory with the unsigned dev image fixture `os.img` (kernel and initrd), its
/// manifest, and `flipped.img`: the same image with one byte of the initrd changed.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    DevImage {
        kernel_len: 70_000,
        initrd_len: 50_000,
        ..DevImage::default()
    }
    .build(Path::new(env!("CARGO_BIN_EXE_nx")), d)
    .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("os.manifest.json")).unwrap()).unwrap();
    let initrd_offset = manifest["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "initrd")
        .map(|r| r["offset"].as_u64().unwrap())
        .expect("the manifest names the initrd range");
    let mut img = std::fs::read(d.join("os.img")).unwrap();
    img[initrd_offset as usize + 100] ^= 0xff;
    std::fs::write(d.join("flipped.img"), img).unwrap();
    dir
}

/// `nx flash serve`'s arguments for one unsigned session on `unix:dev.sock` into
/// `disk.img`.
const SERVE_ONCE: [&str; 6] = [
    "--port",
    "unix:dev.sock",
    "--disk",
    "disk.img",
    "--insecure-accept-unsigned",
    "--once",
];

/// A running `nx flash serve`; its stderr is collected line by line.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Serve {
    fn start(cwd: &Path, args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nx"))
            .args(["flash", "serve"])
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut serve = Serve {
            child,
            lines,
            seen: Vec::new(),
        };
        serve.wait_for("serve: listening on");
        serve
    }

    /// Waits (at most 20 s) for a stderr line containing `text`.
    fn wait_for(&mut self, text: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no {text:?} from serve; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Whether the server is still running.
    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for a `--once` server to exit and returns its status code.
    fn wait(mut self) -> i32 {
        let status = self.child.wait().unwrap();
        status.code().unwrap_or(-1)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn send(cwd: &Path, img: &str, sock: &str, extra: &[&str]) -> Run {
    send_to(cwd, img, &format!("unix:{sock}"), extra)
}

/// `nx flash send` of `img` with the fixture's manifest to `port` as given.
fn send_to(cwd: &Path, img: &str, port: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "flash",
        "send",
        "--image",
        img,
        "--manifest",
        "os.manifest.json",
        "--port",
        port,
    ];
    args.extend_from_slice(extra);
    nx(cwd, &args)
}

#[test]
fn send_refuses_an_image_that_does_not_match_its_manifest_and_sends_nothing() {
    let dir = fixture();
    let d = dir.path();
    let mut serve = Serve::start(d, &SERVE_ONCE);
    let run = send(d, "flipped.img", "dev.sock", &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "flipped.img does not match os.manifest.json; nothing was sent: segment initrd: SHA-256 does not match the manifest"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("--resume"), "{}", run.stderr);
    // Nothing reached the device: the port was opened first (so a missing port is said at
    // once), but no frame was sent, so the disk is empty and `--once` still serves.
    std::thread::sleep(Duration::from_millis(200));
    assert!(serve.running());
    let disk_len = |d: &Path| std::fs::metadata(d.join("disk.img")).map_or(0, |m| m.len());
    assert_eq!(disk_len(d), 0);

    // A truncated image is refused too, naming the file.
    let img = std::fs::read(d.join("os.img")).unwrap();
    std::fs::write(d.join("short.img"), &img[..img.len() - 512]).unwrap();
    let run = send(d, "short.img", "dev.sock", &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("short.img: image truncated"),
        "{}",
        run.stderr
    );
    assert_eq!(disk_len(d), 0);

    // The good image goes through, with the largest window allowed.
    let run = send(d, "os.img", "dev.sock", &["--window", "65535"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("every range verified"),
        "{}",
        run.stdout
    );
    assert_eq!(serve.wait(), 0);
    assert_eq!(std::fs::read(d.join("disk.img")).unwrap(), img);
}

#[test]
fn send_to_a_missing_port_says_so_before_reading_the_image() {
    let dir = fixture();
    let d = dir.path();
    // An image that does not match its manifest: were it checked first, that would be
    // the error.
    let run = send(d, "flipped.img", "absent.sock", &[]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("absent.sock"), "{}", run.stderr);
    assert!(!run.stderr.contains("does not match"), "{}", run.stderr);
}

#[test]
fn send_names_a_missing_image_and_a_port_that_is_no_serial_device() {
    let dir = fixture();
    let d = dir.path();
    let _serve = Serve::start(d, &SERVE_ONCE);
    let run = send(d, "MISSING.img", "dev.sock", &[]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: opening MISSING.img: No such file or directory (os error 2)\n"
    );
    for (port, what) in [
        ("os.img", "is a regular file, not a serial device"),
        (".", "is a directory, not a serial device"),
        (
            "/dev/null",
            "is a device that is not a terminal, not a serial device",
        ),
    ] {
        let run = send_to(d, "os.img", port, &[]);
        assert_eq!(run.code, 4, "{port}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            format!("error: opening serial port {port}: {what}\n"),
            "{port}"
        );
    }
}

#[test]
fn send_rejects_out_of_range_windows() {
    let dir = fixture();
    let d = dir.path();
    for w in ["0", "65536", "99999999999"] {
        let run = send(d, "os.img", "absent.sock", &["--window", w]);
        assert_eq!(run.code, 2, "--window {w}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "invalid value '{w}' for '--window <WINDOW>': {w} is not in 1..=65535"
            )),
            "--window {w}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_refusal_by_the_device_does_not_suggest_resume() {
    let dir = fixture();
    let d = dir.path();
    let key = test_key("ed25519.pub");
    let mut serve = Serve::start(
        d,
        &[
            "--port",
            "unix:dev.sock",
            "--disk",
            "disk.img",
            "--pub",
            key.to_str().unwrap(),
        ],
    );
    let run = send(d, "os.img", "dev.sock", &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("device refused MANIFEST (code 3): manifest is unsigned"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("--resume"), "{}", run.stderr);
    // The cause is printed once.
    assert_eq!(
        run.stderr.matches("manifest is unsigned").count(),
        1,
        "{}",
        run.stderr
    );
    serve.wait_for("serve: connection closed");
}

#[test]
fn a_link_failure_suggests_resume() {
    let dir = fixture();
    let d = dir.path();
    // A "device" that hangs up as soon as the host connects.
    let listener = UnixListener::bind(d.join("dev.sock")).unwrap();
    let hang_up = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        drop(conn);
    });
    let run = send(d, "os.img", "dev.sock", &[]);
    hang_up.join().unwrap();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("flashing os.img to unix:dev.sock (run again with --resume to continue): "),
        "{}",
        run.stderr
    );
}

#[test]
fn serve_refuses_trust_keys_with_insecure_mode() {
    let dir = fixture();
    let d = dir.path();
    let key = test_key("ed25519.pub");
    serve_refused(
        d,
        "unix:dev.sock",
        "disk.img",
        &[
            "--trust",
            key.to_str().unwrap(),
            "--insecure-accept-unsigned",
        ],
        2,
        "cannot be used with",
    );
    assert!(!d.join("dev.sock").exists());
}

#[test]
fn serve_refuses_a_zero_capacity() {
    let dir = fixture();
    serve_refused(
        dir.path(),
        "unix:dev.sock",
        "disk.img",
        &["--insecure-accept-unsigned", "--capacity", "0"],
        4,
        "--capacity 0: the disk could hold no image",
    );
    assert!(!dir.path().join("dev.sock").exists());
}

#[test]
fn serve_names_the_journal_it_ignores_and_why() {
    let dir = fixture();
    let d = dir.path();
    std::fs::write(d.join("disk.img.flash-journal"), b"not a journal at all").unwrap();
    let mut serve = Serve::start(d, &SERVE_ONCE);
    let run = nx(d, &["flash", "reboot", "normal", "--port", "unix:dev.sock"]);
    let line = serve.wait_for("resume journal");
    assert_eq!(
        line,
        "serve: warning: resume journal disk.img.flash-journal ignored: CRC32 mismatch (damaged)",
        "verify said: {}",
        run.stderr
    );
    serve.wait();
}

#[test]
fn serve_removes_a_stale_socket_and_keeps_a_live_one() {
    let dir = fixture();
    let d = dir.path();
    // A socket file nobody accepts on, as a killed server leaves it.
    drop(UnixListener::bind(d.join("dev.sock")).unwrap());
    assert!(d.join("dev.sock").exists());
    let mut serve = Serve::start(d, &SERVE_ONCE);
    assert!(serve
        .seen
        .iter()
        .any(|l| l.contains("removed the stale socket dev.sock")));

    // A second server on the same path is refused, and the first keeps serving.
    serve_refused(
        d,
        "unix:dev.sock",
        "other.img",
        &["--insecure-accept-unsigned"],
        4,
        "unix:dev.sock: in use by a running server",
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(serve.running(), "the probe ended the running server");
    let run = send(d, "os.img", "dev.sock", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(serve.wait(), 0);

    // A file that is not a socket is left alone.
    std::fs::write(d.join("plain"), b"keep me").unwrap();
    serve_refused(
        d,
        "unix:plain",
        "disk.img",
        &["--insecure-accept-unsigned"],
        4,
        "unix:plain: exists and is not a socket (not removed)",
    );
    assert_eq!(std::fs::read(d.join("plain")).unwrap(), b"keep me");
}

#[test]
fn send_takes_its_port_from_nx_flash_port_and_reports_each_range() {
    let dir = fixture();
    let d = dir.path();
    let serve = Serve::start(
        d,
        &[
            "-p",
            "unix:dev.sock",
            "--disk",
            "disk.img",
            "--insecure-accept-unsigned",
            "--once",
        ],
    );
    let args = [
        "flash",
        "send",
        "--image",
        "os.img",
        "--manifest",
        "os.manifest.json",
        "-b",
        "921600",
    ];
    let run = Run::new(
        &args,
        common::nx_command(d, &args)
            .env("NX_FLASH_PORT", "unix:dev.sock")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(serve.wait(), 0);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("os.manifest.json")).unwrap()).unwrap();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("flashed os.img to unix:dev.sock"),
        "{}",
        run.stdout
    );
    // One line per range, in manifest order, with its offset, size, time and rate.
    let ranges = manifest["ranges"].as_array().unwrap();
    for (range, line) in ranges.iter().zip(&lines[1..]) {
        let name = range["name"].as_str().unwrap();
        let offset = format!("at {:#010x}", range["offset"].as_u64().unwrap());
        assert!(line.trim_start().starts_with(name), "{line}");
        assert!(line.contains(&offset), "{line}");
        assert!(line.contains(" in ") && line.contains(" s"), "{line}");
    }
    let last = lines[ranges.len() + 1];
    assert!(
        last.starts_with("wrote ") && last.contains("(effective "),
        "{last}"
    );
    assert!(last.contains("KiB") || last.contains("MiB"), "{last}");
    assert_eq!(lines.len(), ranges.len() + 2, "{}", run.stdout);
}

#[test]
fn ports_lists_serial_ports_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = nx(dir.path(), &["flash", "ports", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["schema"], "nx.flash.ports/1");
    let ports = v["ports"].as_array().unwrap();
    let paths: Vec<&str> = ports.iter().map(|p| p["path"].as_str().unwrap()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(paths, sorted, "sorted by path, each once");
    for p in ports {
        assert!(["usb", "pci", "bluetooth", "unknown"].contains(&p["kind"].as_str().unwrap()));
    }
}
