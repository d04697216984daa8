//! `nx log` argument and connection errors: `--limit 0` and `--timeout 0` are refused
//! with the allowed range, and a socket that cannot be reached is named with its cause
//! printed once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::nx;

#[test]
fn query_limit_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = nx(
        dir.path(),
        &["log", "query", "--socket", "nonexist", "--limit", "0"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains(
            "invalid value '0' for '--limit <N>': expected at least 1 (leave the option out to show every record)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn timeout_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["stats", "query", "tail"] {
        for t in ["0", "86401"] {
            let run = nx(
                dir.path(),
                &["log", cmd, "--socket", "nonexist", "--timeout", t],
            );
            assert_eq!(run.code, 2, "{cmd} --timeout {t}: {}", run.stderr);
            assert!(
                run.stderr.contains(&format!(
                    "invalid value '{t}' for '--timeout <SECS>': expected 1 to 86400 seconds (a day)"
                )),
                "{cmd} --timeout {t}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn an_unreachable_socket_is_named_with_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = nx(dir.path(), &["log", "stats", "--socket", "nonexist"]);
    assert_ne!(run.code, 0);
    assert_eq!(
        run.stderr,
        "error: logd socket: connect to nonexist: No such file or directory (os error 2)\n"
    );
}
