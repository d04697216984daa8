//! The crash pipeline end to end on a real program: the host fixture (a known call chain
//! `outer` -> `middle` (inlined) -> `leaf`) is built, indexed, and a dump whose frames are
//! real runtime addresses of it (a pc inside `leaf`, then the return address of the call
//! to `leaf` in `outer`, both relocated to a load address) is shown by `nx crash show
//! --sym`: the frames come out with the functions, inlined frame and marked lines. The
//! return address is resolved inside the call (pc - 1), not at the next line, and so is a
//! first frame marked `return_address` (a dump taken by a panic handler).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crashdump_v2_host::fixture::Flavour;
use crashdump_v2_host::oracle;
use nxcd::{BuildId, Dump, DumpId, Frame, Header, MapEntry};

const LOAD: u64 = 0x5555_0000_0000;

fn work() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nx-pipeline");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("crash")).unwrap();
    d
}

fn marker_line(marker: &str) -> u32 {
    Flavour::Host.marker_line(marker).unwrap()
}

/// The return address of the call to `leaf` inside `outer`, read from binutils' objdump.
fn return_address_after_call_to_leaf(elf: &Path, outer: (u64, u64)) -> u64 {
    let out = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn"])
        .arg(format!("--start-address={:#x}", outer.0))
        .arg(format!("--stop-address={:#x}", outer.1))
        .arg(elf)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let insns: Vec<u64> = text
        .lines()
        .filter_map(|l| {
            let (addr, _) = l.trim().split_once(':')?;
            u64::from_str_radix(addr.trim(), 16).ok()
        })
        .collect();
    let call = text
        .lines()
        .find(|l| l.contains("call") && l.contains("4leaf"))
        .expect("outer calls leaf");
    let call_addr = u64::from_str_radix(call.trim().split_once(':').unwrap().0.trim(), 16).unwrap();
    *insns
        .iter()
        .find(|&&a| a > call_addr)
        .expect("an instruction follows the call")
}

#[test]
fn show_symbolizes_real_frames_with_inlining_and_return_addresses() {
    let dir = work();
    let elf = dir.join("chain");
    Flavour::Host.build(&elf, true).unwrap();
    let leaf = oracle::symbol_range(&elf, "4leaf").unwrap();
    let outer = oracle::symbol_range(&elf, "5outer").unwrap();
    let ret = return_address_after_call_to_leaf(&elf, outer);
    let build_id = BuildId::new(&oracle::gnu_build_id(&elf).unwrap().unwrap()).unwrap();

    let index =
        symindex::build::build_index(std::slice::from_ref(&elf), &Default::default()).unwrap();
    std::fs::write(dir.join("symbols.nxsym"), index).unwrap();

    let dump = Dump {
        header: Header {
            arch: "x86_64".into(),
            build_id: build_id.clone(),
            created_ns: 1_766_484_000_000_000_000,
            dump_id: DumpId::new("chain-7").unwrap(),
            exit_code: -14,
            logs_error: None,
            os_version: None,
            redacted: None,
            repeats: None,
            seq: None,
            pc: LOAD + leaf.0 + 4,
            pid: 7,
            process: "chain".into(),
            scause: 13,
            stval: 0,
        },
        frames: vec![Frame::at(LOAD + leaf.0 + 4), Frame::at(LOAD + ret)],
        maps: vec![MapEntry {
            build_id,
            end: LOAD + 0x100_0000,
            link_base: 0,
            name: "chain".into(),
            start: LOAD,
        }],
        logs: None,
        spans: None,
        regs: None,
    };
    nxcd::fs::write_dump(&dir.join("crash/chain-7.nxcd"), &dump).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_nx"))
        .args(["crash", "show", "chain-7", "--dir"])
        .arg(dir.join("crash"))
        .arg("--sym")
        .arg(dir.join("symbols.nxsym"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let leaf_line = format!("chain::leaf at /src/chain.rs:{}", marker_line("leaf-body"));
    let middle = format!(
        "chain::middle at /src/chain.rs:{}",
        marker_line("middle-calls-leaf")
    );
    let outer_line = format!(
        " (inlined by) chain::outer at /src/chain.rs:{}",
        marker_line("outer-calls-middle")
    );
    for want in [&leaf_line, &middle, &outer_line] {
        assert!(text.contains(want.as_str()), "missing `{want}` in:\n{text}");
    }
    // The caller frame's lines follow the innermost frame's, in order.
    let at = |s: &str| text.find(s).unwrap();
    assert!(
        at(&leaf_line) < at(&middle) && at(&middle) < at(&outer_line),
        "{text}"
    );

    // The return address alone, as the first frame: exact by the default rule, inside
    // the call when the frame says it is a return address. The two must differ (binutils
    // says what is at each address), or this check could not fail.
    let exact = oracle::addr2line("addr2line", &elf, &[ret]).unwrap();
    let inside = oracle::addr2line("addr2line", &elf, &[ret - 1]).unwrap();
    assert_ne!(
        exact, inside,
        "the return address resolves as its call does"
    );
    let show = |frame: Frame, id: &str| {
        let dump = Dump {
            header: Header {
                dump_id: DumpId::new(id).unwrap(),
                pc: frame.pc,
                ..dump.header.clone()
            },
            frames: vec![frame],
            ..dump.clone()
        };
        nxcd::fs::write_dump(&dir.join(format!("crash/{id}.nxcd")), &dump).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_nx"))
            .args(["crash", "show", id, "--dir"])
            .arg(dir.join("crash"))
            .arg("--sym")
            .arg(dir.join("symbols.nxsym"))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let marked = show(
        Frame {
            return_address: Some(true),
            ..Frame::at(LOAD + ret)
        },
        "chain-8",
    );
    assert!(
        marked.contains(&middle) && marked.contains(&outer_line),
        "{marked}"
    );
    let unmarked = show(Frame::at(LOAD + ret), "chain-9");
    assert!(!unmarked.contains(&middle), "{unmarked}");
}
