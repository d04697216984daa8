//! `nxb-pack` as users run it: deterministic bundles from a TOML description, a signed
//! manifest that inspect checks, and clear errors for bad descriptions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nxb_pack(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nxb-pack"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn key(name: &str) -> String {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../keys/test")
        .join(name);
    p.display().to_string()
}

fn workdir(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bundle.toml"), toml).unwrap();
    fs::write(
        dir.path().join("payload.elf"),
        updates_host::payload(3, 5000),
    )
    .unwrap();
    dir
}

const TOML: &str = "name = \"hello\"\nversion = \"1.2.0\"\nabilities = [\"greet\"]\n\
                    caps = [\"log.write\", \"ipc.endpoint\"]\nmin_sdk = \"0.1.0\"\n";

fn pack(dir: &Path, out: &str) -> Output {
    pack_with(dir, out, &[])
}

/// Packs the work directory's description and payload with the test key, and `extra`.
fn pack_with(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let k = key("ed25519.hex");
    let mut args = vec![
        "--toml",
        "bundle.toml",
        "--payload",
        "payload.elf",
        "--key",
        &k,
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    nxb_pack(&args, dir)
}

#[test]
fn packs_deterministically_whatever_the_list_order() {
    let a = workdir(TOML);
    let b = workdir(&TOML.replace(
        "[\"log.write\", \"ipc.endpoint\"]",
        "[\"ipc.endpoint\", \"log.write\"]",
    ));
    assert!(pack(a.path(), "hello.nxb").status.success());
    assert!(pack(b.path(), "hello.nxb").status.success());
    let first = fs::read(a.path().join("hello.nxb")).unwrap();
    assert_eq!(first, fs::read(b.path().join("hello.nxb")).unwrap());
    let read = updates::nxb::read_bundle(&first, None).unwrap();
    assert_eq!(read.manifest.caps, ["ipc.endpoint", "log.write"]);
    assert_eq!(read.manifest.payload_size, 5000);
}

#[test]
fn inspect_checks_the_signature() {
    let dir = workdir(TOML);
    assert!(pack(dir.path(), "hello.nxb").status.success());
    let out = nxb_pack(&["inspect", "--json", "hello.nxb"], dir.path());
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "nxb-inspect/1");
    assert_eq!(v["name"], "hello");
    assert_eq!(v["version"], "1.2.0");
    assert_eq!(v["signature_check"], "valid-for-publisher");
    let main = key("ed25519.pub");
    let out = nxb_pack(&["inspect", "--pub", &main, "hello.nxb"], dir.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("(trusted)"));
    let alt = key("ed25519-alt.pub");
    let out = nxb_pack(&["inspect", "--pub", &alt, "hello.nxb"], dir.path());
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn gnu_tar_lists_manifest_then_payload() {
    let dir = workdir(TOML);
    assert!(pack(dir.path(), "hello.nxb").status.success());
    let out = Command::new("tar")
        .args(["--utc", "--numeric-owner", "-tvf", "hello.nxb"])
        .current_dir(dir.path())
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("-rw-r--r-- 0/0")
            && lines[0].ends_with("1970-01-01 00:00 manifest.nxb")
    );
    assert!(
        lines[1].contains(" 5000 1970-01-01 00:00 payload.bin"),
        "{}",
        lines[1]
    );
}

#[test]
fn refuses_bad_descriptions_naming_the_field() {
    for (toml, needle) in [
        (TOML.replace("\"hello\"", "\"../evil\""), "field name"),
        (TOML.replace("\"1.2.0\"", "\"1.2\""), "field version"),
        (format!("{TOML}colour = \"red\"\n"), "colour"),
    ] {
        let dir = workdir(&toml);
        let out = pack(dir.path(), "x.nxb");
        assert_eq!(out.status.code(), Some(4), "{toml}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(!dir.path().join("x.nxb").exists());
    }
}

#[test]
fn refuses_an_output_that_is_an_input() {
    let dir = workdir(TOML);
    fs::copy(key("ed25519.hex"), dir.path().join("k.hex")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("payload.elf", dir.path().join("link.nxb")).unwrap();
    let before: Vec<_> = ["bundle.toml", "payload.elf", "k.hex"]
        .iter()
        .map(|n| fs::read(dir.path().join(n)).unwrap())
        .collect();
    let mut outputs = vec![
        ("payload.elf", "--payload"),
        ("./bundle.toml", "--toml"),
        ("k.hex", "--key"),
    ];
    if cfg!(unix) {
        outputs.push(("link.nxb", "--payload"));
    }
    for (out, what) in outputs {
        let o = nxb_pack(
            &[
                "--toml",
                "bundle.toml",
                "--payload",
                "payload.elf",
                "--key",
                "k.hex",
                "-o",
                out,
            ],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(4), "{out}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(out) && err.contains("also an input") && err.contains(what),
            "{out}: {err}"
        );
    }
    for (n, bytes) in ["bundle.toml", "payload.elf", "k.hex"].iter().zip(&before) {
        assert_eq!(
            &fs::read(dir.path().join(n)).unwrap(),
            bytes,
            "{n} untouched"
        );
    }
}

/// A payload over `--max-payload-size` is refused, naming it and both sizes, before
/// anything is written; one at the limit packs.
#[test]
fn refuses_a_payload_over_the_size_limit() {
    let dir = workdir(TOML);
    let run = |limit| pack_with(dir.path(), "x.nxb", &["--max-payload-size", limit]);
    let o = run("4999");
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("payload.elf: 5000 bytes exceeds the bound of 4999 bytes"),
        "{err}"
    );
    assert!(!dir.path().join("x.nxb").exists());
    let o = run("5000");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("x.nxb").exists());
}

/// A write that fails (here: over the file size limit) names the output, not the payload,
/// and leaves neither the output nor a temporary file.
#[cfg(unix)]
#[test]
fn a_failed_write_names_the_output_and_leaves_nothing() {
    let dir = workdir(TOML);
    fs::write(dir.path().join("big.bin"), vec![7u8; 2_000_000]).unwrap();
    let script = format!(
        "trap '' XFSZ; ulimit -f 600; exec '{}' --toml bundle.toml --payload big.bin \
         --key '{}' -o b.nxb",
        env!("CARGO_BIN_EXE_nxb-pack"),
        key("ed25519.hex")
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("b.nxb") && !err.contains("big.bin"),
        "names the output: {err}"
    );
    let mut left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["big.bin", "bundle.toml", "payload.elf"]);
}
