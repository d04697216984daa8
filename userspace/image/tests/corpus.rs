//! Replays the fuzz targets' seed corpora (`fuzz/corpus/gpt_reader/`,
//! `fuzz/corpus/manifest_parser/`) as ordinary tests on the stable toolchain, so the
//! corpora and the readers cannot drift apart unnoticed.
//!
//! Every file goes through its target's body (`image::fuzz::*`); files named `valid-*`
//! must also be accepted. Set `NX_BLESS=1` to regenerate the seed files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use image::gpt::parse_primary;
use image::state::StateHeader;
use image::{build_in_memory, compose, Layout, Manifest, Profile, SegmentName, SignatureKind};

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn gpt_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let layout = Layout::plan(
        &[(SegmentName::Kernel, 5000), (SegmentName::Initrd, 300)],
        Some(64 << 10),
    )
    .unwrap();
    let digests = [
        (SegmentName::Kernel, [1; 32]),
        (SegmentName::Initrd, [2; 32]),
    ];
    let comp = compose(layout, &digests, "qemu-virt", "1.0.0", Profile::Dev).unwrap();
    let mut head = comp.mbr.to_vec();
    head.extend_from_slice(&comp.gpt_primary);
    let mut bad_crc = head.clone();
    bad_crc[512 + 16] ^= 1;
    let mut bad_entries = head.clone();
    bad_entries[1024 + 40] ^= 1;
    vec![
        ("valid-gpt-head.bin", head.clone()),
        (
            "valid-state-header.bin",
            comp.state_header.unwrap().to_vec(),
        ),
        ("truncated-gpt-head.bin", head[..head.len() - 1].to_vec()),
        ("bad-header-crc.bin", bad_crc),
        ("bad-entries-crc.bin", bad_entries),
        ("no-protective-mbr.bin", vec![0; head.len()]),
    ]
}

fn manifest_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let (_, manifest) = build_in_memory(
        &[
            (SegmentName::Kernel, b"kernel"),
            (SegmentName::Initrd, b"initrd"),
        ],
        Some(64 << 10),
        "qemu-virt",
        "1.2.3",
        Profile::Dev,
        SignatureKind::None,
    )
    .unwrap();
    let canonical = manifest.encode();
    let text = String::from_utf8(canonical.clone()).unwrap();
    vec![
        ("valid-dev.json", canonical.clone()),
        (
            "not-canonical.json",
            serde_json::to_vec_pretty(&manifest).unwrap(),
        ),
        ("truncated.json", canonical[..canonical.len() / 2].to_vec()),
        (
            "release-unsigned.json",
            text.replace("\"profile\":\"dev\"", "\"profile\":\"release\"")
                .into_bytes(),
        ),
        ("not-json.bin", b"\x00\xffNX".to_vec()),
    ]
}

#[test]
fn gpt_reader_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(
        &corpus_dir("gpt_reader"),
        &gpt_seeds(),
        image::fuzz::gpt_reader,
        |b| {
            parse_primary(b)
                .map(drop)
                .or_else(|_| StateHeader::decode(b).map(drop))
        },
    );
}

#[test]
fn manifest_parser_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(
        &corpus_dir("manifest_parser"),
        &manifest_seeds(),
        image::fuzz::manifest_parser,
        |b| Manifest::parse(b).map(drop),
    );
}
