//! Replays the fuzz target's seed corpus (`fuzz/corpus/logd_frame/`) as an ordinary test on
//! the stable toolchain, so the corpus and the parsers cannot drift apart unnoticed.
//!
//! Every file goes through the fuzz target's body (`logd::fuzz::logd_frame`), as the
//! property tests' frames do; files named `valid-*` must be served with status OK, the
//! others must be refused. Set `NX_BLESS=1` to regenerate the seed files.

use std::path::PathBuf;

use logd::wire::MAX_RESPONSE_LEN;
use logd::{handle_request, Journal, JournalConfig, Response, ServiceId, Status};

use super::oracle;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/logd_frame")
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut bad_version = oracle::stats();
    bad_version[2] = 2;
    vec![
        (
            "valid-append.bin",
            oracle::append(3, b"netd", b"link up", b"if=eth0\nspeed=1000"),
        ),
        (
            "valid-append-max.bin",
            oracle::append(1, &[b's'; 64], &[b'm'; 256], &[b'f'; 512]),
        ),
        ("valid-append-empty.bin", oracle::append(5, b"", b"", b"")),
        ("valid-query.bin", oracle::query(0, 16)),
        ("valid-query-since.bin", oracle::query(5, 3)),
        ("valid-stats.bin", oracle::stats()),
        (
            "append-scope-over.bin",
            oracle::append(3, &[b's'; 65], b"", b""),
        ),
        (
            "append-short-body.bin",
            oracle::append_declared(3, 4, 4, 4, b"abc"),
        ),
        ("append-bad-level.bin", oracle::append(0, b"a", b"b", b"")),
        ("query-count-over.bin", oracle::query(0, 17)),
        ("bad-magic.bin", b"XO\x01\x03".to_vec()),
        ("bad-version.bin", bad_version),
        ("short.bin", b"LO".to_vec()),
    ]
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(&corpus_dir(), &seeds(), logd::fuzz::logd_frame, |b| {
        let mut j = Journal::new(JournalConfig::DEFAULT).unwrap();
        let mut out = [0u8; MAX_RESPONSE_LEN];
        let len = handle_request(&mut j, ServiceId(1), 1, b, &mut out);
        match Response::decode(&out[..len]).unwrap().status() {
            Status::Ok => Ok(()),
            refused => Err(refused),
        }
    });
}
