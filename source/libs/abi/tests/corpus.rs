//! Replays the fuzz target's seed corpus (`fuzz/corpus/fault_record/`) as an ordinary test
//! on the stable toolchain, so the corpus and the decoder cannot drift apart unnoticed.
//!
//! Every file goes through the fuzz target's body (`abi::fuzz::fault_record`); files named
//! `valid-*` must also decode. Set `NX_BLESS=1` to regenerate the seed files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use abi::fault::{REG_COUNT, REG_SP};
use abi::{FaultRecord, ModuleEntry};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/fault_record")
}

fn encode(rec: &FaultRecord) -> Vec<u8> {
    let mut buf = [0u8; FaultRecord::MAX_LEN];
    let n = rec.encode(&mut buf).unwrap();
    buf[..n].to_vec()
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut regs = [0u64; REG_COUNT];
    for (i, r) in regs.iter_mut().enumerate() {
        *r = 0x4001_0000 + 8 * i as u64;
    }
    regs[REG_SP] = 0x7fff_e000;
    let minimal = encode(&FaultRecord::new(regs));
    let mut full = FaultRecord::new(regs);
    full.stack_len = 128;
    for (i, b) in full.stack[..128].iter_mut().enumerate() {
        *b = i as u8;
    }
    full.modules[0] = ModuleEntry::new(b"init", 0x4001_0000, 0x4001_4000, 0x4001_0000, &[0xab; 20]);
    full.modules[1] = ModuleEntry::new(
        b"misbehave",
        0x4002_0000,
        0x4002_3000,
        0x4002_0000,
        &[0x5c; 32],
    );
    full.module_count = 2;
    let full = encode(&full);
    let mut bad_module = full.clone();
    bad_module[320 + 128 + 25] = 33;
    vec![
        ("valid-minimal.bin", minimal.clone()),
        ("valid-stack-and-modules.bin", full.clone()),
        ("truncated.bin", full[..full.len() - 1].to_vec()),
        ("bad-magic.bin", b"NXFX".to_vec()),
        ("bad-total-length.bin", {
            let mut b = minimal;
            b[8] ^= 8;
            b
        }),
        ("bad-module-name-length.bin", bad_module),
    ]
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(&corpus_dir(), &seeds(), abi::fuzz::fault_record, |b| {
        FaultRecord::decode(b).map(drop)
    });
}
