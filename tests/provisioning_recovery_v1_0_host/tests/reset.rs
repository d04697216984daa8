//! Factory reset through `nx reset factory` on a simulated state tree: the removed paths
//! match the golden list, trust/ and boot/ survive, symlinks are removed as links and
//! never followed (out of the root or into a preserved path), and the command refuses
//! without --yes, refuses a directory that is not a state tree without --force, and
//! refuses `/` and home directories always.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use provisioning_recovery_v1_0_host::{nx_binary, run_timed};

fn nx(args: &[&str]) -> Output {
    run_timed(
        Command::new(nx_binary().unwrap()).args(args),
        Duration::from_secs(60),
    )
    .unwrap()
}

/// `nx reset factory` on `root` with `flags`.
fn reset(root: &Path, flags: &[&str]) -> Output {
    let mut args = vec!["reset", "factory", "--root", root.to_str().unwrap()];
    args.extend_from_slice(flags);
    nx(&args)
}

/// The standard output of a command that must succeed.
fn succeeded(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A state tree (made by `nx state init`) with data everywhere and symlink escape attempts.
fn state_tree(root: &Path, outside: &Path) {
    succeeded(nx(&["state", "init", "--root", root.to_str().unwrap()]));
    for d in [
        "trust/anchors",
        "boot",
        "apps/com.example.mail/cache",
        "apps/com.example.notes",
        "content/photos",
        "settings",
        "crash",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    for (f, body) in [
        ("trust/anchors/root.pub", "key"),
        ("trust/release.pub", "key"),
        ("boot/bootctl", "slot a"),
        ("apps/com.example.mail/db", "mail"),
        ("apps/com.example.mail/cache/1", "c"),
        ("apps/com.example.notes/n.txt", "notes"),
        ("content/photos/p.jpg", "jpg"),
        ("settings/wifi.json", "{}"),
        ("crash/0001.nxcd", "dump"),
        ("trustee.txt", "not preserved: only the exact names are"),
    ] {
        fs::write(root.join(f), body).unwrap();
    }
    fs::create_dir_all(outside).unwrap();
    fs::write(outside.join("precious"), "outside the root").unwrap();
    // Escapes: a link out of the root, a link into a preserved path, a wiped top-level
    // directory replaced by a link.
    symlink(outside, root.join("apps/escape")).unwrap();
    symlink(
        "../../trust",
        root.join("apps/com.example.notes/trust-link"),
    )
    .unwrap();
    symlink(outside, root.join("media")).unwrap();
    symlink("/etc/hostname", root.join("settings/hostname")).unwrap();
}

#[test]
fn factory_reset_matches_golden_list_and_never_follows_links() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("state");
    let outside = t.path().join("outside");
    state_tree(&root, &outside);
    test_harness::check_golden(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/reset-factory.txt"),
        &succeeded(reset(&root, &["--yes"])),
    );
    // Preserved and untouched.
    assert_eq!(
        fs::read_to_string(root.join("trust/anchors/root.pub")).unwrap(),
        "key"
    );
    assert_eq!(
        fs::read_to_string(root.join("trust/release.pub")).unwrap(),
        "key"
    );
    assert_eq!(
        fs::read_to_string(root.join("boot/bootctl")).unwrap(),
        "slot a"
    );
    assert_eq!(
        fs::read_to_string(outside.join("precious")).unwrap(),
        "outside the root"
    );
    assert_eq!(
        test_harness::names_in(&root),
        [".nx-state", "boot", "trust"]
    );
    // A second run has nothing left to remove.
    let again = reset(&root, &["--yes"]);
    assert!(again.status.success());
    assert!(again.stdout.is_empty());
}

#[test]
fn refuses_without_yes_and_dry_run_removes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("state");
    state_tree(&root, &t.path().join("outside"));
    let out = reset(&root, &[]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pass --yes to confirm"), "{err}");
    let dry = reset(&root, &["--dry-run"]);
    assert!(dry.status.success());
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(text.contains("would remove apps/escape\n"), "{text}");
    assert!(
        !text.lines().any(|l| {
            let p = l.trim_start_matches("would remove ");
            p == "trust" || p == "boot" || p.starts_with("trust/") || p.starts_with("boot/")
        }),
        "{text}"
    );
    assert!(
        root.join("apps/com.example.mail/db").exists(),
        "dry run removed nothing"
    );
    let missing = reset(&t.path().join("nope"), &["--yes"]);
    assert_eq!(missing.status.code(), Some(4));
}

#[test]
fn a_failure_half_way_reports_what_was_and_was_not_removed() {
    use reset::fs::{execute, plan_dir};
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("state");
    state_tree(&root, &t.path().join("outside"));
    let plan = plan_dir(&root).unwrap();
    // Something appears after planning: rmdir refuses to delete what it did not plan.
    fs::write(root.join("content/photos/new.jpg"), "new").unwrap();
    let report = execute(&root, &plan);
    let (failed, _) = report.failure.as_ref().expect("a failure");
    assert_eq!(failed, b"content/photos");
    assert!(report.not_removed.contains(&b"content".to_vec()));
    assert!(report.removed.contains(&b"settings/wifi.json".to_vec()));
    assert!(root.join("content/photos/new.jpg").exists());
}

#[test]
fn refuses_a_directory_without_the_state_marker_unless_forced() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("plain");
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::write(root.join("docs/thesis.tex"), "precious").unwrap();
    for extra in [&["--dry-run"][..], &["--yes"][..]] {
        let out = reset(&root, extra);
        assert_eq!(out.status.code(), Some(4), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("plain: not a state tree (no .nx-state marker at its root); pass --force"),
            "{err}"
        );
        assert!(
            out.stdout.is_empty(),
            "{extra:?} planned or removed something"
        );
    }
    assert!(root.join("docs/thesis.tex").exists());
    succeeded(reset(&root, &["--yes", "--force"]));
    assert!(!root.join("docs").exists());
}

#[test]
fn never_resets_the_root_directory_or_a_home_even_forced() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home/user");
    fs::create_dir_all(&home).unwrap();
    fs::write(home.join(".nx-state"), "nx-state 1\n").unwrap();
    let reset = |root: &Path| {
        run_timed(
            Command::new(nx_binary().unwrap())
                .args([
                    "reset",
                    "factory",
                    "--yes",
                    "--force",
                    "--dry-run",
                    "--root",
                ])
                .arg(root)
                .env("HOME", &home),
            Duration::from_secs(60),
        )
        .unwrap()
    };
    for (root, want) in [
        (
            Path::new("/"),
            "/: the root directory; never reset, even with --force",
        ),
        (
            home.as_path(),
            "a home directory; never reset, even with --force",
        ),
        (&t.path().join("home"), "holds the home directory"),
    ] {
        let out = reset(root);
        assert_eq!(out.status.code(), Some(4), "{}", root.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{}: {err}", root.display());
        assert!(out.stdout.is_empty(), "{}", root.display());
    }
    assert!(home.join(".nx-state").exists());
}

#[test]
fn names_that_are_not_utf8_are_removed_and_printed_escaped() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("state");
    state_tree(&root, &t.path().join("outside"));
    fs::write(root.join("apps").join(OsStr::from_bytes(b"\xff.bin")), "x").unwrap();
    fs::write(root.join("trust").join(OsStr::from_bytes(b"\xfe.pub")), "k").unwrap();
    let text = succeeded(reset(&root, &["--dry-run"]));
    assert!(text.contains("would remove apps/\\xff.bin\n"), "{text}");
    let text = succeeded(reset(&root, &["--yes"]));
    assert!(text.contains("removed apps/\\xff.bin\n"), "{text}");
    assert!(!root.join("apps").exists());
    assert!(root
        .join("trust")
        .join(OsStr::from_bytes(b"\xfe.pub"))
        .exists());
}
