//! Replays the fuzz target's seed corpus (`fuzz/corpus/blkd_request/`) as an ordinary
//! test on the stable toolchain, so the corpus and the decoder cannot drift apart
//! unnoticed.
//!
//! Every file goes through the fuzz target's body (`blkd_api::fuzz::blkd_request`);
//! files named `valid-*` must also decode. Set `NX_BLESS=1` to regenerate the seed files.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use blkd_api::{Request, Target, SECTOR};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/blkd_request")
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let data = vec![0x5a; 2 * SECTOR];
    let read = Request::Read {
        handle: 1,
        lba: 7,
        sectors: 1,
    }
    .encode();
    let mut zero_sectors = read.clone();
    zero_sectors[13] = 0;
    let write = Request::Write {
        handle: 1,
        lba: 0,
        data: &data,
    }
    .encode();
    vec![
        (
            "valid-open.bin",
            Request::Open(Target::Partition("p")).encode(),
        ),
        (
            "valid-open-disk.bin",
            Request::Open(Target::Disk("disk0")).encode(),
        ),
        ("valid-read.bin", read.clone()),
        (
            "valid-read-past-end.bin",
            Request::Read {
                handle: 1,
                lba: u64::MAX,
                sectors: 7,
            }
            .encode(),
        ),
        ("valid-write.bin", write.clone()),
        (
            "valid-write-denied.bin",
            Request::Write {
                handle: 2,
                lba: 0,
                data: &data[..SECTOR],
            }
            .encode(),
        ),
        ("valid-flush.bin", Request::Flush { handle: 1 }.encode()),
        ("valid-size.bin", Request::Size { handle: 0 }.encode()),
        ("empty.bin", vec![]),
        ("unknown-op.bin", vec![9, 1, 0, 0, 0]),
        ("open-bad-kind.bin", vec![1, 7, b'p']),
        ("read-zero-sectors.bin", zero_sectors),
        ("read-truncated.bin", read[..read.len() - 1].to_vec()),
        ("write-part-sector.bin", write[..write.len() - 1].to_vec()),
    ]
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    test_harness::replay_corpus(&corpus_dir(), &seeds(), |name, bytes| {
        println!("replaying {name}");
        blkd_api::fuzz::blkd_request(bytes);
        let decoded = Request::decode(bytes);
        if name.starts_with("valid-") {
            assert!(decoded.is_ok(), "{name}: {decoded:?}");
        } else {
            assert!(decoded.is_err(), "{name} should be rejected");
        }
    });
}
