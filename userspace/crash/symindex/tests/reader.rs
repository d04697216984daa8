//! The index reader on hostile bytes: a synthetic index written by `write_index`
//! round-trips, and no mutation of it (bit flips, truncation, splices, random bytes)
//! makes parsing or lookup panic. Also replays the fuzz seed corpus on stable
//! (`fuzz/corpus/index_reader/`, regenerated with `NX_BLESS=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use symindex::format::NONE;
use symindex::{write_index, BuildIdKind, DebugKind, ModuleData, Node, Strings, SymIndex};

/// A small index: two modules, nested inlined scopes, gaps in the line table.
fn sample() -> Vec<u8> {
    let mut modules = Vec::new();
    for (k, id) in [[0xaau8; 20], [0x11u8; 20]].iter().enumerate() {
        let mut strings = Strings::default();
        let f_outer = strings.intern("app::outer");
        let f_mid = strings.intern("app::middle");
        let f_leaf = strings.intern("core::leaf");
        let file_a = strings.intern("/src/app.rs");
        let file_b = strings.intern("/rustc/core.rs");
        let nodes = vec![
            Node {
                name: f_outer,
                parent: NONE,
                call_file: NONE,
                call_line: 0,
            },
            Node {
                name: f_mid,
                parent: 0,
                call_file: file_a,
                call_line: 20,
            },
            Node {
                name: f_leaf,
                parent: 1,
                call_file: file_a,
                call_line: 14,
            },
        ];
        let base = 0x1000 * (k as u64 + 1);
        let scopes = (0..100u64)
            .map(|i| (base + i * 8, (i % 4) as u32))
            .collect();
        let lines = (0..200u64)
            .map(|i| {
                let v = if i % 17 == 16 {
                    None
                } else {
                    Some(((i % 2) as u32 + file_a, (i % 50) as u32))
                };
                (base + i * 4, v)
            })
            .collect();
        let _ = file_b;
        modules.push(ModuleData {
            build_id: symindex::BuildId::new(id).unwrap(),
            build_id_kind: BuildIdKind::Gnu,
            name: format!("m{k}"),
            arch: "riscv64".into(),
            debug: DebugKind::Dwarf,
            debug_file: None,
            strings,
            nodes,
            scopes,
            lines,
        });
    }
    write_index(&modules)
}

/// The fuzz target's body: parses and looks up everywhere, never panics.
fn exercise(bytes: &[u8]) {
    symindex::fuzz::index_reader(bytes);
}

#[test]
fn sample_roundtrips() {
    let bytes = sample();
    let idx = SymIndex::parse(&bytes).unwrap();
    assert_eq!(idx.modules().len(), 2);
    assert_eq!(idx.modules()[0].build_id(), &[0x11; 20]);
    let m = idx.module(&[0xaa; 20]).unwrap().unwrap();
    // 0x1000 + 3*8: scope value 3 = node 2 (leaf, inlined in middle, in outer).
    let f = m.lookup(0x1000 + 3 * 8).unwrap();
    let names: Vec<_> = f.iter().map(|f| f.function.unwrap()).collect();
    assert_eq!(names, ["core::leaf", "app::middle", "app::outer"]);
    assert_eq!((f[1].file, f[1].line), (Some("/src/app.rs"), Some(14)));
    assert_eq!((f[2].file, f[2].line), (Some("/src/app.rs"), Some(20)));
    assert!(m.lookup(0x10).unwrap().is_empty());
    assert!(idx.module(&[0x22; 20]).unwrap().is_none());
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = sample();
    for n in 0..bytes.len() {
        exercise(&bytes[..n]);
        assert!(
            SymIndex::parse(&bytes[..n]).is_err(),
            "truncated to {n} bytes parses"
        );
    }
}

#[test]
fn rejects_wrong_format_and_version() {
    let bytes = sample();
    let mut other = bytes.clone();
    let at = other.windows(5).position(|w| w == b"nxsym").unwrap();
    other[at] = b'X';
    assert_eq!(
        SymIndex::parse(&other).err(),
        Some(symindex::Error::NotAnIndex)
    );
    let mut v2 = bytes.clone();
    let last = v2.len() - 1;
    v2[last] = 0x02;
    assert_eq!(
        SymIndex::parse(&v2).err(),
        Some(symindex::Error::UnsupportedVersion { found: 2 })
    );
}

/// The fuzz target's seeds: the sample index and its first half.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let bytes = sample();
    vec![
        ("valid-sample.nxsym", bytes.clone()),
        ("sample-truncated.nxsym", bytes[..bytes.len() / 2].to_vec()),
    ]
}

/// Replays `fuzz/corpus/index_reader/` through the fuzz target's body; `valid-*` files
/// must parse (the sample's two modules), the others must not, so the fuzzer never
/// starts from rejected bytes only. `NX_BLESS=1` regenerates the seeds.
#[test]
fn fuzz_corpus_replays_without_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/index_reader");
    test_harness::replay_fuzz_corpus(&dir, &seeds(), exercise, |b| {
        let idx = SymIndex::parse(b)?;
        assert_eq!(idx.modules().len(), 2, "a valid seed is the sample");
        Ok::<(), symindex::Error>(())
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bit_flips_never_panic(flips in prop::collection::vec((any::<usize>(), 0u8..8), 1..8)) {
        let mut bytes = sample();
        let len = bytes.len();
        for (at, bit) in flips {
            bytes[at % len] ^= 1 << bit;
        }
        exercise(&bytes);
    }

    #[test]
    fn byte_splices_never_panic(at in any::<usize>(), junk in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = sample();
        let at = at % bytes.len();
        let end = (at + junk.len()).min(bytes.len());
        bytes.splice(at..end, junk);
        exercise(&bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }
}
