//! Replays the fuzz target's seed corpus (`fuzz/corpus/nxcd_reader/`) as an ordinary test
//! on the stable toolchain, so the corpus and the reader cannot drift apart unnoticed.
//!
//! Every file goes through the fuzz target's body (`nxcd::fuzz::nxcd_reader`); files named
//! `valid-*` must also decode, the others must not.
//! Set `NX_BLESS=1` to regenerate the seed files from the fixtures.

use std::path::PathBuf;

use nxcd::Dump;

use super::fixtures::{full_dump, minimal_dump, Synth};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/nxcd_reader")
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let full = full_dump().encode().unwrap();
    let mut bad_crc = full.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0x40;
    vec![
        ("valid-full.nxcd", full.clone()),
        ("valid-minimal.nxcd", minimal_dump().encode().unwrap()),
        ("valid-synth.nxcd", Synth::valid().bytes()),
        ("truncated-full.nxcd", full[..full.len() / 2].to_vec()),
        ("bad-checksum-regs.nxcd", bad_crc),
        ("bad-magic.bin", b"\x7fELF\x02\x01\x01\x00".to_vec()),
    ]
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(&corpus_dir(), &seeds(), nxcd::fuzz::nxcd_reader, |b| {
        Dump::decode(b).map(drop)
    });
}
