//! `nxs-pack` as users run it: keygen never overwrites, packing is byte-identical
//! across runs and input order, verify and inspect report what the library decides, and
//! failures exit with the status of their class without leaving a partial output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_harness::names_in;
use updates_host::{small_bundles, test_key};

fn nxs_pack(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nxs-pack"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../keys/test")
}

fn key(name: &str) -> String {
    keys().join(name).display().to_string()
}

/// A work directory with `bundles/` (file names in `order`) and `system-set.toml`.
fn workdir(names: [&str; 2]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("bundles")).unwrap();
    let bundles = small_bundles(&test_key().unwrap()).unwrap();
    for (name, bytes) in names.iter().zip(&bundles) {
        fs::write(dir.path().join("bundles").join(name), bytes).unwrap();
    }
    fs::write(
        dir.path().join("system-set.toml"),
        "version = \"1.0.0\"\nboard = \"qemu-virt\"\n",
    )
    .unwrap();
    dir
}

fn pack(dir: &Path, extra: &[&str]) -> Output {
    let k = key("ed25519.hex");
    let mut args = vec![
        "--input",
        "bundles",
        "--meta",
        "system-set.toml",
        "--key",
        &k,
        "--output",
        "system-v1.0.0.nxs",
    ];
    args.extend_from_slice(extra);
    nxs_pack(&args, dir)
}

#[test]
fn keygen_writes_0600_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = nxs_pack(&["keygen", "--out", "k"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let private = dir.path().join("k/ed25519.hex");
    let before = fs::read(&private).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let out = nxs_pack(&["keygen", "--out", "k"], dir.path());
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(fs::read(&private).unwrap(), before);
    let out = nxs_pack(&["keygen", "--out", "k", "--force"], dir.path());
    assert!(out.status.success());
    assert_ne!(fs::read(&private).unwrap(), before);
}

#[test]
fn packing_is_byte_identical_across_runs_and_input_order() {
    let a = workdir(["hello.nxb", "samgrd.nxb"]);
    let b = workdir(["z-second.nxb", "a-first.nxb"]);
    assert!(pack(a.path(), &[]).status.success());
    let out = pack(b.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = fs::read(a.path().join("system-v1.0.0.nxs")).unwrap();
    assert_eq!(first, fs::read(b.path().join("system-v1.0.0.nxs")).unwrap());
    assert!(pack(a.path(), &[]).status.success());
    assert_eq!(first, fs::read(a.path().join("system-v1.0.0.nxs")).unwrap());
}

#[test]
fn source_date_epoch_sets_the_timestamp() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    let k = key("ed25519.hex");
    let out = Command::new(env!("CARGO_BIN_EXE_nxs-pack"))
        .args([
            "--input",
            "bundles",
            "--meta",
            "system-set.toml",
            "--key",
            &k,
        ])
        .args(["--output", "s.nxs"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let json = nxs_pack(&["inspect", "--json", "s.nxs"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema"], "nxs-inspect/1");
    assert_eq!(v["timestamp"], 1_700_000_000);
    assert_eq!(v["bundles"][0]["name"], "hello");
    assert_eq!(v["bundles"][1]["name"], "samgrd");
}

#[test]
fn verify_accepts_trusted_keys_and_refuses_the_rest() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    assert!(pack(dir.path(), &[]).status.success());
    let main = key("ed25519.pub");
    let alt = key("ed25519-alt.pub");
    let set = "system-v1.0.0.nxs";
    let ok = nxs_pack(&["verify", "--pub", &alt, "--pub", &main, set], dir.path());
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: "));
    let wrong = nxs_pack(&["verify", "--pub", &alt, set], dir.path());
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("system.sig.ed25519"));
    let board = nxs_pack(
        &["verify", "--pub", &main, "--board", "other", set],
        dir.path(),
    );
    assert_eq!(board.status.code(), Some(3));
    let args = ["verify", "--pub", &main, "--running-version", "2.0.0", set];
    let down = nxs_pack(&args, dir.path());
    assert_eq!(down.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&down.stderr).contains("downgrade"));
    let args = [
        "verify",
        "--pub",
        &main,
        "--running-version",
        "2.0.0",
        "--allow-downgrade",
        set,
    ];
    assert!(nxs_pack(&args, dir.path()).status.success());
    let release = nxs_pack(&["verify", "--release", "--pub", &main, set], dir.path());
    assert_eq!(release.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&release.stderr).contains("test key"));
}

#[test]
fn release_packing_refuses_a_test_key() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    let out = pack(dir.path(), &["--release"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("test key"));
    assert!(!dir.path().join("system-v1.0.0.nxs").exists());
}

#[test]
fn a_bad_bundle_fails_without_leaving_an_output() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    let path = dir.path().join("bundles/hello.nxb");
    let mut bytes = fs::read(&path).unwrap();
    let at = bytes.len() - 1024 - 600;
    bytes[at] ^= 1;
    fs::write(&path, bytes).unwrap();
    let out = pack(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hello.nxb") && err.contains("payload"),
        "{err}"
    );
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "only bundles/ and system-set.toml: {left:?}");
}

#[test]
fn keygen_checks_both_names_before_writing_either() {
    // --force over a pair whose public name is a directory: the old pair stays whole.
    let dir = tempfile::tempdir().unwrap();
    assert!(nxs_pack(&["keygen", "--out", "kd5"], dir.path())
        .status
        .success());
    let kd5 = dir.path().join("kd5");
    let before = fs::read(kd5.join("ed25519.hex")).unwrap();
    fs::remove_file(kd5.join("ed25519.pub")).unwrap();
    fs::create_dir(kd5.join("ed25519.pub")).unwrap();
    let out = nxs_pack(&["keygen", "--out", "kd5", "--force"], dir.path());
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ed25519.pub") && err.contains("is a directory"),
        "{err}"
    );
    assert_eq!(fs::read(kd5.join("ed25519.hex")).unwrap(), before);
    assert_eq!(names_in(&kd5), ["ed25519.hex", "ed25519.pub"]);
    // Without --force into a directory holding only that directory: no orphan key.
    let kd6 = dir.path().join("kd6");
    fs::create_dir_all(kd6.join("ed25519.pub")).unwrap();
    let out = nxs_pack(&["keygen", "--out", "kd6"], dir.path());
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(names_in(&kd6), ["ed25519.pub"]);
}

#[test]
fn keygen_into_a_file_says_it_is_not_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("afile"), "keep").unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["keygen", "--out", "afile"];
        args.extend_from_slice(extra);
        let out = nxs_pack(&args, dir.path());
        assert_eq!(out.status.code(), Some(4));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("afile") && err.contains("not a directory"),
            "{err}"
        );
        assert_eq!(fs::read(dir.path().join("afile")).unwrap(), b"keep");
    }
}

#[test]
fn pack_refuses_an_output_that_is_an_input() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    fs::copy(key("ed25519.hex"), dir.path().join("k.hex")).unwrap();
    let before: Vec<_> = ["bundles/hello.nxb", "system-set.toml", "k.hex"]
        .iter()
        .map(|n| fs::read(dir.path().join(n)).unwrap())
        .collect();
    for (output, needle) in [
        ("bundles", "--input directory"),
        ("bundles/hello.nxb", "a bundle of --input"),
        ("./system-set.toml", "--meta"),
        ("k.hex", "--key"),
    ] {
        let out = nxs_pack(
            &[
                "--input",
                "bundles",
                "--meta",
                "system-set.toml",
                "--key",
                "k.hex",
                "--output",
                output,
            ],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(4), "{output}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(output) && err.contains(needle),
            "{output}: {err}"
        );
    }
    for (n, bytes) in ["bundles/hello.nxb", "system-set.toml", "k.hex"]
        .iter()
        .zip(&before)
    {
        assert_eq!(
            &fs::read(dir.path().join(n)).unwrap(),
            bytes,
            "{n} untouched"
        );
    }
    assert_eq!(
        names_in(&dir.path().join("bundles")),
        ["hello.nxb", "samgrd.nxb"]
    );
}

#[test]
fn the_output_is_spelled_out_o_or_output_and_sizes_take_units() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    let k = key("ed25519.hex");
    let base = [
        "--input",
        "bundles",
        "--meta",
        "system-set.toml",
        "--key",
        k.as_str(),
    ];
    let mut packed = Vec::new();
    for (flag, file) in [("--out", "a.nxs"), ("-o", "b.nxs"), ("--output", "c.nxs")] {
        let mut args = base.to_vec();
        args.extend([flag, file]);
        let out = nxs_pack(&args, dir.path());
        assert!(
            out.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        packed.push(fs::read(dir.path().join(file)).unwrap());
    }
    assert!(packed.windows(2).all(|w| w[0] == w[1]));
    // Every size limit reads units: 1K is 1024 bytes, too small for the archive.
    let small = nxs_pack(
        &[
            "verify",
            "--pub",
            &key("ed25519.pub"),
            "--max-size",
            "1K",
            "a.nxs",
        ],
        dir.path(),
    );
    assert_eq!(small.status.code(), Some(4));
    let err = String::from_utf8_lossy(&small.stderr);
    assert!(err.contains("exceeds the bound of 1024"), "{err}");
    let roomy = nxs_pack(
        &[
            "verify",
            "--pub",
            &key("ed25519.pub"),
            "--max-size",
            "16MiB",
            "a.nxs",
        ],
        dir.path(),
    );
    assert!(
        roomy.status.success(),
        "{}",
        String::from_utf8_lossy(&roomy.stderr)
    );
    let bad = nxs_pack(
        &[
            "verify",
            "--pub",
            &key("ed25519.pub"),
            "--max-size",
            "lots",
            "a.nxs",
        ],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn packing_refuses_a_set_that_verify_would_refuse_for_its_size() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    let out = pack(dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = fs::metadata(dir.path().join("system-v1.0.0.nxs"))
        .unwrap()
        .len();
    fs::remove_file(dir.path().join("system-v1.0.0.nxs")).unwrap();
    let exact = size.to_string();
    let under = (size - 1).to_string();

    let refused = pack(dir.path(), &["--max-size", &under]);
    assert_eq!(refused.status.code(), Some(4));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(&format!(
            "system-v1.0.0.nxs: the system-set would be {size} bytes, over the bound of {under} bytes"
        )),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(names_in(dir.path()), ["bundles", "system-set.toml"]);

    let fits = pack(dir.path(), &["--max-size", &exact]);
    assert!(
        fits.status.success(),
        "{}",
        String::from_utf8_lossy(&fits.stderr)
    );
    let verify = |max: &str| {
        nxs_pack(
            &[
                "verify",
                "--pub",
                &key("ed25519.pub"),
                "--max-size",
                max,
                "system-v1.0.0.nxs",
            ],
            dir.path(),
        )
        .status
        .code()
    };
    assert_eq!(verify(&exact), Some(0), "the bound means the same to both");
    assert_eq!(verify(&under), Some(4));
}

#[test]
fn the_temporary_of_a_killed_pack_is_removed_by_the_next_pack() {
    let dir = workdir(["hello.nxb", "samgrd.nxb"]);
    let stale = test_harness::killed_writers_temporary(dir.path(), "system-v1.0.0.nxs").unwrap();
    let live = dir.path().join(format!(
        ".system-v1.0.0.nxs.tmp-{}-alive",
        std::process::id()
    ));
    fs::write(&live, b"a running writer's").unwrap();
    let out = pack(dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stale.exists(), "the dead writer's temporary is removed");
    assert!(live.exists(), "a running writer's temporary is kept");
    fs::remove_file(&live).unwrap();
    assert_eq!(
        names_in(dir.path()),
        ["bundles", "system-set.toml", "system-v1.0.0.nxs"]
    );
}
