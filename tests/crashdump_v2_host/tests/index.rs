//! The index as a file: Build-IDs (note and fallback), byte-identical output whatever
//! the input order or working directory, valid canonical CBOR, and the inputs that are
//! errors (non-ELF, a repeated Build-ID, an input over the size cap).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{fixture, Flavour};
use symindex::{BuildIdKind, SymIndex};

#[test]
fn build_id_comes_from_the_gnu_note() {
    for flavour in [Flavour::Host, Flavour::Riscv] {
        let fx = fixture(flavour);
        let index = common::index(&[&fx.elf], &[]);
        let m = SymIndex::parse(&index).unwrap().modules()[0];
        assert_eq!(m.build_id_kind(), BuildIdKind::Gnu);
        assert_eq!(
            m.build_id(),
            common::gnu_build_id(&fx.elf).unwrap().as_slice()
        );
        assert_eq!(
            m.arch(),
            if flavour == Flavour::Host {
                "x86_64"
            } else {
                "riscv64"
            }
        );
    }
}

#[test]
fn fallback_build_id_is_deterministic_and_survives_strip() {
    let fx = fixture(Flavour::Riscv);
    let dir = tempfile::tempdir_in(common::work_dir()).unwrap();
    let noid = dir.path().join("noid");
    let noid_stripped = dir.path().join("noid-stripped");
    common::run(
        Command::new(fx.objcopy_tool())
            .args(["--remove-section", ".note.gnu.build-id"])
            .arg(&fx.elf)
            .arg(&noid),
    );
    assert_eq!(common::gnu_build_id(&noid), None);
    common::run(
        Command::new(fx.objcopy_tool())
            .arg("--strip-debug")
            .arg(&noid)
            .arg(&noid_stripped),
    );
    let a = common::index(&[&noid], &[]);
    let b = common::index(&[&noid], &[]);
    assert_eq!(a, b);
    let ma = SymIndex::parse(&a).unwrap().modules()[0];
    assert_eq!(ma.build_id_kind(), BuildIdKind::Fallback);
    assert_eq!(ma.build_id().len(), symindex::build::FALLBACK_ID_LEN);
    let s = common::index(&[noid_stripped], &[]);
    let ms = SymIndex::parse(&s).unwrap().modules()[0];
    assert_eq!(
        ms.build_id(),
        ma.build_id(),
        "strip does not change the fallback id"
    );
    // Resolution works the same with a fallback id.
    let (start, _) = common::symbol_range(&noid, "5outer");
    let f = ma.lookup(start).unwrap();
    assert_eq!(
        f.last().unwrap().function,
        Some(fx.function("outer").as_str())
    );
}

#[test]
fn index_is_byte_identical_for_any_input_order_and_directory() {
    let host = fixture(Flavour::Host).elf.clone();
    let riscv = fixture(Flavour::Riscv).elf.clone();
    let ab = common::index(&[host.clone(), riscv.clone()], &[]);
    let ba = common::index(&[riscv.clone(), host.clone()], &[]);
    assert_eq!(ab, ba);
    // The same files reached through another path and copied under another directory.
    let dir = tempfile::tempdir_in(common::work_dir()).unwrap();
    let copy_dir = dir.path().join("elsewhere");
    std::fs::create_dir_all(&copy_dir).unwrap();
    std::fs::copy(&host, copy_dir.join(host.file_name().unwrap())).unwrap();
    std::fs::copy(&riscv, copy_dir.join(riscv.file_name().unwrap())).unwrap();
    let copied = common::index(
        &[
            copy_dir.join(riscv.file_name().unwrap()),
            copy_dir.join(host.file_name().unwrap()),
        ],
        &[],
    );
    assert_eq!(ab, copied);
    let idx = SymIndex::parse(&ab).unwrap();
    assert_eq!(idx.modules().len(), 2);
    assert!(idx.modules()[0].build_id() < idx.modules()[1].build_id());
}

#[test]
fn index_is_canonical_cbor_with_the_documented_top_level() {
    let index = common::index(&[fixture(Flavour::Riscv).elf.clone()], &[]);
    let value: ciborium::Value = ciborium::from_reader(index.as_slice()).unwrap();
    let map = value.as_map().unwrap();
    let keys: Vec<&str> = map.iter().map(|(k, _)| k.as_text().unwrap()).collect();
    assert_eq!(keys, ["format", "modules", "version"]);
    assert_eq!(map[0].1.as_text(), Some("nxsym"));
    assert_eq!(map[2].1.as_integer().map(i128::from), Some(1));
    let module = map[1].1.as_array().unwrap()[0].as_map().unwrap();
    let mkeys: Vec<&str> = module.iter().map(|(k, _)| k.as_text().unwrap()).collect();
    let mut sorted = mkeys.clone();
    sorted.sort_by(|a, b| (a.len(), *a).cmp(&(b.len(), *b)));
    assert_eq!(mkeys, sorted, "module keys are in canonical order");
    // Re-encoding the decoded value gives the same bytes: nothing non-canonical inside.
    let mut again = Vec::new();
    ciborium::into_writer(&value, &mut again).unwrap();
    assert_eq!(again, index);
}

#[test]
fn rejects_non_elf_duplicates_and_oversized_inputs() {
    let dir = tempfile::tempdir_in(common::work_dir()).unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an ELF").unwrap();
    let opts = symindex::build::Options::default();
    let e = symindex::build::build_index(std::slice::from_ref(&text), &opts).unwrap_err();
    assert!(
        matches!(e, symindex::build::BuildError::NotElf { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("notes.txt"), "{e}");

    let elf = fixture(Flavour::Host).elf.clone();
    let twin = dir.path().join("twin");
    std::fs::copy(&elf, &twin).unwrap();
    let e = symindex::build::build_index(&[elf.clone(), twin], &opts).unwrap_err();
    assert!(
        matches!(e, symindex::build::BuildError::DuplicateBuildId { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("twin"), "{e}");

    let small = symindex::build::Options {
        max_input_bytes: 1024,
        ..Default::default()
    };
    let e = symindex::build::build_index(&[elf], &small).unwrap_err();
    assert!(
        matches!(e, symindex::build::BuildError::TooLarge { cap: 1024, .. }),
        "{e}"
    );
}
