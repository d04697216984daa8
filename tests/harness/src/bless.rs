//! What `NX_BLESS=1` rewrites, and the one way each kind is checked: golden files
//! ([`check_golden`]) and the fuzz targets' committed seed corpora ([`replay_corpus`],
//! [`replay_fuzz_corpus`]), behind the one switch ([`blessing`]).
//!
//! A golden test renders its output and hands it to [`check_golden`]: under the switch the
//! file is rewritten, otherwise a difference fails the test, naming the file and the
//! switch.
//!
//! A crate's corpus test hands [`replay_fuzz_corpus`] the corpus directory, the seeds it
//! generates, the target's public body (`CRATE::fuzz::TARGET`) and the parser's verdict;
//! every file goes through the body and must be accepted when it is named `valid-*` and
//! rejected otherwise. A test whose check needs the file's name uses [`replay_corpus`]
//! with a check of its own. Either fails when the directory is missing or empty, when a
//! seed is not in it, and when the body or the check panics on any file (a panic of the
//! body is the fuzzer's finding).

use std::fmt::Debug;
use std::path::{Path, PathBuf};

/// Whether goldens, seed corpora and generated files are to be rewritten (`NX_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var_os("NX_BLESS").is_some_and(|v| v == "1")
}

/// Compares `actual` with the golden file at `path`; under `NX_BLESS=1` it writes
/// `actual` there first (creating the directory). Panics, naming the file and saying to
/// bless, when the file is missing or differs: it is for tests.
pub fn check_golden(path: &Path, actual: &str) {
    golden(path, actual, blessing());
}

fn golden(path: &Path, actual: &str, bless: bool) {
    if bless {
        if let Some(dir) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                panic!("creating {}: {e}", dir.display());
            }
        }
        if let Err(e) = std::fs::write(path, actual) {
            panic!("writing {}: {e}", path.display());
        }
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => panic!("golden {}: {e} (run with NX_BLESS=1)", path.display()),
    };
    assert_eq!(
        actual,
        expected,
        "output differs from {} (review, then run with NX_BLESS=1)",
        path.display()
    );
}

/// Replays a fuzz target's committed seed corpus in `dir` as an ordinary test: under
/// `NX_BLESS=1` the `seeds` are written first; the directory must exist, hold at least one
/// file and hold every one of the `seeds` by name (it may hold more, such as inputs a
/// fuzzer found); then `check(name, bytes)` runs for every file, in name order (it calls
/// the target's body and asserts what the name promises, `valid-*` or not).
/// Panics, naming the directory or file, on any failure, a panic of `check` included:
/// it is for tests.
pub fn replay_corpus(dir: &Path, seeds: &[(&str, Vec<u8>)], check: impl FnMut(&str, &[u8])) {
    replay(dir, seeds, blessing(), check);
}

/// Replays the corpus in `dir` ([`replay_corpus`]): every file goes through `body`, and
/// `verdict` must accept (`Ok`) the files named `valid-*` and reject (`Err`) the others.
pub fn replay_fuzz_corpus<E: Debug>(
    dir: &Path,
    seeds: &[(&str, Vec<u8>)],
    body: impl Fn(&[u8]),
    verdict: impl Fn(&[u8]) -> Result<(), E>,
) {
    replay_corpus(dir, seeds, |name, bytes| {
        println!("replaying {name}");
        body(bytes);
        match verdict(bytes) {
            Ok(()) => assert!(name.starts_with("valid-"), "{name} should be rejected"),
            Err(e) => assert!(!name.starts_with("valid-"), "{name} is rejected: {e:?}"),
        }
    });
}

fn replay(dir: &Path, seeds: &[(&str, Vec<u8>)], bless: bool, mut check: impl FnMut(&str, &[u8])) {
    if bless {
        if let Err(e) = std::fs::create_dir_all(dir) {
            panic!("creating {}: {e}", dir.display());
        }
        for (name, bytes) in seeds {
            if let Err(e) = std::fs::write(dir.join(name), bytes) {
                panic!("writing {}/{name}: {e}", dir.display());
            }
        }
    }
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => panic!("seed corpus {}: {e}", dir.display()),
    };
    files.sort();
    assert!(
        !files.is_empty(),
        "seed corpus in {} is empty (run with NX_BLESS=1)",
        dir.display()
    );
    for (name, _) in seeds {
        assert!(
            dir.join(name).is_file(),
            "seed corpus in {} lacks the seed {name} (run with NX_BLESS=1)",
            dir.display()
        );
    }
    for path in files {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => panic!("reading {}: {e}", path.display()),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        check(&name, &bytes);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;

    fn seeds() -> Vec<(&'static str, Vec<u8>)> {
        vec![("valid-a.bin", b"a".to_vec()), ("b.bin", b"bb".to_vec())]
    }

    /// The panic message of `f`, which must panic.
    fn failure(f: impl FnOnce()) -> String {
        let Err(panic) = catch_unwind(AssertUnwindSafe(f)) else {
            panic!("the replay passed");
        };
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    /// A corpus directory holding the seeds, as a bless writes them.
    fn blessed() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        replay(d.path(), &seeds(), true, |_, _| {});
        d
    }

    #[test]
    fn a_missing_directory_fails_and_is_named() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("missing");
        let msg = failure(|| replay(&dir, &seeds(), false, |_, _| {}));
        assert!(msg.contains(&dir.display().to_string()), "{msg}");
    }

    #[test]
    fn an_empty_directory_fails_even_without_seeds() {
        let d = tempfile::tempdir().unwrap();
        let msg = failure(|| replay(d.path(), &[], false, |_, _| {}));
        assert!(msg.contains("is empty"), "{msg}");
    }

    #[test]
    fn a_missing_seed_fails_and_is_named() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("valid-a.bin"), b"a").unwrap();
        std::fs::write(d.path().join("other.bin"), b"o").unwrap();
        let msg = failure(|| replay(d.path(), &seeds(), false, |_, _| {}));
        assert!(msg.contains("lacks the seed b.bin"), "{msg}");
    }

    #[test]
    fn a_check_that_panics_on_a_file_fails_the_replay() {
        let d = blessed();
        let msg = failure(|| {
            replay(d.path(), &seeds(), false, |name, _| {
                assert!(name.starts_with("valid-"), "{name} is not valid");
            })
        });
        assert!(msg.contains("b.bin is not valid"), "{msg}");
    }

    #[test]
    fn blessing_writes_the_seeds_and_every_file_replays_in_name_order() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("corpus");
        replay(&dir, &seeds(), true, |_, _| {});
        std::fs::write(dir.join("found-by-the-fuzzer"), b"f").unwrap();
        std::fs::create_dir(dir.join("subdir")).unwrap();
        let mut seen = Vec::new();
        replay(&dir, &seeds(), false, |name, bytes| {
            seen.push((name.to_string(), bytes.to_vec()));
        });
        assert_eq!(
            seen,
            [
                ("b.bin".to_string(), b"bb".to_vec()),
                ("found-by-the-fuzzer".to_string(), b"f".to_vec()),
                ("valid-a.bin".to_string(), b"a".to_vec()),
            ]
        );
    }

    #[test]
    fn a_golden_passes_when_equal_and_fails_naming_the_file_otherwise() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("goldens").join("out.txt");
        let msg = failure(|| golden(&path, "text\n", false));
        assert!(
            msg.contains("out.txt") && msg.contains("NX_BLESS=1"),
            "{msg}"
        );
        golden(&path, "text\n", true);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "text\n");
        golden(&path, "text\n", false);
        let msg = failure(|| golden(&path, "other\n", false));
        assert!(
            msg.contains("differs from") && msg.contains("out.txt"),
            "{msg}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "text\n");
    }

    /// The verdict of the tests below: one byte is accepted (`valid-a.bin`), more are
    /// not (`b.bin`).
    fn one_byte(bytes: &[u8]) -> Result<(), usize> {
        if bytes.len() == 1 {
            Ok(())
        } else {
            Err(bytes.len())
        }
    }

    #[test]
    fn a_fuzz_corpus_passes_when_valid_files_are_accepted_and_the_others_rejected() {
        let d = blessed();
        let bodies = std::cell::Cell::new(0);
        replay_fuzz_corpus(
            d.path(),
            &seeds(),
            |_| bodies.set(bodies.get() + 1),
            one_byte,
        );
        assert_eq!(bodies.get(), 2, "the body runs on every file");
    }

    #[test]
    fn a_fuzz_corpus_fails_on_an_accepted_invalid_file() {
        let d = blessed();
        let msg = failure(|| {
            replay_fuzz_corpus(d.path(), &seeds(), |_| {}, |_| Ok::<(), ()>(()));
        });
        assert!(msg.contains("b.bin should be rejected"), "{msg}");
    }

    #[test]
    fn a_fuzz_corpus_fails_on_a_rejected_valid_file_and_shows_why() {
        let d = blessed();
        let msg = failure(|| {
            replay_fuzz_corpus(d.path(), &seeds(), |_| {}, |b: &[u8]| Err::<(), _>(b.len()));
        });
        assert!(msg.contains("valid-a.bin is rejected: 1"), "{msg}");
    }

    #[test]
    fn a_fuzz_corpus_fails_when_the_body_panics() {
        let d = blessed();
        let msg = failure(|| {
            replay_fuzz_corpus(
                d.path(),
                &seeds(),
                |b| assert!(b.len() < 2, "the body panics on {} bytes", b.len()),
                one_byte,
            );
        });
        assert!(msg.contains("the body panics on 2 bytes"), "{msg}");
    }
}
