//! Replays the fuzz target's seed corpus (`fuzz/corpus/frame_decoder/`) as an ordinary
//! test on the stable toolchain, so the corpus and the decoder cannot drift apart.
//! Files named `valid-*` must decode to at least one frame; every file must go through
//! the fuzz body without a panic. Set `NX_BLESS=1` to regenerate the seeds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use flash::frame::{Command, Decoder, Frame};
use flash::proto::{HelloReply, ManifestPayload, WriteHeader};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/frame_decoder")
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let hello = Frame::new(Command::Hello, 1, vec![]).encode();
    let hello_reply = Frame::new(
        Command::Ack,
        1,
        HelloReply {
            max_chunk: 65536,
            window: 8,
            insecure: false,
            board: "qemu-virt".into(),
        }
        .encode(),
    )
    .encode();
    let mut write = WriteHeader {
        range: "kernel",
        offset: 4096,
    }
    .encode();
    write.extend_from_slice(&[0xab; 300]);
    let write = Frame::new(Command::Write, 7, write).encode();
    let manifest = Frame::new(
        Command::Manifest,
        2,
        ManifestPayload {
            signature: None,
            manifest: b"{\"board\":\"x\"}\n".to_vec(),
        }
        .encode(),
    )
    .encode();
    let mut bad_crc = write.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 0x40;
    let mut garbage = b"\x00\xffNXFLNXF\x01".to_vec();
    garbage.extend_from_slice(&hello);
    let mut stream = hello.clone();
    stream.extend_from_slice(&manifest);
    stream.extend_from_slice(&write);
    // A new session on the device that holds a complete image: WRITE, VERIFY, DONE and
    // ABORT without its manifest (each must be refused: the fuzz body checks the rule).
    let mut no_manifest = hello.clone();
    let mut evil = WriteHeader {
        range: "kernel",
        offset: 0,
    }
    .encode();
    evil.extend_from_slice(&[0xee; 11]);
    no_manifest.extend_from_slice(&Frame::new(Command::Write, 2, evil).encode());
    for (seq, command) in [
        (3, Command::Verify),
        (4, Command::Done),
        (5, Command::Abort),
    ] {
        no_manifest.extend_from_slice(&Frame::new(command, seq, vec![]).encode());
    }
    vec![
        ("valid-session-without-manifest.bin", no_manifest),
        ("valid-hello.bin", hello),
        ("valid-hello-reply.bin", hello_reply),
        ("valid-write.bin", write.clone()),
        ("valid-manifest.bin", manifest),
        ("valid-garbage-then-hello.bin", garbage),
        ("valid-stream.bin", stream),
        ("bad-crc-write.bin", bad_crc),
        ("truncated-write.bin", write[..write.len() / 2].to_vec()),
        ("oversized-length.bin", {
            let mut b = Frame::new(Command::Write, 1, vec![1; 8]).encode();
            b[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
            b
        }),
    ]
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(&corpus_dir(), &seeds(), flash::fuzz::frame_decoder, |b| {
        let mut d = Decoder::new();
        d.push(b);
        d.next_frame().map(drop).ok_or("no frame decodes")
    });
}
