//! `nx state` and `nx reset factory --image` on an image's store, and an independent
//! littlefs implementation (littlefs-python, installed by scripts/bootstrap.sh) reading
//! and writing the same store from the documented geometry alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{nx, nx_command, ok, Run};
use test_harness::DevImage;

fn fails(run: &Run) -> &str {
    assert_ne!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    &run.stderr
}

/// A built image with a 1 MiB state partition (a header and zeros), in a new directory.
fn image() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let img = DevImage {
        state_size: Some("1M"),
        ..DevImage::default()
    };
    img.build(Path::new(env!("CARGO_BIN_EXE_nx")), d.path())
        .unwrap();
    d
}

fn put(dir: &Path, path: &str, body: &[u8]) {
    let mut child = nx_command(dir, &["state", "put", "--image", "os.img", path])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn listing(dir: &Path) -> BTreeMap<String, (String, u64)> {
    let run = nx(dir, &["state", "ls", "-r", "--json", "--image", "os.img"]);
    let doc: serde_json::Value = serde_json::from_str(ok(&run)).unwrap();
    assert_eq!(doc["schema"], "nx.state.ls/1");
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                (
                    e["kind"].as_str().unwrap().to_string(),
                    e["size"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_new_image_has_no_store_until_formatted_then_files_go_in_and_out() {
    let d = image();
    let dir = d.path();
    let err = fails(&nx(dir, &["state", "ls", "--image", "os.img"])).to_string();
    assert!(
        err.contains("os.img") && err.contains("not formatted"),
        "{err}"
    );
    let err = fails(&nx(dir, &["state", "format", "--image", "os.img"])).to_string();
    assert!(err.contains("--yes"), "{err}");
    ok(&nx(dir, &["state", "format", "--image", "os.img", "--yes"]));

    fs::write(dir.join("key.pub"), b"ed25519 key\n").unwrap();
    ok(&nx(
        dir,
        &[
            "state",
            "put",
            "--image",
            "os.img",
            "trust/keys/extra.pub",
            "key.pub",
        ],
    ));
    put(dir, "crash/1.nxcd", &[9u8; 20_000]);
    put(dir, "settings/net/eth0", b"dhcp");
    let cat = nx(
        dir,
        &["state", "cat", "--image", "os.img", "trust/keys/extra.pub"],
    );
    assert_eq!(ok(&cat), "ed25519 key\n");
    let all = listing(dir);
    assert_eq!(all["crash/1.nxcd"], ("file".to_string(), 20_000));
    assert_eq!(all["settings/net"], ("dir".to_string(), 0));
    for top in ["crash", "settings", "trust"] {
        assert_eq!(all[top].0, "dir", "{top}");
    }

    // Refusals name the image and the path, and change nothing.
    let err = fails(&nx(
        dir,
        &["state", "cat", "--image", "os.img", "crash/nope"],
    ))
    .to_string();
    assert!(
        err.contains("os.img") && err.contains("state:/crash/nope"),
        "{err}"
    );
    let err = fails(&nx(
        dir,
        &["state", "put", "--image", "os.img", "../x", "key.pub"],
    ))
    .to_string();
    assert!(err.contains("'..'"), "{err}");
    let err = fails(&nx(dir, &["state", "rm", "--image", "os.img", "settings"])).to_string();
    assert!(err.contains("not empty"), "{err}");
    let err = fails(&nx(
        dir,
        &["state", "put", "--image", "os.img", "a", "missing.bin"],
    ))
    .to_string();
    assert!(err.contains("missing.bin"), "{err}");
    assert_eq!(listing(dir), all);

    ok(&nx(
        dir,
        &["state", "rm", "-r", "--image", "os.img", "settings/net"],
    ));
    assert!(!listing(dir).contains_key("settings/net/eth0"));

    // The image still verifies against its manifest, which says the state partition
    // changed, as expected of a provisioned image.
    let v = nx(
        dir,
        &[
            "image",
            "verify",
            "os.img",
            "--manifest",
            "os.manifest.json",
            "--allow-unsigned",
        ],
    );
    assert!(ok(&v).contains("state partition differs"), "{}", v.stdout);
}

#[test]
fn a_factory_reset_of_an_image_keeps_trust_and_boot() {
    let d = image();
    let dir = d.path();
    ok(&nx(dir, &["state", "format", "--image", "os.img", "--yes"]));
    put(dir, "trust/anchor.pub", b"anchor");
    put(dir, "boot/bootctl", b"slot=b");
    put(dir, "crash/2.nxcd", b"dump");
    put(dir, "apps/x/y/z", b"app data");
    let err = fails(&nx(dir, &["reset", "factory", "--image", "os.img"])).to_string();
    assert!(err.contains("--yes"), "{err}");
    let dry = nx(dir, &["reset", "factory", "--image", "os.img", "--dry-run"]);
    assert!(
        ok(&dry).contains("would remove crash/2.nxcd"),
        "{}",
        dry.stdout
    );
    assert!(listing(dir).contains_key("crash/2.nxcd"));
    let run = nx(dir, &["reset", "factory", "--image", "os.img", "--yes"]);
    assert!(ok(&run).contains("removed apps/x/y/z"), "{}", run.stdout);
    let left: Vec<String> = listing(dir).into_keys().collect();
    assert_eq!(left, ["boot", "boot/bootctl", "trust", "trust/anchor.pub"]);
}

/// The python of the virtual environment bootstrap makes (under the target directory).
fn littlefs_python() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let python = target.join("tools/venv/bin/python3");
    assert!(
        python.exists(),
        "{} is missing: scripts/bootstrap.sh installs littlefs-python there",
        python.display()
    );
    python
}

fn state_range(image: &Path) -> (u64, u64) {
    let dev = statefs::file::PartitionFile::open(image, false).unwrap();
    (dev.offset(), statefs::BlockDevice::size(&dev))
}

fn reader(args: &[&str]) -> String {
    let script = test_harness::workspace_root().join("userspace/statefs/tests/lfs_reader.py");
    let out = Command::new(littlefs_python())
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn littlefs_python_reads_and_writes_the_store_nx_writes() {
    let d = image();
    let dir = d.path();
    ok(&nx(dir, &["state", "format", "--image", "os.img", "--yes"]));
    let big: Vec<u8> = (0..50_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    put(dir, "crash/big.nxcd", &big);
    put(dir, "trust/keys/k.pub", b"key");
    let img = dir.join("os.img");
    let (offset, size) = state_range(&img);
    let (o, s) = (offset.to_string(), size.to_string());
    let img_s = img.to_str().unwrap();

    let doc: serde_json::Value = serde_json::from_str(&reader(&["list", img_s, &o, &s])).unwrap();
    assert_eq!(doc["disk_version"], 0x0002_0001);
    assert_eq!(doc["block_count"], (size - 4096) / 4096);
    let entries = doc["entries"].as_object().unwrap();
    let ours = listing(dir);
    let theirs: BTreeMap<String, (String, u64)> = entries
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v["kind"].as_str().unwrap().to_string(),
                    v["size"].as_u64().unwrap_or(0),
                ),
            )
        })
        .collect();
    assert_eq!(theirs, ours);
    use sha2::Digest as _;
    let want = hex::encode(sha2::Sha256::digest(&big));
    assert_eq!(entries["crash/big.nxcd"]["sha256"], want.as_str());

    // The other way: a file littlefs-python writes is read whole by nx.
    fs::write(dir.join("from-python"), b"written by littlefs-python").unwrap();
    let from = dir.join("from-python");
    reader(&[
        "put",
        img_s,
        &o,
        &s,
        "settings/py/file",
        from.to_str().unwrap(),
    ]);
    let cat = nx(
        dir,
        &["state", "cat", "--image", "os.img", "settings/py/file"],
    );
    assert_eq!(ok(&cat), "written by littlefs-python");
}
