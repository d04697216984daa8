//! The committed dump the OS wrote (`fixtures/os-dump/`): crashd's `.nxcd` of crash-demo's
//! fault in QEMU, read out of the image with `nx state cat`, beside the crash-demo ELF
//! that ran (built with the checkout and cargo home mapped to /nexus and /cargo, so it
//! names no machine's paths). It stays a faithful pair: the dump's module is the ELF
//! (same build-id), and its frames, symbolized with an index of the ELF, name
//! crash-demo's call chain exactly as binutils' `addr2line -f -i -C` does. Debugger
//! and symbol-server tests use the pair as their RISC-V crash.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use nxcd::symbolize::Symbolizer;
use nxcd::Dump;
use symindex::IndexSet;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/os-dump")
        .join(name)
}

#[test]
fn the_os_dump_names_crash_demo_s_chain_as_binutils_does() {
    let elf = fixture("crash-demo");
    let dump = Dump::decode(&std::fs::read(fixture("crash-demo.nxcd")).unwrap()).unwrap();
    assert_eq!(dump.header.process, "crash-demo");
    assert_eq!((dump.header.scause, dump.header.stval), (15, 0x10));
    let module = &dump.maps[0];
    assert_eq!(
        Some(module.build_id.as_bytes().to_vec()),
        common::gnu_build_id(&elf),
        "the dump's module is the committed ELF"
    );

    let index = common::index(&[&elf], &[]);
    let mut set = IndexSet::new();
    set.add("crash-demo.nxsym", &index).unwrap();
    let frames = Symbolizer::new(set).frames(&dump);
    let functions: Vec<Vec<&str>> = frames
        .iter()
        .map(|f| {
            f.locations
                .iter()
                .filter_map(|l| l.function.as_deref())
                .collect()
        })
        .collect();
    let flat: Vec<&str> = functions.iter().flatten().copied().collect();
    for (inner, outer) in [
        ("crash_demo::crash_inner", "crash_demo::crash_middle"),
        ("crash_demo::crash_middle", "crash_demo::crash_outer"),
        ("crash_demo::crash_outer", "crash_demo::main"),
    ] {
        let (i, o) = (
            flat.iter().position(|f| *f == inner),
            flat.iter().position(|f| *f == outer),
        );
        assert!(
            i.is_some() && o.is_some() && i < o,
            "{inner} before {outer}: {functions:?}"
        );
    }
    // crash_middle is inlined into crash_outer: one frame holds both.
    assert!(
        functions
            .iter()
            .any(|f| f == &["crash_demo::crash_middle", "crash_demo::crash_outer"]),
        "{functions:?}"
    );

    // Every frame's lookup address (the pc, or a return address minus one) resolves as
    // binutils resolves it.
    let addrs: Vec<u64> = frames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let link = f.module.as_ref()?.2;
            Some(if dump.frames[i].is_return_address(i) {
                link - 1
            } else {
                link
            })
        })
        .collect();
    assert!(addrs.len() >= 4, "{} frames in a module", addrs.len());
    let expected = common::oracle("riscv64-linux-gnu-addr2line", &elf, &addrs);
    let got = common::ours(&index, Some(module.build_id.as_bytes()), &addrs);
    let (good, total, bad) = common::agreement(&addrs, &expected, &got);
    assert_eq!(good, total, "{bad:#?}");
}
