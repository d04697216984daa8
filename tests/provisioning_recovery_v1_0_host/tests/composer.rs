//! The image composer through `nx image`: a tiny two-segment image whose manifest and
//! signature verify, whose bytes are identical across runs whatever the umask, time zone,
//! locale and working directory, and whose partition table `sfdisk --dump` and
//! `sgdisk -v` read and accept; and each verification failure named clearly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use provisioning_recovery_v1_0_host::{nx_binary, run_timed, sha256_hex, test_key_files, DevImage};
use test_harness::dev_image::{IMAGE_FILE, INITRD_FILE, KERNEL_FILE, MANIFEST_FILE};

const TIMEOUT: Duration = Duration::from_secs(60);

fn nx(args: &[&str], cwd: &Path) -> Output {
    run_timed(
        Command::new(nx_binary().unwrap())
            .args(args)
            .current_dir(cwd),
        TIMEOUT,
    )
    .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The stderr of a run that failed with exit status `code` (the table in
/// docs/devx/nx-cli.md: 3 verification failed, 4 bad input, ...).
fn fails(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The suite's image: the dev image fixture, signed, version 1.2.3.
const IMAGE: DevImage = DevImage {
    kernel_len: 300_000,
    initrd_len: 5_000,
    system_version: "1.2.3",
    state_size: None,
    signed: true,
};

/// Writes the two segments of [`IMAGE`] into `dir`.
fn segments(dir: &Path) {
    IMAGE.write_segments(dir).unwrap();
}

/// Builds [`IMAGE`] in `dir` (segments already written), with `extra` arguments.
fn build(dir: &Path, extra: &[&str]) -> Output {
    let mut args = IMAGE.build_args();
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    nx(&args, dir)
}

#[test]
fn tiny_two_segment_image_verifies_and_is_reproducible() {
    let a = tempfile::tempdir().unwrap();
    segments(a.path());
    ok(&build(a.path(), &[]));
    let (_, public) = test_key_files();
    let out = ok(&nx(
        &[
            "image",
            "verify",
            "os.img",
            "--manifest",
            "os.manifest.json",
            "--pub",
            public.to_str().unwrap(),
        ],
        a.path(),
    ));
    assert!(
        out.starts_with("ok: os.img matches os.manifest.json"),
        "{out}"
    );
    assert!(
        a.path().join("os.sig").is_file(),
        "signature beside the manifest"
    );

    // Same inputs elsewhere, other umask, time zone, locale: identical bytes.
    let b = tempfile::tempdir().unwrap();
    segments(b.path());
    // The same build from a subdirectory: every file argument one level up.
    let files = [KERNEL_FILE, INITRD_FILE, IMAGE_FILE, MANIFEST_FILE];
    let args = IMAGE.build_args().into_iter().map(|a| {
        if files.contains(&a.as_str()) {
            format!("../{a}")
        } else {
            a
        }
    });
    let status = run_timed(
        Command::new("sh")
            .arg("-c")
            .arg("umask 077; mkdir -p sub && cd sub && exec \"$@\"")
            .arg("sh")
            .arg(nx_binary().unwrap())
            .args(args)
            .current_dir(b.path())
            .env("TZ", "Asia/Kolkata")
            .env("LC_ALL", "de_DE.UTF-8")
            .env("SOURCE_DATE_EPOCH", "12345"),
        TIMEOUT,
    )
    .unwrap()
    .status;
    assert!(status.success());
    for f in ["os.img", "os.manifest.json", "os.sig"] {
        let x = fs::read(a.path().join(f)).unwrap();
        let y = fs::read(b.path().join(f)).unwrap();
        assert_eq!(sha256_hex(&x), sha256_hex(&y), "{f} differs between runs");
    }
}

#[test]
fn sfdisk_and_sgdisk_accept_the_partition_table() {
    let d = tempfile::tempdir().unwrap();
    segments(d.path());
    ok(&build(d.path(), &["--state-size", "1M"]));
    let dump = run_timed(
        Command::new("sfdisk")
            .args(["--dump", "os.img"])
            .current_dir(d.path()),
        TIMEOUT,
    )
    .unwrap();
    assert!(
        dump.status.success(),
        "sfdisk: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(text.contains("label: gpt"), "{text}");
    for (i, name) in ["kernel", "initrd", "state"].iter().enumerate() {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("os.img{} ", i + 1)))
            .unwrap_or_else(|| panic!("no partition {} in {text}", i + 1));
        assert!(line.contains(&format!("name=\"{name}\"")), "{line}");
        assert!(
            line.contains("type=0FC63DAF-8483-4772-8E79-3D69D8477DE4"),
            "{line}"
        );
    }
    assert!(
        text.contains("start=        2048"),
        "first partition at 1 MiB: {text}"
    );
    let v = run_timed(
        Command::new("sgdisk")
            .args(["-v", "os.img"])
            .current_dir(d.path()),
        TIMEOUT,
    )
    .unwrap();
    let vtext = String::from_utf8_lossy(&v.stdout);
    assert!(v.status.success(), "sgdisk: {vtext}");
    assert!(vtext.contains("No problems found"), "{vtext}");
}

#[test]
fn verify_names_what_is_wrong() {
    let d = tempfile::tempdir().unwrap();
    segments(d.path());
    ok(&build(d.path(), &[]));
    let (_, public) = test_key_files();
    let public = public.to_str().unwrap();
    let verify = |img: &str, extra: &[&str]| {
        let mut args = vec!["image", "verify", img, "--manifest", "os.manifest.json"];
        args.extend_from_slice(extra);
        nx(&args, d.path())
    };
    // A flipped byte in the kernel segment names the kernel.
    let mut bytes = fs::read(d.path().join("os.img")).unwrap();
    bytes[(1 << 20) + 1000] ^= 1;
    fs::write(d.path().join("bad.img"), &bytes).unwrap();
    let e = fails(&verify("bad.img", &["--pub", public]), 3);
    assert!(e.contains("segment kernel: SHA-256 does not match"), "{e}");
    // Truncated.
    fs::write(d.path().join("short.img"), &bytes[..bytes.len() - 4096]).unwrap();
    let e = fails(&verify("short.img", &["--pub", public]), 3);
    assert!(e.contains("image truncated"), "{e}");
    // Bad signature: another key.
    let other_pub =
        provisioning_recovery_v1_0_host::workspace_root().join("keys/test/ed25519-alt.pub");
    let e = fails(
        &verify("os.img", &["--pub", other_pub.to_str().unwrap()]),
        3,
    );
    assert!(e.contains("not made by any trusted key"), "{e}");
    // Wrong board.
    let e = fails(
        &verify("os.img", &["--pub", public, "--board", "other-board"]),
        3,
    );
    assert!(
        e.contains("manifest is for board qemu-virt, expected other-board"),
        "{e}"
    );
    // Missing segment: the kernel's partition entry erased from a consistent GPT.
    let mut gpt = fs::read(d.path().join("os.img")).unwrap();
    gpt.copy_within(1024 + 128..1024 + 256, 1024);
    gpt[1024 + 128..1024 + 256].fill(0);
    let entries_crc = crc32fast::hash(&gpt[1024..1024 + 16384]);
    gpt[512 + 88..512 + 92].copy_from_slice(&entries_crc.to_le_bytes());
    gpt[512 + 16..512 + 20].fill(0);
    let header_crc = crc32fast::hash(&gpt[512..512 + 92]);
    gpt[512 + 16..512 + 20].copy_from_slice(&header_crc.to_le_bytes());
    fs::write(d.path().join("nogpt.img"), &gpt).unwrap();
    let e = fails(&verify("nogpt.img", &["--pub", public]), 3);
    assert!(e.contains("segment kernel: missing from the image"), "{e}");
    // A damaged table is named as such.
    gpt[600] ^= 1;
    fs::write(d.path().join("badgpt.img"), &gpt).unwrap();
    let e = fails(&verify("badgpt.img", &["--pub", public]), 3);
    assert!(
        e.contains("partition table: primary header CRC32 mismatch"),
        "{e}"
    );
    // Tampered manifest.
    let m = fs::read_to_string(d.path().join("os.manifest.json")).unwrap();
    fs::write(
        d.path().join("os.manifest.json"),
        m.replace("1.2.3", "1.2.4"),
    )
    .unwrap();
    let e = fails(&verify("os.img", &["--pub", public]), 3);
    assert!(e.contains("not made by any trusted key"), "{e}");
}

#[test]
fn missing_segments_are_absent_in_the_manifest() {
    let d = tempfile::tempdir().unwrap();
    segments(d.path());
    ok(&build(d.path(), &[]));
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(d.path().join("os.manifest.json")).unwrap()).unwrap();
    let segs = m["segments"].as_array().unwrap();
    let present: Vec<(&str, bool)> = segs
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["present"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        present,
        [
            ("bootloader", false),
            ("kernel", true),
            ("initrd", true),
            ("rootfs", false),
            ("pkgfs", false),
            ("state", false)
        ]
    );
    assert_eq!(m["signature"], "ed25519");
    let names: Vec<&str> = m["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "protective-mbr",
            "gpt-primary",
            "kernel",
            "initrd",
            "gpt-backup"
        ]
    );
}

#[test]
fn profiles_and_bad_inputs_are_refused_with_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    segments(d.path());
    let (private, _) = test_key_files();
    let base = [
        "image",
        "build",
        "--board",
        "qemu-virt",
        "--system-version",
        "1.0.0",
        "--kernel",
        "kernel.bin",
        "--initrd",
        "initrd.img",
        "--out",
        "r.img",
        "--manifest",
        "r.manifest.json",
    ];
    let run = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        nx(&a, d.path())
    };
    let e = fails(&run(&["--profile", "release", "--state-size", "1M"]), 4);
    assert!(e.contains("refuses to build unsigned"), "{e}");
    let e = fails(
        &run(&[
            "--profile",
            "release",
            "--state-size",
            "1M",
            "--sign",
            private.to_str().unwrap(),
        ]),
        4,
    );
    assert!(e.contains("committed test key"), "{e}");
    let e = fails(
        &run(&["--profile", "release", "--sign", private.to_str().unwrap()]),
        4,
    );
    assert!(e.contains("segment state"), "{e}");
    assert!(
        !d.path().join("r.img").exists(),
        "no output after a refusal"
    );
    // Unsigned dev build says so in the manifest; verify needs --allow-unsigned.
    ok(&run(&["--profile", "dev"]));
    let m = fs::read_to_string(d.path().join("r.manifest.json")).unwrap();
    assert!(m.contains("\"signature\":\"none\""), "{m}");
    let e = fails(
        &nx(
            &["image", "verify", "r.img", "--manifest", "r.manifest.json"],
            d.path(),
        ),
        3,
    );
    assert!(e.contains("unsigned"), "{e}");
    ok(&nx(
        &[
            "image",
            "verify",
            "r.img",
            "--manifest",
            "r.manifest.json",
            "--allow-unsigned",
        ],
        d.path(),
    ));
    // Bad board, bad version, oversized segment (sparse), empty segment.
    let dev_build = |board: &str, version: &str, segment: &str, file: &str| {
        fails(
            &nx(
                &[
                    "image",
                    "build",
                    "--profile",
                    "dev",
                    "--board",
                    board,
                    "--system-version",
                    version,
                    segment,
                    file,
                    "--out",
                    "x.img",
                    "--manifest",
                    "x.json",
                ],
                d.path(),
            ),
            4,
        )
    };
    let e = dev_build("Bad_Board", "1.0.0", "--kernel", "kernel.bin");
    assert!(e.contains("board"), "{e}");
    let e = dev_build("b", "1.0", "--kernel", "kernel.bin");
    assert!(e.contains("semver"), "{e}");
    let big = fs::File::create(d.path().join("huge.bin")).unwrap();
    big.set_len((4 << 30) + 1).unwrap();
    let e = dev_build("b", "1.0.0", "--rootfs", "huge.bin");
    assert!(
        e.contains("segment rootfs") && e.contains("over the limit"),
        "{e}"
    );
    fs::write(d.path().join("empty.bin"), b"").unwrap();
    let e = dev_build("b", "1.0.0", "--pkgfs", "empty.bin");
    assert!(e.contains("segment pkgfs: file is empty"), "{e}");
    assert!(!d.path().join("x.img").exists());
    let leftovers: Vec<_> = fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn inspect_and_extract_round_trip_a_segment() {
    let d = tempfile::tempdir().unwrap();
    segments(d.path());
    ok(&build(d.path(), &["--state-size", "64K"]));
    let out = ok(&nx(
        &[
            "image",
            "inspect",
            "os.img",
            "--manifest",
            "os.manifest.json",
            "--json",
        ],
        d.path(),
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "nx.image.inspect/1");
    let names: Vec<&str> = v["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kernel", "initrd", "state"]);
    ok(&nx(
        &[
            "image",
            "extract",
            "os.img",
            "kernel",
            "--manifest",
            "os.manifest.json",
            "--out",
            "k.out",
        ],
        d.path(),
    ));
    assert_eq!(
        fs::read(d.path().join("k.out")).unwrap(),
        fs::read(d.path().join("kernel.bin")).unwrap()
    );
    let e = fails(
        &nx(
            &["image", "extract", "os.img", "kernel", "--out", "k.out"],
            d.path(),
        ),
        4,
    );
    assert!(e.contains("already exists"), "{e}");
    ok(&nx(
        &["image", "extract", "os.img", "state", "--out", "s.out"],
        d.path(),
    ));
    let state = fs::read(d.path().join("s.out")).unwrap();
    assert_eq!(state.len(), 1 << 20);
    let h = image::state::StateHeader::decode(&state).unwrap();
    assert_eq!((h.size, h.generation), (1 << 20, 0));
    let e = fails(
        &nx(
            &["image", "extract", "os.img", "rootfs", "--out", "r.out"],
            d.path(),
        ),
        4,
    );
    assert!(e.contains("segment rootfs: missing"), "{e}");
}
