//! `nx image` on bad paths and damaged images: outputs that collide with each other or
//! with an input are refused before any work, a failed build leaves none of its outputs,
//! `inspect` refuses a table the file does not hold, and every message names the file and
//! the cause once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{nx, ok, Run};
use test_harness::DevImage;

use std::fs;
use std::path::{Path, PathBuf};

/// The error line of a failed run (exit status `code`, nothing on stdout).
fn fails(run: &Run, code: i32) -> String {
    assert_eq!(
        run.code, code,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    run.stderr.trim_end().to_string()
}

fn key(name: &str) -> PathBuf {
    test_harness::workspace_root().join("keys/test").join(name)
}

fn secret() -> String {
    test_harness::test_key_files()
        .0
        .to_str()
        .unwrap()
        .to_string()
}

fn public() -> String {
    test_harness::test_key_files()
        .1
        .to_str()
        .unwrap()
        .to_string()
}

/// A directory with the dev image fixture's segments: a kernel (300 000 bytes, as
/// `kernel.bin`) and an initrd (5 000 bytes, as `initrd.img`).
fn fixture() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    DevImage::default().write_segments(d.path()).unwrap();
    d
}

/// `nx image build` of the fixture's segments, with the outputs and options in `extra`.
fn build(dir: &Path, extra: &[&str]) -> Run {
    let mut args = DevImage::default().input_args();
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    nx(dir, &args)
}

/// Every file in `dir` with its content, sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    n.sort();
    n
}

#[test]
fn build_refuses_outputs_that_share_a_path() {
    let d = fixture();
    let before = names(d.path());
    let k = secret();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--out", "a.img", "--manifest", "a.img"],
            "a.img: --manifest is the same file as --out (a.img)",
        ),
        (
            &[
                "--out",
                "a.img",
                "--manifest",
                "a.json",
                "--sign",
                &k,
                "--sig-out",
                "./a.img",
            ],
            "./a.img: --sig-out is the same file as --out (a.img)",
        ),
        (
            &[
                "--out",
                "a.json",
                "--manifest",
                "a.img",
                "--sig-out",
                "a.json",
            ],
            "--sig-out is the same file as --out",
        ),
        // The default signature path (beside the manifest) counts too.
        (
            &[
                "--out",
                "os.sig",
                "--manifest",
                "os.manifest.json",
                "--sign",
                &k,
            ],
            "os.sig: the signature (beside --manifest) is the same file as --out (os.sig)",
        ),
    ];
    for (extra, want) in cases {
        let run = build(d.path(), extra);
        let e = fails(&run, 4);
        assert!(e.contains(want), "{extra:?}: {e}");
        assert!(e.contains("each output needs its own path"), "{e}");
        assert_eq!(names(d.path()), before, "{extra:?} wrote something");
    }
    // An existing file at the shared path is left as it was.
    fs::write(d.path().join("a.img"), b"keep me").unwrap();
    fails(
        &build(d.path(), &["--out", "a.img", "--manifest", "a.img"]),
        4,
    );
    assert_eq!(fs::read(d.path().join("a.img")).unwrap(), b"keep me");
}

#[test]
fn build_refuses_an_output_that_is_an_input() {
    let d = fixture();
    let sub = d.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::hard_link(d.path().join("kernel.bin"), d.path().join("hard.elf")).unwrap();
    let kdir = tempfile::tempdir().unwrap();
    let k = kdir.path().join("key.hex");
    fs::copy(key("ed25519.hex"), &k).unwrap();
    let k = k.to_str().unwrap().to_string();
    let before = snapshot(d.path());
    let key_before = fs::read(&k).unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--out", "kernel.bin", "--manifest", "a.json"],
            "kernel.bin: --out is also the input --kernel (kernel.bin)",
        ),
        (
            &["--out", "a.img", "--manifest", "sub/../initrd.img"],
            "sub/../initrd.img: --manifest is also the input --initrd (initrd.img)",
        ),
        // The same file through another name.
        (
            &["--out", "hard.elf", "--manifest", "a.json"],
            "hard.elf: --out is also the input --kernel (kernel.bin)",
        ),
        (
            &[
                "--out",
                "a.img",
                "--manifest",
                "a.json",
                "--sign",
                &k,
                "--sig-out",
                &k,
            ],
            "--sig-out is also the input --key",
        ),
        (
            &["--out", "a.img", "--manifest", &k, "--key", &k],
            "--manifest is also the input --key",
        ),
    ];
    for (extra, want) in cases {
        let run = build(d.path(), extra);
        let e = fails(&run, 4);
        assert!(e.contains(want), "{extra:?}: {e}");
        assert!(e.contains("refusing to replace an input"), "{e}");
        assert_eq!(snapshot(d.path()), before, "{extra:?} changed a file");
        assert_eq!(fs::read(&k).unwrap(), key_before);
    }
}

#[test]
fn failed_build_leaves_none_of_its_outputs() {
    let d = fixture();
    let k = secret();
    let before = names(d.path());
    let e = build(d.path(), &["--out", "c.img", "--manifest", "nodir2/c.json"]);
    let e = fails(&e, 4);
    assert_eq!(
        e,
        "error: nodir2/c.json: --manifest: directory nodir2 does not exist"
    );
    assert_eq!(names(d.path()), before);
    let e = build(
        d.path(),
        &[
            "--out",
            "d.img",
            "--manifest",
            "d.json",
            "--sign",
            &k,
            "--sig-out",
            "nodir3/d.sig",
        ],
    );
    let e = fails(&e, 4);
    assert_eq!(
        e,
        "error: nodir3/d.sig: --sig-out: directory nodir3 does not exist"
    );
    assert_eq!(names(d.path()), before);
    // A file where a directory should be, and a directory where a file should be.
    let e = build(
        d.path(),
        &["--out", "kernel.bin/e.img", "--manifest", "e.json"],
    );
    assert_eq!(
        fails(&e, 4),
        "error: kernel.bin/e.img: --out: kernel.bin is not a directory"
    );
    fs::create_dir(d.path().join("dir.img")).unwrap();
    let e = build(d.path(), &["--out", "dir.img", "--manifest", "e.json"]);
    assert_eq!(fails(&e, 4), "error: dir.img: --out: is a directory");
    let mut with_dir = [&before[..], &["dir.img".to_string()]].concat();
    with_dir.sort();
    assert_eq!(names(d.path()), with_dir);
    // A signed build that works writes all three.
    ok(&build(
        d.path(),
        &["--out", "d.img", "--manifest", "d.json", "--sign", &k],
    ));
    for f in ["d.img", "d.json", "d.json.sig"] {
        assert!(d.path().join(f).is_file(), "{f}");
    }
    assert!(
        !names(d.path()).iter().any(|n| n.starts_with('.')),
        "temporary files left: {:?}",
        names(d.path())
    );
}

/// Builds a signed image os.img (manifest os.json, signature os.json.sig) in a fixture.
fn built() -> tempfile::TempDir {
    let d = fixture();
    ok(&build(
        d.path(),
        &[
            "--out",
            "os.img",
            "--manifest",
            "os.json",
            "--sign",
            &secret(),
        ],
    ));
    d
}

#[test]
fn inspect_refuses_a_truncated_or_padded_image_as_verify_does() {
    let d = built();
    let img = fs::read(d.path().join("os.img")).unwrap();
    assert_eq!(img.len(), 4 << 20);
    ok(&nx(d.path(), &["image", "inspect", "os.img"]));
    fs::write(d.path().join("t.img"), &img[..1_000_000]).unwrap();
    let e = fails(&nx(d.path(), &["image", "inspect", "t.img"]), 4);
    assert_eq!(
        e,
        "error: t.img: image truncated: 1000000 bytes, the partition table's backup GPT header \
         ends at byte 4194304; partitions past the end of the file: kernel, initrd"
    );
    let e = fails(&nx(d.path(), &["image", "inspect", "t.img", "--json"]), 4);
    assert!(e.contains("t.img: image truncated"), "{e}");
    // Only the backup GPT missing: every partition is whole.
    fs::write(d.path().join("t2.img"), &img[..img.len() - 512]).unwrap();
    let e = fails(&nx(d.path(), &["image", "inspect", "t2.img"]), 4);
    assert_eq!(
        e,
        "error: t2.img: image truncated: 4193792 bytes, the partition table's backup GPT header \
         ends at byte 4194304"
    );
    let mut long = img.clone();
    long.extend_from_slice(&[0; 512]);
    fs::write(d.path().join("long.img"), &long).unwrap();
    let e = fails(&nx(d.path(), &["image", "inspect", "long.img"]), 4);
    assert!(
        e.starts_with("error: long.img: image too long: 4194816 bytes"),
        "{e}"
    );
    // The right size but no backup header in the last sector.
    let mut nobackup = img.clone();
    let n = nobackup.len();
    nobackup[n - 512..].fill(0);
    fs::write(d.path().join("nb.img"), &nobackup).unwrap();
    let e = fails(&nx(d.path(), &["image", "inspect", "nb.img"]), 4);
    assert_eq!(
        e,
        "error: nb.img: partition table: no backup GPT header at the last LBA the primary \
         header names"
    );
    // verify refuses the truncated copy too.
    let e = fails(
        &nx(
            d.path(),
            &[
                "image",
                "verify",
                "t.img",
                "--manifest",
                "os.json",
                "--pub",
                &public(),
            ],
        ),
        3,
    );
    assert_eq!(
        e,
        "error: t.img: image truncated: 1000000 bytes, manifest says 4194304"
    );
}

#[test]
fn messages_name_the_file_and_the_cause_once() {
    let d = built();
    fs::write(d.path().join("e.img"), b"").unwrap();
    let e = fails(&nx(d.path(), &["image", "inspect", "e.img"]), 4);
    assert_eq!(
        e,
        "error: e.img: partition table: image too short for a protective MBR and primary GPT"
    );
    fs::create_dir(d.path().join("dir.img")).unwrap();
    let e = fails(&nx(d.path(), &["image", "inspect", "dir.img"]), 4);
    assert_eq!(e, "error: dir.img: is a directory, not an image file");
    let e = fails(
        &nx(
            d.path(),
            &[
                "image",
                "verify",
                "dir.img",
                "--manifest",
                "os.json",
                "--pub",
                &public(),
            ],
        ),
        3,
    );
    assert_eq!(e, "error: dir.img: is a directory, not an image file");
    let e = fails(
        &nx(
            d.path(),
            &["image", "extract", "dir.img", "kernel", "--out", "k"],
        ),
        4,
    );
    assert_eq!(e, "error: dir.img: is a directory, not an image file");
    // A missing file: the operating system's reason, once.
    let e = fails(&nx(d.path(), &["image", "inspect", "none.img"]), 5);
    assert_eq!(e, "error: none.img: No such file or directory (os error 2)");

    // extract says where the size it expected comes from.
    let img = fs::read(d.path().join("os.img")).unwrap();
    fs::write(d.path().join("t.img"), &img[..1_000_000]).unwrap();
    let e = fails(
        &nx(
            d.path(),
            &["image", "extract", "t.img", "kernel", "--out", "k"],
        ),
        4,
    );
    assert_eq!(
        e,
        "error: t.img: image truncated: 1000000 bytes, the partition table says partition \
         kernel ends at byte 2097152"
    );
    let e = fails(
        &nx(
            d.path(),
            &[
                "image",
                "extract",
                "t.img",
                "kernel",
                "--out",
                "k",
                "--manifest",
                "os.json",
            ],
        ),
        4,
    );
    assert_eq!(
        e,
        "error: t.img: image truncated: 1000000 bytes, the manifest's range kernel ends at \
         byte 1348576"
    );
    assert!(!d.path().join("k").exists());
    // A message about the image's content keeps the command's context.
    let mut bad = img.clone();
    bad[(1 << 20) + 10] ^= 1;
    fs::write(d.path().join("bad.img"), &bad).unwrap();
    let e = fails(
        &nx(
            d.path(),
            &[
                "image",
                "verify",
                "bad.img",
                "--manifest",
                "os.json",
                "--pub",
                &public(),
            ],
        ),
        3,
    );
    assert_eq!(
        e,
        "error: verifying bad.img: segment kernel: SHA-256 does not match the manifest"
    );
}

#[test]
fn extract_refuses_to_replace_its_input() {
    let d = built();
    let before = snapshot(d.path());
    for extra in [&["--force"][..], &[][..]] {
        let mut args = vec!["image", "extract", "os.img", "kernel", "--out", "./os.img"];
        args.extend_from_slice(extra);
        let e = fails(&nx(d.path(), &args), 4);
        assert_eq!(
            e,
            "error: ./os.img: --out is also the input IMAGE (os.img); refusing to replace an \
             input"
        );
        let mut args = vec![
            "image",
            "extract",
            "os.img",
            "kernel",
            "--manifest",
            "os.json",
            "--out",
            "os.json",
        ];
        args.extend_from_slice(extra);
        let e = fails(&nx(d.path(), &args), 4);
        assert!(e.contains("--out is also the input --manifest"), "{e}");
    }
    assert_eq!(snapshot(d.path()), before);
    let e = fails(
        &nx(
            d.path(),
            &["image", "extract", "os.img", "kernel", "--out", "no/k"],
        ),
        4,
    );
    assert_eq!(e, "error: no/k: --out: directory no does not exist");
    ok(&nx(
        d.path(),
        &[
            "image",
            "extract",
            "os.img",
            "kernel",
            "--out",
            "k",
            "--manifest",
            "os.json",
        ],
    ));
    assert_eq!(
        fs::read(d.path().join("k")).unwrap(),
        DevImage::default().kernel()
    );
}

#[test]
fn pub_is_repeatable_and_never_takes_the_words_after_it() {
    let d = built();
    // `--pub KEY` before the image: the image is still the positional argument.
    let run = nx(
        d.path(),
        &[
            "image",
            "verify",
            "--pub",
            &public(),
            "os.img",
            "--manifest",
            "os.json",
        ],
    );
    ok(&run);
    // Two keys, the signer second: accepted.
    let other = key("ed25519-alt.pub").to_str().unwrap().to_string();
    ok(&nx(
        d.path(),
        &[
            "image",
            "verify",
            "--pub",
            &other,
            "--pub",
            &public(),
            "os.img",
            "--manifest",
            "os.json",
        ],
    ));
}

#[test]
fn outputs_that_are_not_regular_files_are_refused_even_with_force() {
    let d = built();
    let made = std::process::Command::new("mkfifo")
        .arg(d.path().join("pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    let before = snapshot(d.path());
    let e = fails(
        &nx(
            d.path(),
            &[
                "image", "extract", "os.img", "kernel", "--out", "pipe", "--force",
            ],
        ),
        4,
    );
    assert_eq!(
        e,
        "error: pipe: is a FIFO (named pipe), not a regular file; refusing to write over it \
         (nothing was written)"
    );
    let e = fails(
        &nx(
            d.path(),
            &[
                "image",
                "extract",
                "os.img",
                "kernel",
                "--out",
                "/dev/null",
                "--force",
            ],
        ),
        4,
    );
    assert!(e.contains("/dev/null: is a character device"), "{e}");
    let e = fails(
        &build(d.path(), &["--out", "pipe", "--manifest", "p.json"]),
        4,
    );
    assert!(e.contains("pipe: is a FIFO (named pipe)"), "{e}");
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn the_image_is_spelled_image_or_given_as_the_operand_and_the_key_key_or_sign() {
    let d = built();
    let verify = |image: &[&str]| {
        let mut args = vec!["image", "verify"];
        args.extend_from_slice(image);
        let public = public();
        args.extend(["--manifest", "os.json", "--pub", public.as_str()]);
        nx(d.path(), &args)
    };
    let operand = verify(&["os.img"]);
    let flag = verify(&["--image", "os.img"]);
    assert_eq!(ok(&operand), ok(&flag));
    assert!(!fails(&verify(&["--image", "os.img", "os.img"]), 2).is_empty());
    assert!(fails(&verify(&[]), 2).contains("--image"));
    let inspect = nx(d.path(), &["image", "inspect", "--image", "os.img"]);
    assert_eq!(
        ok(&inspect),
        ok(&nx(d.path(), &["image", "inspect", "os.img"]))
    );
    let extract = nx(
        d.path(),
        &[
            "image", "extract", "--image", "os.img", "kernel", "-o", "k1",
        ],
    );
    ok(&extract);
    ok(&nx(
        d.path(),
        &["image", "extract", "os.img", "kernel", "-o", "k2"],
    ));
    assert_eq!(
        fs::read(d.path().join("k1")).unwrap(),
        fs::read(d.path().join("k2")).unwrap()
    );
    let both = nx(
        d.path(),
        &[
            "image", "extract", "--image", "os.img", "os.img", "kernel", "-o", "k3",
        ],
    );
    assert!(fails(&both, 2).contains("with --image, give the segment alone"));
    // The signing key: --key, and the seed's --sign, sign alike.
    let secret = secret();
    for (flag, out) in [("--key", "a"), ("--sign", "b")] {
        let (img, manifest) = (format!("{out}.img"), format!("{out}.json"));
        ok(&build(
            d.path(),
            &["-o", &img, "--manifest", &manifest, flag, &secret],
        ));
    }
    for ext in ["img", "json"] {
        assert_eq!(
            fs::read(d.path().join(format!("a.{ext}"))).unwrap(),
            fs::read(d.path().join(format!("b.{ext}"))).unwrap(),
            "{ext}"
        );
    }
}

/// Hidden files (temporaries, backups, commit journals) in `dir`.
fn hidden_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn a_build_killed_at_any_commit_step_leaves_the_outputs_of_one_build() {
    let nx_bin = Path::new(env!("CARGO_BIN_EXE_nx"));
    let old = DevImage {
        signed: true,
        ..DevImage::default()
    };
    let new = DevImage {
        signed: true,
        kernel_len: 300_001,
        system_version: "2.0.0",
        ..DevImage::default()
    };
    let mut seen = Vec::new();
    let mut steps = None;
    for at in 1..=40u32 {
        let d = tempfile::tempdir().unwrap();
        old.build(nx_bin, d.path()).unwrap();
        new.write_segments(d.path()).unwrap();
        let args = new.build_args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::nx_command(d.path(), &args)
            .env("NX_DURABLE_KILL_AT", at.to_string())
            .output()
            .unwrap();
        if out.status.success() {
            steps = Some(at - 1);
            break;
        }
        assert_eq!(
            out.status.code(),
            None,
            "step {at}: the build failed instead of being killed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The set on disk is one build's: verify (which first completes a killed commit,
        // as the next build would) accepts it with the key, and it is the old or the new.
        let verify = nx(
            d.path(),
            &[
                "image",
                "verify",
                "os.img",
                "--manifest",
                "os.manifest.json",
                "--pub",
                &public(),
            ],
        );
        let text = ok(&verify);
        let version = if text.contains("version 2.0.0") {
            "new"
        } else {
            assert!(text.contains("version 1.0.0"), "step {at}: {text}");
            "old"
        };
        seen.push(version);
        // Nothing of the killed run is left once verify and a new build have run.
        let rebuild = common::nx_command(d.path(), &args).output().unwrap();
        assert!(rebuild.status.success(), "step {at}: rebuild failed");
        assert_eq!(hidden_in(d.path()), Vec::<String>::new(), "step {at}");
    }
    let steps = steps.expect("the build never completed within 40 kill points");
    // Three outputs: three fsyncs, the journal, three renames, the directory fsync and the
    // journal's removal.
    assert!(steps >= 9, "only {steps} commit steps were injected");
    assert!(seen.contains(&"old") && seen.contains(&"new"), "{seen:?}");
}
