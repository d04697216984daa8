//! Replays the fuzz target's seed corpus (`fuzz/corpus/initrd_archive/`) as an ordinary
//! test on the stable toolchain, so the corpus and the reader cannot drift apart unnoticed.
//!
//! Every file goes through the fuzz target's body (`initrd::fuzz::initrd_archive`); files
//! named `valid-*` must also parse as an archive. Set `NX_BLESS=1` to
//! regenerate the seed files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use initrd::{build, Archive};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/initrd_archive")
}

const MANIFEST: &[u8] = b"# boot manifest\ninit spawn\nsamgrd boot\nselftest-client boot runner final\nmisbehave ondemand\n";

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let archive = build(&[
        ("boot.manifest", MANIFEST),
        ("init", b"\x7fELF init"),
        ("samgrd", &[0x5a; 100]),
        ("selftest-client", b""),
    ])
    .unwrap();
    let mut unsorted = archive.clone();
    // Entry 0's name becomes "zoot.manifest", after entry 1's.
    unsorted[24] = b'z';
    vec![
        ("valid-boot.initrd", archive.clone()),
        ("valid-empty.initrd", build(&[]).unwrap()),
        ("truncated.initrd", archive[..archive.len() / 2].to_vec()),
        ("unsorted.initrd", unsorted),
        ("manifest.txt", MANIFEST.to_vec()),
        ("bad-magic.bin", b"NOTANINITRD".to_vec()),
    ]
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(&corpus_dir(), &seeds(), initrd::fuzz::initrd_archive, |b| {
        Archive::parse(b).map(drop)
    });
}
