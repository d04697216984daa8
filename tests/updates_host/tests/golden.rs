//! Golden bytes: a fixed input set packs to a committed SHA-256, GNU tar lists it in the
//! documented order with the documented metadata, and GNU tar extracts exactly the
//! members. Regenerate the golden files with `NX_BLESS=1` after a deliberate
//! format change (and say why in the commit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use updates_host::*;

fn check_golden(name: &str, actual: &str) {
    test_harness::check_golden(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("golden")
            .join(name),
        actual,
    );
}

/// Packs the standard bundles from files, the way `nxs-pack` does.
fn pack_from_files(dir: &Path) -> PathBuf {
    let key = test_key().unwrap();
    let input = dir.join("bundles");
    fs::create_dir_all(&input).unwrap();
    for (i, b) in small_bundles(&key).unwrap().iter().enumerate() {
        // File names differ from bundle names on purpose: the member name comes from
        // the manifest.
        fs::write(input.join(format!("{}-input.nxb", 9 - i)), b).unwrap();
    }
    fs::write(input.join("notes.txt"), "ignored").unwrap();
    let out = dir.join("system-v1.0.0.nxs");
    updates::fs::pack_dir(
        &input,
        &meta("1.0.0").unwrap(),
        &key,
        &out,
        1 << 20,
        updates::DEFAULT_MAX_ARCHIVE_SIZE,
    )
    .unwrap();
    out
}

#[test]
fn packs_to_the_committed_digest() {
    let dir = tempfile::tempdir().unwrap();
    let path = pack_from_files(dir.path());
    let bytes = fs::read(&path).unwrap();
    assert_eq!(
        bytes,
        small_set(&test_key().unwrap()).unwrap(),
        "file and memory packers agree"
    );
    let digest = signing::to_hex(&Sha256::digest(&bytes));
    check_golden(
        "small-set.sha256",
        &format!("{digest}  system-v1.0.0.nxs\n"),
    );
}

#[test]
fn gnu_tar_lists_the_documented_order_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = pack_from_files(dir.path());
    let out = Command::new("tar")
        .args(["--utc", "--numeric-owner", "-tvf"])
        .arg(&path)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .output()
        .expect("GNU tar is installed by scripts/bootstrap.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "tar warned: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_golden(
        "small-set.tar-tv.txt",
        &String::from_utf8(out.stdout).unwrap(),
    );
}

#[test]
fn gnu_tar_extracts_exactly_the_members() {
    let dir = tempfile::tempdir().unwrap();
    let path = pack_from_files(dir.path());
    let x = dir.path().join("x");
    fs::create_dir(&x).unwrap();
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&path)
        .arg("-C")
        .arg(&x)
        .status()
        .unwrap();
    assert!(status.success());
    let mut names: Vec<String> = fs::read_dir(&x)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "hello.nxb",
            "samgrd.nxb",
            "system.nxsindex",
            "system.sig.ed25519"
        ]
    );
    let key = test_key().unwrap();
    let bundles = small_bundles(&key).unwrap();
    assert_eq!(fs::read(x.join("hello.nxb")).unwrap(), bundles[0]);
    assert_eq!(fs::read(x.join("samgrd.nxb")).unwrap(), bundles[1]);
    // The extracted signature verifies over the extracted index bytes.
    let index = fs::read(x.join("system.nxsindex")).unwrap();
    let sig =
        signing::Signature::from_slice(&fs::read(x.join("system.sig.ed25519")).unwrap()).unwrap();
    key.public_key().verify(&index, &sig).unwrap();
}

#[test]
fn an_archive_rewritten_by_gnu_tar_is_refused() {
    // GNU tar's own headers (owner names, record padding) are not canonical: the
    // verifier accepts only the bytes nxs-pack writes.
    let dir = tempfile::tempdir().unwrap();
    let path = pack_from_files(dir.path());
    let x = dir.path().join("x");
    fs::create_dir(&x).unwrap();
    assert!(Command::new("tar")
        .arg("-xf")
        .arg(&path)
        .arg("-C")
        .arg(&x)
        .status()
        .unwrap()
        .success());
    let repacked = dir.path().join("repacked.nxs");
    let status = Command::new("tar")
        .args(["--format=ustar", "-cf"])
        .arg(&repacked)
        .arg("-C")
        .arg(&x)
        .args([
            "system.nxsindex",
            "system.sig.ed25519",
            "hello.nxb",
            "samgrd.nxb",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let policy = device_policy(&[&test_key().unwrap()], "1.0.0").unwrap();
    let e = updates::fs::verify_file(&repacked, policy).unwrap_err();
    let e = e.format_error().cloned().unwrap();
    assert!(
        matches!(e, updates::Error::NonCanonicalHeader { ref entry, .. } if entry == "system.nxsindex"),
        "{e}"
    );
}
