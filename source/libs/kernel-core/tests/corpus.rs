//! Replays the fuzz target's seed corpus (`fuzz/corpus/elf_load_plan/`) as an ordinary
//! test on the stable toolchain, so the corpus and the planner cannot drift apart
//! unnoticed.
//!
//! Every file goes through the fuzz target's body (`kernel_core::fuzz::elf_load_plan`);
//! files named `valid-*` must also plan. Set `NX_BLESS=1` to regenerate
//! the seed files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kernel_core::elf::plan;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/elf_load_plan")
}

/// A small static RISC-V executable: header, program headers `(type, flags, offset,
/// vaddr, filesz, memsz)`, padded to 4 KiB, with a GNU build-id note at 0x400.
fn synth(segments: &[(u32, u32, u64, u64, u64, u64)], entry: u64) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"\x7fELF\x02\x01\x01");
    b.resize(16, 0);
    b.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&entry.to_le_bytes());
    b.extend_from_slice(&64u64.to_le_bytes()); // phoff
    b.extend_from_slice(&0u64.to_le_bytes()); // shoff
    b.extend_from_slice(&0u32.to_le_bytes()); // flags
    b.extend_from_slice(&64u16.to_le_bytes()); // ehsize
    b.extend_from_slice(&56u16.to_le_bytes()); // phentsize
    b.extend_from_slice(&(segments.len() as u16).to_le_bytes());
    b.extend_from_slice(&[0; 6]);
    for (ty, flags, off, vaddr, filesz, memsz) in segments {
        for v in [
            u64::from(*ty) | u64::from(*flags) << 32,
            *off,
            *vaddr,
            *vaddr,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for v in [*filesz, *memsz, 4096] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    b.resize(0x1000, 0);
    let mut note = Vec::new();
    for v in [4u32, 20, 3] {
        note.extend_from_slice(&v.to_le_bytes());
    }
    note.extend_from_slice(b"GNU\0");
    note.extend_from_slice(&[0x5a; 20]);
    b[0x400..0x400 + note.len()].copy_from_slice(&note);
    b
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let text = (1, 5, 0x200, 0x4001_0000, 0x100, 0x100);
    let data = (1, 6, 0x300, 0x4001_1000, 0x10, 0x2000);
    let note = (4, 4, 0x400, 0, 36, 36);
    let full = synth(&[text, data, note], 0x4001_0010);
    vec![
        ("valid-text-data-note.elf", full.clone()),
        ("valid-text-only.elf", synth(&[text], 0x4001_0000)),
        ("truncated.elf", full[..100].to_vec()),
        (
            "segment-in-kernel.elf",
            synth(&[(1, 5, 0, 0x8020_0000, 0, 0x100)], 0x8020_0000),
        ),
        ("entry-outside.elf", synth(&[text], 0x4002_0000)),
        (
            "file-range-past-end.elf",
            synth(&[(1, 5, 0xff0, 0x4001_0000, 0x100, 0x100)], 0x4001_0000),
        ),
    ]
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    test_harness::replay_fuzz_corpus(
        &corpus_dir(),
        &seeds(),
        kernel_core::fuzz::elf_load_plan,
        |b| plan(b).map(drop),
    );
}
