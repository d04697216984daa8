//! `nx flash send` against `nx flash serve` end to end: over a pseudo-terminal pair
//! (serial path, 8N1 through the serialport crate) with verify and reboot, over a unix
//! socket with a transfer killed half-way and finished with `--resume` (after which a
//! connection without the signed manifest cannot write), `serve --once` ending on a serial
//! line, and serve's refusal to start without a trusted key.

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

/// The arguments of `nx flash send` of the suite's image to `port`, then `extra`.
fn send_args<'a>(port: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "flash",
        "send",
        "--img",
        "os.img",
        "--manifest",
        "os.manifest.json",
        "--port",
        port,
    ];
    args.extend_from_slice(extra);
    args
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
        &send_args(port, &["--baud", "115200", "--chunk", "65536"]),
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
        &[
            "flash",
            "verify",
            "--manifest",
            "os.manifest.json",
            "--port",
            port,
        ],
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
fn serve_once_on_a_serial_port_exits_after_a_complete_session() {
    let d = tempfile::tempdir().unwrap();
    build_image(d.path(), 200_000);
    let ptys = PtyPair::new(d.path()).unwrap();
    let mut serve = serve(d.path(), ptys.a.to_str().unwrap(), &["--once"]);
    let (ok, _, err) = nx_timed(
        d.path(),
        &send_args(ptys.b.to_str().unwrap(), &[]),
        Duration::from_secs(40),
    );
    assert!(ok, "send failed: {err}");
    // The line stays open (a serial port never closes); serve ends on its own.
    let status = serve.wait_timeout(Duration::from_secs(15));
    let log = fs::read_to_string(d.path().join("serve.log")).unwrap();
    let status =
        status.unwrap_or_else(|e| panic!("serve --once after a complete session: {e}\n{log}"));
    assert!(status.success(), "{log}");
    assert!(
        log.contains("serve: session finished and the line quiet for 2 s"),
        "{log}"
    );
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
        .args(send_args(&sock, &["--chunk", "1024"]))
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
        &send_args(&sock, &["--chunk", "65536", "--resume"]),
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

    // A new connection without the signed manifest cannot write into the flashed disk.
    let mut stream = std::os::unix::net::UnixStream::connect(d.path().join("flash.sock")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut write = flash::proto::WriteHeader {
        range: "kernel",
        offset: 0,
    }
    .encode();
    write.extend_from_slice(&[0xee; 4096]);
    let mut frames = flash::Frame::new(flash::Command::Hello, 1, vec![]).encode();
    frames.extend_from_slice(&flash::Frame::new(flash::Command::Write, 2, write).encode());
    std::io::Write::write_all(&mut stream, &frames).unwrap();
    let mut decoder = flash::Decoder::new();
    let mut replies = Vec::new();
    let mut buf = [0u8; 4096];
    while replies.len() < 2 {
        let n = std::io::Read::read(&mut stream, &mut buf).unwrap();
        assert!(n > 0, "serve closed the connection");
        decoder.push(&buf[..n]);
        while let Some(f) = decoder.next_frame() {
            replies.push(f);
        }
    }
    assert_eq!(replies[1].command, flash::Command::Nak);
    let nak = flash::proto::Nak::decode(&replies[1].payload).unwrap();
    assert_eq!(
        nak.code,
        flash::proto::NakCode::NoManifest as u16,
        "{}",
        nak.message
    );
    drop(stream);
    let disk = fs::read(d.path().join("target.img")).unwrap();
    assert_eq!(
        sha256_hex(&disk),
        sha256_hex(&img),
        "the refused WRITE changed the disk"
    );
    let (ok, out, err) = nx_timed(
        d.path(),
        &[
            "flash",
            "verify",
            "--manifest",
            "os.manifest.json",
            "--port",
            &sock,
        ],
        Duration::from_secs(20),
    );
    assert!(ok, "verify after the refused WRITE: {err}");
    assert!(out.contains("ok: every range matches"), "{out}");
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
        let (ok, _, err) = nx_timed(d.path(), &send_args(&sock, &[]), Duration::from_secs(20));
        assert!(ok, "{err}");
        assert!(err.contains("insecure"), "the host warns too: {err}");
    }
    std::thread::sleep(Duration::from_millis(100));
    let log = fs::read_to_string(d.path().join("serve.log")).unwrap();
    assert_eq!(log.matches("WARNING: insecure mode").count(), 2, "{log}");
}
