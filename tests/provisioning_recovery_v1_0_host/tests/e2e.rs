//! `nx flash send` against `nx flash serve` end to end: over a pseudo-terminal pair
//! (serial path, 8N1 through the serialport crate) with verify and reboot, over a unix
//! socket with a transfer killed half-way and finished with `--resume`, and serve's
//! refusal to start without a trusted key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use provisioning_recovery_v1_0_host::{
    nx_binary, run_timed, sha256_hex, test_key_files, DevImage, KillOnDrop, PtyPair,
};

/// Builds the suite's image in `dir`: the dev image fixture, signed, version 2.0.0, with a
/// 256 KiB state partition and a kernel of `kernel_len` bytes.
fn build_image(dir: &Path, kernel_len: usize) {
    DevImage {
        kernel_len,
        initrd_len: 70_000,
        system_version: "2.0.0",
        state_size: Some("256K"),
        signed: true,
    }
    .build(nx_binary().unwrap(), dir)
    .unwrap();
}

fn serve(dir: &Path, port: &str, extra: &[&str]) -> KillOnDrop {
    let (_, public) = test_key_files();
    let log = fs::File::create(dir.join("serve.log")).unwrap();
    let child = Command::new(nx_binary().unwrap())
        .args([
            "flash",
            "serve",
            "--port",
            port,
            "--disk",
            "target.img",
            "--trust",
        ])
        .arg(public)
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

/// Runs nx with a deadline; returns (success, stdout, stderr).
fn nx_timed(dir: &Path, args: &[&str], timeout: Duration) -> (bool, String, String) {
    let out = run_timed(
        Command::new(nx_binary().unwrap())
            .args(args)
            .current_dir(dir),
        timeout,
    )
    .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn send_to_serve_over_a_pty_pair_then_verify_and_reboot() {
    let d = tempfile::tempdir().unwrap();
    build_image(d.path(), 2_000_000);
    let ptys = PtyPair::new(d.path()).unwrap();
    let _serve = serve(d.path(), ptys.a.to_str().unwrap(), &[]);
    let port = ptys.b.to_str().unwrap();
    let (ok, out, err) = nx_timed(
        d.path(),
        &[
            "flash",
            "send",
            "--img",
            "os.img",
            "--manifest",
            "os.manifest.json",
            "--port",
            port,
            "--baud",
            "115200",
            "--chunk",
            "65536",
        ],
        Duration::from_secs(40),
    );
    let log = fs::read_to_string(d.path().join("serve.log")).unwrap_or_default();
    assert!(ok, "send failed: {err}\nserve: {log}");
    assert!(out.contains("every range verified"), "{out}");
    assert!(
        out.contains("goodput") && out.contains("retransmits"),
        "{out}"
    );
    let img = fs::read(d.path().join("os.img")).unwrap();
    let disk = fs::read(d.path().join("target.img")).unwrap();
    assert_eq!(sha256_hex(&disk), sha256_hex(&img));

    let (ok, out, err) = nx_timed(
        d.path(),
        &["flash", "verify", "--port", port],
        Duration::from_secs(20),
    );
    assert!(ok, "verify failed: {err}");
    assert!(
        out.contains("kernel") && out.contains("ok: every range matches"),
        "{out}"
    );

    let (ok, out, err) = nx_timed(
        d.path(),
        &["flash", "reboot", "recovery", "--port", port],
        Duration::from_secs(20),
    );
    assert!(ok, "reboot failed: {err}");
    assert!(out.contains("recovery"), "{out}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = fs::read_to_string(d.path().join("serve.log")).unwrap_or_default();
        if log.contains("reboot (recovery) requested") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "serve never saw the reboot: {log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_killed_send_finishes_with_resume_over_a_unix_socket() {
    let d = tempfile::tempdir().unwrap();
    build_image(d.path(), 24_000_000);
    let sock = format!("unix:{}", d.path().join("flash.sock").display());
    let _serve = serve(d.path(), &sock, &[]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !d.path().join("flash.sock").exists() {
        assert!(Instant::now() < deadline, "serve did not listen");
        std::thread::sleep(Duration::from_millis(10));
    }
    // First attempt: killed as soon as the device accepted the manifest, mid-transfer.
    let child = Command::new(nx_binary().unwrap())
        .args([
            "flash",
            "send",
            "--img",
            "os.img",
            "--manifest",
            "os.manifest.json",
            "--port",
            &sock,
            "--chunk",
            "1024",
        ])
        .current_dir(d.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fs::read_to_string(d.path().join("serve.log"))
        .unwrap_or_default()
        .contains("manifest accepted")
    {
        assert!(
            Instant::now() < deadline,
            "the device never accepted the manifest"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(20));
    drop(first.0.kill());
    let _ = first.wait_timeout(Duration::from_secs(5));
    let (ok, out, err) = nx_timed(
        d.path(),
        &[
            "flash",
            "send",
            "--img",
            "os.img",
            "--manifest",
            "os.manifest.json",
            "--port",
            &sock,
            "--chunk",
            "65536",
            "--resume",
        ],
        Duration::from_secs(40),
    );
    let log = fs::read_to_string(d.path().join("serve.log")).unwrap_or_default();
    assert!(ok, "resume failed: {err}\nserve: {log}");
    assert!(
        out.contains("resumed ("),
        "the second send resumed: {out}\n{log}"
    );
    let img = fs::read(d.path().join("os.img")).unwrap();
    let disk = fs::read(d.path().join("target.img")).unwrap();
    assert_eq!(sha256_hex(&disk), sha256_hex(&img));
}

#[test]
fn serve_refuses_to_start_without_a_trusted_key() {
    let d = tempfile::tempdir().unwrap();
    let (ok, _, err) = nx_timed(
        d.path(),
        &["flash", "serve", "--port", "unix:x.sock", "--disk", "t.img"],
        Duration::from_secs(10),
    );
    assert!(!ok);
    assert!(err.contains("no trusted key"), "{err}");
}

#[test]
fn insecure_serve_announces_itself_on_every_connection() {
    let d = tempfile::tempdir().unwrap();
    build_image(d.path(), 100_000);
    let sock = format!("unix:{}", d.path().join("i.sock").display());
    let log = fs::File::create(d.path().join("serve.log")).unwrap();
    let child = Command::new(nx_binary().unwrap())
        .args([
            "flash",
            "serve",
            "--port",
            &sock,
            "--disk",
            "target.img",
            "--insecure-accept-unsigned",
        ])
        .current_dir(d.path())
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let _serve = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !d.path().join("i.sock").exists() {
        assert!(Instant::now() < deadline, "serve did not listen");
        std::thread::sleep(Duration::from_millis(10));
    }
    for _ in 0..2 {
        let (ok, _, err) = nx_timed(
            d.path(),
            &[
                "flash",
                "send",
                "--img",
                "os.img",
                "--manifest",
                "os.manifest.json",
                "--port",
                &sock,
            ],
            Duration::from_secs(20),
        );
        assert!(ok, "{err}");
        assert!(err.contains("insecure"), "the host warns too: {err}");
    }
    std::thread::sleep(Duration::from_millis(100));
    let log = fs::read_to_string(d.path().join("serve.log")).unwrap();
    assert_eq!(log.matches("WARNING: insecure mode").count(), 2, "{log}");
}
