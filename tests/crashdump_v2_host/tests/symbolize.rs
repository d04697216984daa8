//! Symbolization against binutils: the fixture programs (host and RISC-V) are indexed
//! and every address of their line tables, plus random text addresses, must resolve
//! exactly as `addr2line -f -i -C` resolves them; known frames resolve to the function,
//! file and line the fixture's source marks; stripped binaries with separate debug
//! files resolve the same.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{fixture, Flavour};
use symindex::{Frame, SymIndex};

fn frames_at(index: &[u8], addr: u64) -> Vec<(Option<String>, Option<String>, Option<u32>)> {
    let idx = SymIndex::parse(index).unwrap();
    let m = idx.modules()[0];
    m.lookup(addr)
        .unwrap()
        .into_iter()
        .map(
            |Frame {
                 function,
                 file,
                 line,
             }| { (function.map(String::from), file.map(String::from), line) },
        )
        .collect()
}

fn known_frames(flavour: Flavour) {
    let fx = fixture(flavour);
    let index = common::index(&[&fx.elf], &[]);
    let src = Some(fx.src.display().to_string());
    let outer = fx.function("outer");
    let middle = fx.function("middle");
    let leaf = fx.function("leaf");

    // Every byte of `outer` belongs to `outer`; somewhere in it `middle` is inlined,
    // called from the marked line, and itself calls `leaf` from its marked line.
    let (start, end) = common::symbol_range(&fx.elf, "5outer");
    let mut saw_inlined_middle = false;
    for a in start..end {
        let frames = frames_at(&index, a);
        let last = frames.last().unwrap_or_else(|| panic!("{a:#x} resolves"));
        assert_eq!(
            last.0.as_deref(),
            Some(outer.as_str()),
            "{a:#x}: {frames:?}"
        );
        if let [.., m, o] = frames.as_slice() {
            if m.0.as_deref() == Some(middle.as_str()) {
                assert_eq!(o.1, src, "{a:#x}: call site file");
                assert_eq!(o.2, Some(fx.marker_line("outer-calls-middle")), "{a:#x}");
                if m.2 == Some(fx.marker_line("middle-calls-leaf")) {
                    assert_eq!(m.1, src);
                    saw_inlined_middle = true;
                }
            }
        }
    }
    assert!(
        saw_inlined_middle,
        "no address of outer shows middle inlined at its call to leaf"
    );

    // `leaf` is its own function; its marked line is reported inside it.
    let (start, end) = common::symbol_range(&fx.elf, "4leaf");
    let mut saw_body = false;
    for a in start..end {
        let frames = frames_at(&index, a);
        assert_eq!(
            frames.last().unwrap().0.as_deref(),
            Some(leaf.as_str()),
            "{a:#x}"
        );
        if frames
            .iter()
            .any(|f| f.1 == src && f.2 == Some(fx.marker_line("leaf-body")))
        {
            saw_body = true;
        }
    }
    assert!(saw_body, "no address of leaf maps to its marked line");
}

#[test]
fn host_fixture_resolves_known_frames() {
    known_frames(Flavour::Host);
}

#[test]
fn riscv_fixture_resolves_known_frames() {
    known_frames(Flavour::Riscv);
}

#[test]
fn riscv32_elf32_fixture_resolves_known_frames() {
    known_frames(Flavour::Riscv32);
}

fn agrees_with_binutils(flavour: Flavour) {
    let fx = fixture(flavour);
    let index = common::index(&[&fx.elf], &[]);
    let mut addrs = common::line_table_addresses(&fx.elf);
    assert!(addrs.len() > 10, "the fixture has a line table");
    let lines = addrs.len();
    addrs.extend(common::random_text_addresses(&fx.elf, 1500, 7));
    addrs.sort_unstable();
    addrs.dedup();
    let expected = common::oracle(&fx.addr2line_tool(), &fx.elf, &addrs);
    let got = common::ours(&index, None, &addrs);
    let (good, total, bad) = common::agreement(&addrs, &expected, &got);
    assert_eq!(
        good,
        total,
        "{lines} line-table + random addresses; first mismatches:\n{}",
        bad.join("\n")
    );
    assert!(
        total >= 1000,
        "checked {total} addresses ({lines} from the line table)"
    );
}

#[test]
fn host_fixture_agrees_with_binutils_addr2line() {
    agrees_with_binutils(Flavour::Host);
}

#[test]
fn riscv_fixture_agrees_with_binutils_addr2line() {
    agrees_with_binutils(Flavour::Riscv);
}

#[test]
fn riscv32_elf32_fixture_agrees_with_binutils_addr2line() {
    agrees_with_binutils(Flavour::Riscv32);
}

/// Splits the fixture into a stripped binary and a separate debug file, linked both by
/// `.gnu_debuglink` and by the `.build-id/` directory layout.
fn split_debug(flavour: Flavour, tag: &str) -> (PathBuf, PathBuf, tempfile::TempDir) {
    let fx = fixture(flavour);
    let dir = tempfile::tempdir_in(common::work_dir()).unwrap();
    let stripped = dir.path().join(format!("{tag}-stripped"));
    let debug = dir.path().join(format!("{tag}.debug"));
    let objcopy = fx.objcopy_tool();
    common::run(
        Command::new(&objcopy)
            .arg("--only-keep-debug")
            .arg(&fx.elf)
            .arg(&debug),
    );
    common::run(
        Command::new(&objcopy)
            .arg("--strip-all")
            .arg(&fx.elf)
            .arg(&stripped),
    );
    common::run(
        Command::new(&objcopy)
            .arg(format!("--add-gnu-debuglink={}", debug.display()))
            .arg(&stripped),
    );
    (stripped, debug, dir)
}

fn stripped_resolves_the_same(flavour: Flavour) {
    let fx = fixture(flavour);
    let full = common::index(&[&fx.elf], &[]);
    let mut addrs = common::line_table_addresses(&fx.elf);
    addrs.extend(common::random_text_addresses(&fx.elf, 300, 11));
    addrs.sort_unstable();
    addrs.dedup();
    let want = common::ours(&full, None, &addrs);

    // Found by .gnu_debuglink next to the binary.
    let (stripped, debug, dir) = split_debug(flavour, "link");
    let by_link = common::index(&[&stripped], &[]);
    let m = SymIndex::parse(&by_link).unwrap().modules()[0];
    assert_eq!(
        m.debug_file(),
        Some(debug.file_name().unwrap().to_str().unwrap())
    );
    assert_eq!(
        m.build_id(),
        common::gnu_build_id(&fx.elf).unwrap().as_slice()
    );
    assert_eq!(common::ours(&by_link, None, &addrs), want);

    // Found by Build-ID under a debug directory, the debug link pointing nowhere.
    let id = symindex::build_id_hex(&common::gnu_build_id(&fx.elf).unwrap());
    let store = dir.path().join("store");
    let leaf = store.join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&leaf).unwrap();
    std::fs::rename(&debug, leaf.join(format!("{}.debug", &id[2..]))).unwrap();
    let by_id = common::index(&[&stripped], &[store]);
    assert_eq!(common::ours(&by_id, None, &addrs), want);

    // Without the debug file: the stripped binary has no symbols left, so every
    // address is unknown, but indexing still succeeds and says it is degraded.
    let none = common::index(&[stripped], &[]);
    let m = SymIndex::parse(&none).unwrap().modules()[0];
    assert_eq!(m.debug(), symindex::DebugKind::Symtab);
}

#[test]
fn host_stripped_binary_with_debug_file_resolves_the_same() {
    stripped_resolves_the_same(Flavour::Host);
}

#[test]
fn riscv_stripped_binary_with_debug_file_resolves_the_same() {
    stripped_resolves_the_same(Flavour::Riscv);
}

#[test]
fn binary_without_dwarf_is_indexed_from_its_symbol_table() {
    let fx = fixture(Flavour::Host);
    let dir = tempfile::tempdir_in(common::work_dir()).unwrap();
    let nodebug = dir.path().join("nodebug");
    common::run(
        Command::new("objcopy")
            .arg("--strip-debug")
            .arg(&fx.elf)
            .arg(&nodebug),
    );
    let index = common::index(&[&nodebug], &[]);
    let m = SymIndex::parse(&index).unwrap().modules()[0];
    assert_eq!(m.debug(), symindex::DebugKind::Symtab);
    let (start, end) = common::symbol_range(&nodebug, "5outer");
    let frames = m.lookup(start + (end - start) / 2).unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].function, Some(fx.function("outer").as_str()));
    assert_eq!(frames[0].line, None);
    // And still as binutils answers for a binary without DWARF.
    let addrs = common::random_text_addresses(&nodebug, 500, 3);
    let (good, total, bad) = common::agreement(
        &addrs,
        &common::oracle("addr2line", &nodebug, &addrs),
        &common::ours(&index, None, &addrs),
    );
    assert_eq!(good, total, "{}", bad.join("\n"));
}
