//! Golden tests of `nx crash` on fixture dump directories built with the nxcd writer.
//!
//! Each test creates a fresh directory (three dumps, one of them compressed, a corrupt
//! `.nxcd` and an unrelated file, plus a symbol index built with symindex's writer), runs
//! the `nx` binary in it with `SOURCE_DATE_EPOCH` fixed, and compares exit status, stdout
//! and stderr with `tests/golden/<name>.txt`. Run with `NX_BLESS=1` to rewrite the golden
//! files after an intended change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Run;

use std::path::{Path, PathBuf};
use std::process::Command;

use nxcd::{
    BuildId, Dump, DumpId, Frame, Header, Level, Limits, LogRecord, MapEntry, Registers, ServiceId,
    Span,
};
use symindex::format::NONE;
use symindex::{BuildIdKind, DebugKind, ModuleData, Node, Strings};

/// 2025-12-24T00:00:00Z.
const NOW: &str = "1766534400";
const S: u64 = 1_000_000_000;
const DEMO_BUILD_ID: &str = "9c1e4d2a00112233445566778899aabbccddeeff";

fn demo() -> Dump {
    let build_id = BuildId::from_hex(DEMO_BUILD_ID).unwrap();
    let mut regs = Registers::default();
    for (i, r) in regs.x.iter_mut().enumerate().skip(1) {
        *r = 0x100 * i as u64;
    }
    regs.x[2] = 0x3fff_ff00;
    regs.pc = 0x4000_1234;
    regs.sstatus = 0x2_0000_0020;
    regs.scause = 13;
    regs.stval = 0x8;
    Dump {
        header: Header {
            arch: "riscv64".into(),
            build_id: build_id.clone(),
            created_ns: 1_766_484_000 * S + 123_456_789,
            dump_id: DumpId::new("20251223-demo-42").unwrap(),
            exit_code: -14,
            logs_error: None,
            os_version: Some("0.3.0".into()),
            redacted: None,
            repeats: None,
            seq: None,
            pc: 0x4000_1234,
            pid: 42,
            process: "demo".into(),
            scause: 13,
            stval: 0x8,
        },
        frames: vec![
            Frame {
                build_id: Some(build_id.clone()),
                ..Frame::at(0x4000_1234)
            },
            Frame::at(0x5000_0010),
            Frame::at(0x7000_0000),
        ],
        maps: vec![
            MapEntry {
                build_id,
                end: 0x4001_0000,
                link_base: 0x1_0000,
                name: "demo".into(),
                start: 0x4000_0000,
            },
            MapEntry {
                build_id: BuildId::from_hex("0102030405060708").unwrap(),
                end: 0x5000_8000,
                link_base: 0,
                name: "libc.so".into(),
                start: 0x5000_0000,
            },
        ],
        logs: Some(vec![
            LogRecord {
                record_id: 11,
                timestamp_nsec: 1_766_483_999 * S,
                service_id: ServiceId(5),
                level: Level::Info,
                scope: b"demo".to_vec(),
                message: b"loading config".to_vec(),
                fields: b"path=/state/settings/demo\n".to_vec(),
            },
            LogRecord {
                record_id: 12,
                timestamp_nsec: 1_766_484_000 * S,
                service_id: ServiceId(5),
                level: Level::Error,
                scope: b"demo".to_vec(),
                message: vec![b'b', b'a', b'd', b' ', 0xff],
                fields: Vec::new(),
            },
        ]),
        spans: Some(vec![
            Span {
                end_ns: Some(1_766_483_999 * S + 500_000_000),
                id: 1,
                name: "startup".into(),
                parent: None,
                start_ns: 1_766_483_999 * S,
            },
            Span {
                end_ns: None,
                id: 2,
                name: "parse_config".into(),
                parent: Some(1),
                start_ns: 1_766_483_999 * S + 600_000_000,
            },
        ]),
        regs: Some(regs),
    }
}

fn netd() -> Dump {
    let build_id = BuildId::from_hex("aabbccdd").unwrap();
    Dump {
        header: Header {
            arch: "riscv64".into(),
            build_id: build_id.clone(),
            created_ns: 1_766_219_400 * S,
            dump_id: DumpId::new("20251220-netd-7").unwrap(),
            exit_code: -3,
            logs_error: None,
            os_version: None,
            redacted: None,
            repeats: None,
            seq: None,
            pc: 0x4000_0100,
            pid: 7,
            process: "netd".into(),
            scause: 2,
            stval: 0,
        },
        frames: vec![Frame {
            build_id: Some(build_id.clone()),
            file: Some("src/poll.rs".into()),
            function: Some("netd::poll_socket".into()),
            inlined: Vec::new(),
            line: Some(88),
            pc: 0x4000_0100,
            return_address: None,
        }],
        maps: vec![MapEntry {
            build_id,
            end: 0x4000_8000,
            link_base: 0,
            name: "netd".into(),
            start: 0x4000_0000,
        }],
        logs: Some(vec![LogRecord {
            record_id: 3,
            timestamp_nsec: 1_766_219_399 * S,
            service_id: ServiceId(9),
            level: Level::Warn,
            scope: b"netd".to_vec(),
            message: b"socket closed by peer".to_vec(),
            fields: Vec::new(),
        }]),
        spans: None,
        regs: None,
    }
}

fn updated() -> Dump {
    let build_id = BuildId::from_hex("0f0f0f0f").unwrap();
    Dump {
        header: Header {
            arch: "riscv64".into(),
            build_id: build_id.clone(),
            created_ns: 1_764_547_200 * S,
            dump_id: DumpId::new("20251201-updated-3").unwrap(),
            exit_code: -16,
            logs_error: None,
            os_version: None,
            redacted: None,
            repeats: None,
            seq: None,
            pc: 0x4000_0200,
            pid: 3,
            process: "updated".into(),
            scause: 15,
            stval: 0x1000,
        },
        frames: vec![Frame::at(0x4000_0200)],
        maps: vec![MapEntry {
            build_id,
            end: 0x4000_4000,
            link_base: 0,
            name: "updated".into(),
            start: 0x4000_0000,
        }],
        logs: None,
        spans: None,
        regs: None,
    }
}

/// A symbol index covering the demo module: `demo::parse_config` (src/config.rs:41)
/// inlined into `demo::main` at src/main.rs:12, for link addresses 0x11200..0x11300.
fn symbol_index() -> Vec<u8> {
    let mut strings = Strings::default();
    let main = strings.intern("demo::main");
    let parse = strings.intern("demo::parse_config");
    let main_rs = strings.intern("src/main.rs");
    let config_rs = strings.intern("src/config.rs");
    let module = ModuleData {
        build_id: BuildId::from_hex(DEMO_BUILD_ID).unwrap(),
        build_id_kind: BuildIdKind::Gnu,
        name: "demo".into(),
        arch: "riscv64".into(),
        debug: DebugKind::Dwarf,
        debug_file: None,
        strings,
        nodes: vec![
            Node {
                name: main,
                parent: NONE,
                call_file: NONE,
                call_line: 0,
            },
            Node {
                name: parse,
                parent: 0,
                call_file: main_rs,
                call_line: 12,
            },
        ],
        scopes: vec![(0x1_0000, 1), (0x1_1200, 2), (0x1_1300, 1), (0x1_2000, 0)],
        lines: vec![
            (0x1_0000, Some((main_rs, 5))),
            (0x1_1200, Some((config_rs, 41))),
            (0x1_1300, Some((main_rs, 13))),
            (0x1_2000, None),
        ],
    };
    symindex::write_index(&[module])
}

/// An index of one module `name` with Build-ID `build_id`: function `function` at
/// `file:7` over link addresses 0..0x1000.
fn one_function_index(build_id: &str, name: &str, function: &str, file: &str) -> Vec<u8> {
    let mut strings = Strings::default();
    let f = strings.intern(function);
    let file = strings.intern(file);
    symindex::write_index(&[ModuleData {
        build_id: BuildId::from_hex(build_id).unwrap(),
        build_id_kind: BuildIdKind::Gnu,
        name: name.into(),
        arch: "riscv64".into(),
        debug: DebugKind::Dwarf,
        debug_file: None,
        strings,
        nodes: vec![Node {
            name: f,
            parent: NONE,
            call_file: NONE,
            call_line: 0,
        }],
        scopes: vec![(0, 1), (0x1000, 0)],
        lines: vec![(0, Some((file, 7))), (0x1000, None)],
    }])
}

/// Builds the fixture directory; returns its path (the working directory of the runs).
fn fixture() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let crash = root.path().join("crash");
    std::fs::create_dir(&crash).unwrap();
    nxcd::fs::write_dump(&crash.join("20251223-demo-42.nxcd"), &demo()).unwrap();
    nxcd::fs::write_dump(&crash.join("20251220-netd-7.nxcd.zst"), &netd()).unwrap();
    nxcd::fs::write_dump(&crash.join("20251201-updated-3.nxcd"), &updated()).unwrap();
    std::fs::write(crash.join("junk.nxcd"), b"this is not a dump\n").unwrap();
    std::fs::write(crash.join("notes.txt"), b"not a dump file name\n").unwrap();
    std::fs::write(root.path().join("symbols.nxsym"), symbol_index()).unwrap();
    root
}

fn nx(cwd: &Path, args: &[&str]) -> Run {
    let output = common::nx_command(cwd, args)
        .env("SOURCE_DATE_EPOCH", NOW)
        .env("TZ", "America/New_York")
        .output()
        .unwrap();
    Run::new(args, output)
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"))
}

/// Compares the runs with the golden file `name` (or rewrites it under `NX_BLESS=1`).
fn golden(name: &str, runs: &[&Run]) {
    let mut text = String::new();
    for run in runs {
        text.push_str(&format!("$ nx {}\n", run.args.join(" ")));
        text.push_str(&format!("exit: {}\n", run.code));
        text.push_str("--- stdout\n");
        text.push_str(&run.stdout);
        text.push_str("--- stderr\n");
        text.push_str(&run.stderr);
        text.push_str("---\n");
    }
    let path = golden_path(name);
    if std::env::var_os("NX_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with NX_BLESS=1", path.display()));
    assert!(
        want == text,
        "{name}: output differs from {}; run with NX_BLESS=1 to accept\n--- got\n{text}",
        path.display()
    );
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn ls_lists_newest_first_and_reports_corrupt_files() {
    let dir = fixture();
    let text = nx(dir.path(), &["crash", "ls", "--now", NOW]);
    let json = nx(dir.path(), &["crash", "ls", "--json"]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("corrupt: junk.nxcd"));
    assert!(!text.stdout.contains("notes.txt"));
    serde_json::from_str::<serde_json::Value>(&json.stdout).unwrap();
    golden("ls", &[&text, &json]);
}

#[test]
fn files_named_like_dumps_that_are_not_files_are_listed_and_never_purged() {
    let dir = fixture();
    let crash = dir.path().join("crash");
    let status = std::process::Command::new("mkfifo")
        .arg(crash.join("pipe.nxcd"))
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo");
    std::os::unix::fs::symlink("/dev/null", crash.join("null.nxcd")).unwrap();
    std::fs::create_dir(crash.join("folder.nxcd.zst")).unwrap();
    let ls = nx(dir.path(), &["crash", "ls", "--now", NOW]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    for (name, kind) in [
        ("pipe.nxcd", "a FIFO"),
        ("null.nxcd", "a character device"),
        ("folder.nxcd.zst", "a directory"),
    ] {
        let line = ls.stdout.lines().find(|l| l.contains(name));
        assert!(
            line.is_some_and(|l| l.contains("corrupt") && l.contains(kind)),
            "{name}: {line:?}\n{}",
            ls.stdout
        );
    }
    let show = nx(dir.path(), &["crash", "show", "pipe"]);
    assert_eq!(show.code, 4, "{}", show.stderr);
    assert!(
        show.stderr.contains("not a dump file: a FIFO"),
        "{}",
        show.stderr
    );
    let purge = nx(dir.path(), &["crash", "purge", "--all"]);
    assert_eq!(purge.code, 0, "{}", purge.stderr);
    assert_eq!(
        files_in(&crash),
        ["folder.nxcd.zst", "notes.txt", "null.nxcd", "pipe.nxcd"]
    );
}

#[test]
fn the_temporary_of_a_killed_export_is_removed_by_the_next_export() {
    let dir = fixture();
    let stale = test_harness::killed_writers_temporary(dir.path(), "out.nxcd").unwrap();
    let run = nx(
        dir.path(),
        &["crash", "export", "20251223-demo-42", "-o", "out.nxcd"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!stale.exists(), "the dead writer's temporary is removed");
    assert_eq!(files_in(dir.path()), ["crash", "out.nxcd", "symbols.nxsym"]);
}

#[test]
fn a_negative_count_is_an_invalid_value_not_an_unknown_option() {
    let dir = fixture();
    let run = nx(dir.path(), &["crash", "purge", "--keep", "-1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid value '-1' for '--keep <N>'"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("unexpected argument"),
        "{}",
        run.stderr
    );
    assert_eq!(
        files_in(&dir.path().join("crash")).len(),
        5,
        "nothing purged"
    );
}

#[test]
fn ls_of_a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = nx(dir.path(), &["crash", "ls", "--dir", "nowhere"]);
    assert_eq!(run.code, 5);
    assert!(run
        .stderr
        .starts_with("error: cannot read dump directory nowhere (given with --dir): "));
}

#[test]
fn ls_filters_like_coredumpctl() {
    let dir = fixture();
    let runs: Vec<Run> = [
        vec!["--pid", "7"],
        vec!["--process", "demo", "--process", "updated"],
        vec!["--since", "3d", "--until", "2025-12-23 12:00"],
        vec!["-S", "2025-12-20T08:30:00Z", "-r"],
        vec!["-n", "2"],
        vec!["-n", "2", "-r", "--local"],
        vec!["--pid", "99"],
        vec!["--since", "soon"],
    ]
    .into_iter()
    .map(|extra| {
        let mut args = vec!["crash", "ls", "--now", NOW];
        args.extend(extra);
        nx(dir.path(), &args)
    })
    .collect();
    let refs: Vec<&Run> = runs.iter().collect();
    golden("ls_filters", &refs);
}

#[test]
fn the_dump_directory_is_the_flag_then_nx_crash_dir_then_crash() {
    let dir = fixture();
    std::fs::create_dir(dir.path().join("other")).unwrap();
    let from_env = |args: &[&str], env: &str| {
        let output = common::nx_command(dir.path(), args)
            .env("NX_CRASH_DIR", env)
            .output()
            .unwrap();
        Run::new(args, output)
    };
    let env_empty = from_env(&["crash", "ls", "--json"], "other");
    assert_eq!(env_empty.code, 0);
    assert!(!env_empty.stdout.contains("20251223-demo-42"));
    let flag_wins = from_env(&["crash", "ls", "--json", "--dir", "crash"], "other");
    assert!(flag_wins.stdout.contains("20251223-demo-42"));
    let env_missing = from_env(&["crash", "show", "x"], "gone");
    assert!(
        env_missing
            .stderr
            .starts_with("error: cannot read dump directory gone (from NX_CRASH_DIR): "),
        "{}",
        env_missing.stderr
    );
    let default = nx(dir.path(), &["crash", "show", "x"]);
    assert_eq!(
        default.stderr,
        "error: no dump with id \"x\" in crash (the default; --dir DIR or NX_CRASH_DIR \
         chooses another)\n"
    );
}

#[test]
fn show_takes_the_newest_a_prefix_and_suggests_near_misses() {
    let dir = fixture();
    let newest = nx(dir.path(), &["crash", "show", "--json"]);
    let newest_netd = nx(
        dir.path(),
        &["crash", "show", "--process", "netd", "--json"],
    );
    let prefix = nx(dir.path(), &["crash", "show", "20251220", "--json"]);
    let ambiguous = nx(dir.path(), &["crash", "show", "202512"]);
    let typo = nx(dir.path(), &["crash", "show", "20251223-demo-24"]);
    let none_match = nx(dir.path(), &["crash", "show", "--pid", "99"]);
    let local = nx(dir.path(), &["crash", "show", "20251220-netd-7", "--local"]);
    let id = |run: &Run| {
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        v["header"]["id"].as_str().unwrap().to_string()
    };
    assert_eq!(id(&newest), "20251223-demo-42");
    assert_eq!(id(&newest_netd), "20251220-netd-7");
    assert_eq!(id(&prefix), "20251220-netd-7");
    // Several candidates is bad input; no candidate is "nothing found", as coredumpctl
    // says it.
    for (run, code) in [(&ambiguous, 4), (&typo, 1), (&none_match, 1)] {
        assert_eq!(run.code, code, "{}", run.stderr);
    }
    assert!(local
        .stdout
        .contains("created:    2025-12-20T03:30:00.000000000-05:00"));
    golden("show_select", &[&ambiguous, &typo, &none_match, &local]);
}

#[test]
fn show_prints_header_registers_frames_maps_logs() {
    let dir = fixture();
    let plain = nx(dir.path(), &["crash", "show", "20251223-demo-42"]);
    let sym = nx(
        dir.path(),
        &[
            "crash",
            "show",
            "20251223-demo-42",
            "--sym",
            "symbols.nxsym",
        ],
    );
    let presymbolized = nx(dir.path(), &["crash", "show", "20251220-netd-7.nxcd.zst"]);
    assert_eq!((plain.code, sym.code, presymbolized.code), (0, 0, 0));
    assert!(plain.stdout.contains("demo+0x1234"));
    assert!(sym
        .stdout
        .contains("demo::parse_config at src/config.rs:41"));
    assert!(sym.stdout.contains("libc.so+0x10"));
    golden("show", &[&plain, &sym, &presymbolized]);
}

#[test]
fn show_json_is_the_documented_schema() {
    let dir = fixture();
    let run = nx(
        dir.path(),
        &[
            "crash",
            "show",
            "20251223-demo-42",
            "--json",
            "--sym",
            "symbols.nxsym",
        ],
    );
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["schema"], "nx.crash.show/1");
    assert_eq!(v["frames"][0]["symbolized_by"], "index");
    assert_eq!(v["frames"][0]["link_addr"], "0x11234");
    assert_eq!(v["frames"][1]["symbolized_by"], "none");
    assert_eq!(v["logs"][1]["message_b64"], "YmFkIP8=");
    assert_eq!(v["registers"].as_array().unwrap().len(), 36);
    golden("show_json", &[&run]);
}

#[test]
fn show_errors_name_the_problem() {
    let dir = fixture();
    let missing = nx(dir.path(), &["crash", "show", "nope"]);
    let corrupt = nx(dir.path(), &["crash", "show", "junk"]);
    let bad_sym = nx(
        dir.path(),
        &[
            "crash",
            "show",
            "20251223-demo-42",
            "--sym",
            "crash/junk.nxcd",
        ],
    );
    for (run, code) in [(&missing, 1), (&corrupt, 4), (&bad_sym, 4)] {
        assert_eq!(run.code, code, "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    // The index's own message belongs to symindex; only the context is nx's.
    assert!(bad_sym
        .stderr
        .starts_with("error: crash/junk.nxcd is not a valid symbol index: "));
    golden("show_errors", &[&missing, &corrupt]);
}

#[test]
fn export_writes_each_format_and_roundtrips() {
    let dir = fixture();
    let original = std::fs::read(dir.path().join("crash/20251223-demo-42.nxcd")).unwrap();
    let to_nxcd = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--out",
            "out/demo.nxcd",
        ],
    );
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let to_nxcd_again = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--out",
            "out/demo.nxcd",
        ],
    );
    let to_zst = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--out",
            "out/demo.nxcd.zst",
        ],
    );
    let to_json = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--out",
            "out/demo.json",
            "--sym",
            "symbols.nxsym",
        ],
    );
    let exists = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--out",
            "out/demo.nxcd",
        ],
    );
    let forced = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251220-netd-7",
            "--out",
            "out/demo.nxcd",
            "--force",
        ],
    );
    let unknown = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--out",
            "out/demo.bin",
        ],
    );
    let by_flag = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--out",
            "out/demo.bin",
            "--format",
            "zst",
        ],
    );
    assert_eq!(to_nxcd.code, 5, "the output directory does not exist yet");
    for run in [&to_nxcd_again, &to_zst, &to_json, &forced, &by_flag] {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!((exists.code, unknown.code), (4, 2));

    let out = dir.path().join("out");
    // .zst decompresses to the original bytes; .bin (zst by flag) too.
    for name in ["demo.nxcd.zst", "demo.bin"] {
        let bytes = nxcd::fs::read_dump_bytes(&out.join(name), &Limits::DEFAULT).unwrap();
        assert_eq!(bytes, original, "{name}");
    }
    // The forced export replaced demo.nxcd with netd's dump, decompressed.
    let replaced = nxcd::fs::read_dump(&out.join("demo.nxcd"), &Limits::DEFAULT).unwrap();
    assert_eq!(replaced, netd());
    // JSON export is the show --json document.
    let show = nx(
        dir.path(),
        &[
            "crash",
            "show",
            "20251223-demo-42",
            "--json",
            "--sym",
            "symbols.nxsym",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("demo.json")).unwrap(),
        show.stdout
    );
    assert_eq!(
        files_in(&out),
        ["demo.bin", "demo.json", "demo.nxcd", "demo.nxcd.zst"]
    );
    golden(
        "export",
        &[
            &to_nxcd,
            &to_nxcd_again,
            &to_zst,
            &to_json,
            &exists,
            &forced,
            &unknown,
            &by_flag,
        ],
    );
}

#[test]
fn exported_nxcd_is_byte_identical_to_the_stored_dump() {
    let dir = fixture();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    for (id, stored) in [
        ("20251223-demo-42", "crash/20251223-demo-42.nxcd"),
        ("20251220-netd-7", "crash/20251220-netd-7.nxcd.zst"),
    ] {
        let out = format!("out/{id}.nxcd");
        assert_eq!(
            nx(dir.path(), &["crash", "export", id, "--out", &out]).code,
            0
        );
        let want = nxcd::fs::read_dump_bytes(&dir.path().join(stored), &Limits::DEFAULT).unwrap();
        assert_eq!(std::fs::read(dir.path().join(&out)).unwrap(), want);
    }
}

fn purge_case(args: &[&str]) -> (Run, Vec<String>) {
    let dir = fixture();
    let mut full = vec!["crash", "purge"];
    full.extend_from_slice(args);
    let run = nx(dir.path(), &full);
    (run, files_in(&dir.path().join("crash")))
}

const ALL_FILES: [&str; 5] = [
    "20251201-updated-3.nxcd",
    "20251220-netd-7.nxcd.zst",
    "20251223-demo-42.nxcd",
    "junk.nxcd",
    "notes.txt",
];

#[test]
fn purge_applies_each_policy() {
    let (older, older_left) = purge_case(&["--older-than", "7d", "--now", NOW]);
    assert_eq!(older_left, without(&["20251201-updated-3.nxcd"]));

    let (dry, dry_left) = purge_case(&["--older-than", "7d", "--now", NOW, "--dry-run"]);
    assert_eq!(dry_left, ALL_FILES);

    let (keep, keep_left) = purge_case(&["--keep", "1"]);
    assert_eq!(
        keep_left,
        without(&["20251201-updated-3.nxcd", "20251220-netd-7.nxcd.zst"])
    );

    // A budget that holds the two newest dumps exactly.
    let sizes = {
        let dir = fixture();
        let crash = dir.path().join("crash");
        let size = |n: &str| std::fs::metadata(crash.join(n)).unwrap().len();
        size("20251223-demo-42.nxcd") + size("20251220-netd-7.nxcd.zst")
    };
    let budget = sizes.to_string();
    let (bytes, bytes_left) = purge_case(&["--max-bytes", &budget]);
    assert_eq!(bytes_left, without(&["20251201-updated-3.nxcd"]));

    let (corrupt, corrupt_left) = purge_case(&["--corrupt"]);
    assert_eq!(corrupt_left, without(&["junk.nxcd"]));

    let (all, all_left) = purge_case(&["--all"]);
    assert_eq!(all_left, ["notes.txt"]);

    let (json, _) = purge_case(&["--keep", "2", "--dry-run", "--json"]);
    let (none, none_left) = purge_case(&[]);
    assert_eq!(none.code, 2);
    assert_eq!(none_left, ALL_FILES);

    for run in [&older, &dry, &keep, &bytes, &corrupt, &all, &json] {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    golden(
        "purge",
        &[&older, &dry, &keep, &bytes, &corrupt, &all, &json, &none],
    );
}

fn without(removed: &[&str]) -> Vec<String> {
    ALL_FILES
        .iter()
        .filter(|f| !removed.contains(f))
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn purge_measures_ages_from_the_clock_not_source_date_epoch() {
    // SOURCE_DATE_EPOCH set a day after the oldest dump (as a build environment sets it):
    // by the clock the dumps are more than 7 days old, so --older-than 7d takes them all.
    let dir = fixture();
    let output = Command::new(env!("CARGO_BIN_EXE_nx"))
        .args(["crash", "purge", "--older-than", "7d", "--dry-run"])
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "1764633600")
        .output()
        .unwrap();
    assert!(output.status.success());
    let out = String::from_utf8_lossy(&output.stdout);
    for id in ["20251201-updated-3", "20251220-netd-7", "20251223-demo-42"] {
        assert!(out.contains(id), "{id} not purged by age: {out}");
    }
    // --now gives a fixed "now": 2025-12-02, a day after the oldest dump.
    for now in ["1764633600", "@1764633600"] {
        let output = Command::new(env!("CARGO_BIN_EXE_nx"))
            .args([
                "crash",
                "purge",
                "--older-than",
                "7d",
                "--dry-run",
                "--now",
                now,
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success());
        assert!(output.stdout.is_empty(), "--now {now}");
    }
    let bad = nx(
        dir.path(),
        &["crash", "purge", "--older-than", "7d", "--now", "yesterday"],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("\"yesterday\" is not a number of seconds"),
        "{}",
        bad.stderr
    );
}

#[test]
fn grep_searches_processes_frames_and_logs() {
    let dir = fixture();
    let process = nx(dir.path(), &["crash", "grep", "netd"]);
    let frame = nx(
        dir.path(),
        &["crash", "grep", "parse_config", "--sym", "symbols.nxsym"],
    );
    let frame_unsymbolized = nx(dir.path(), &["crash", "grep", "parse_config"]);
    let log = nx(dir.path(), &["crash", "grep", "-i", "CONFIG"]);
    let json = nx(dir.path(), &["crash", "grep", "socket", "--json"]);
    let nothing = nx(dir.path(), &["crash", "grep", "no-such-text"]);
    assert_eq!(
        [
            process.code,
            frame.code,
            frame_unsymbolized.code,
            log.code,
            json.code,
            nothing.code
        ],
        [0, 0, 1, 0, 0, 1]
    );
    assert!(frame.stdout.contains("frame #0\tdemo::parse_config"));
    golden(
        "grep",
        &[&process, &frame, &frame_unsymbolized, &log, &json, &nothing],
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(nx(dir.path(), &["crash", "frobnicate"]).code, 2);
    assert_eq!(nx(dir.path(), &["crash", "--help"]).code, 0);
    assert_eq!(
        nx(dir.path(), &["crash", "purge", "--older-than", "7x"]).code,
        2
    );
}

#[test]
fn duplicate_dump_ids_are_ambiguous_but_reachable_by_file_name() {
    let dir = fixture();
    let crash = dir.path().join("crash");
    std::fs::copy(crash.join("20251223-demo-42.nxcd"), crash.join("copy.nxcd")).unwrap();
    let ambiguous = nx(dir.path(), &["crash", "show", "20251223-demo-42"]);
    assert_eq!(ambiguous.code, 4);
    assert_eq!(
        ambiguous.stderr,
        "error: dump id \"20251223-demo-42\" is ambiguous in crash: files \
         20251223-demo-42.nxcd, copy.nxcd; name the file instead\n"
    );
    for id in ["copy", "copy.nxcd", "20251223-demo-42.nxcd"] {
        let run = nx(dir.path(), &["crash", "show", id, "--json"]);
        assert_eq!(run.code, 0, "{id}: {}", run.stderr);
    }
}

#[test]
fn export_refuses_an_output_that_is_not_a_regular_file_even_with_force() {
    let dir = fixture();
    std::fs::create_dir(dir.path().join("out.nxcd")).unwrap();
    for out in ["/dev/null", "out.nxcd"] {
        let run = nx(
            dir.path(),
            &[
                "crash",
                "export",
                "20251223-demo-42",
                "--out",
                out,
                "--format",
                "nxcd",
                "--force",
            ],
        );
        assert_eq!(run.code, 4, "{out}: {}", run.stderr);
        let kind = if out == "/dev/null" {
            "a character device"
        } else {
            "a directory"
        };
        assert_eq!(
            run.stderr,
            format!(
                "error: {out}: is {kind}, not a regular file; refusing to write over it \
                 (nothing was written)\n"
            )
        );
    }
    assert!(files_in(&dir.path().join("out.nxcd")).is_empty());
}

/// The fixture's dumps copied into the state store of a built image (`os.img` beside
/// `crash/`), as crashd will keep them on the device.
fn fixture_in_image() -> tempfile::TempDir {
    let dir = fixture();
    let image = test_harness::DevImage {
        state_size: Some("1M"),
        ..test_harness::DevImage::default()
    };
    image
        .build(Path::new(env!("CARGO_BIN_EXE_nx")), dir.path())
        .unwrap();
    let format = nx(
        dir.path(),
        &["state", "format", "--image", "os.img", "--yes"],
    );
    assert_eq!(format.code, 0, "{}", format.stderr);
    for name in files_in(&dir.path().join("crash")) {
        let file = format!("crash/{name}");
        let put = nx(
            dir.path(),
            &["state", "put", "--image", "os.img", &file, &file],
        );
        assert_eq!(put.code, 0, "{}", put.stderr);
    }
    dir
}

#[test]
fn dumps_in_an_image_store_read_as_in_a_directory() {
    let dir = fixture_in_image();
    let d = dir.path();
    for args in [
        vec!["crash", "ls", "--now", NOW],
        vec!["crash", "ls", "--json"],
        vec!["crash", "show", "20251220", "--now", NOW],
        vec!["crash", "grep", "demo"],
    ] {
        let from_dir = nx(d, &args);
        let mut image_args = args.clone();
        image_args.extend(["--image", "os.img"]);
        let from_image = nx(d, &image_args);
        assert_eq!(from_dir.code, 0, "{args:?}: {}", from_dir.stderr);
        assert_eq!(
            from_image.code, from_dir.code,
            "{args:?}: {}",
            from_image.stderr
        );
        assert_eq!(from_image.stdout, from_dir.stdout, "{args:?}");
    }
    // Export gives the stored bytes back, as from a directory.
    let export = nx(
        d,
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "--image",
            "os.img",
            "--out",
            "out.nxcd",
        ],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert_eq!(
        std::fs::read(d.join("out.nxcd")).unwrap(),
        std::fs::read(d.join("crash/20251223-demo-42.nxcd")).unwrap()
    );
    // An unknown id names the image's store and what chose it.
    let missing = nx(d, &["crash", "show", "nope", "--image", "os.img"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("os.img:state:/crash (given with --image)"),
        "{}",
        missing.stderr
    );
    // Purge deletes from the store, and only what the policy names.
    let purge = nx(d, &["crash", "purge", "--corrupt", "--image", "os.img"]);
    assert_eq!(purge.code, 0, "{}", purge.stderr);
    let ls = nx(d, &["state", "ls", "--image", "os.img", "crash"]);
    assert!(!ls.stdout.contains("junk.nxcd"), "{}", ls.stdout);
    assert!(ls.stdout.contains("20251223-demo-42.nxcd"), "{}", ls.stdout);
    // The directory is untouched.
    assert!(d.join("crash/junk.nxcd").exists());
}

#[test]
fn show_reads_a_store_of_indexes_and_notes_what_none_holds() {
    let dir = fixture();
    let libc = one_function_index("0102030405060708", "libc.so", "memcpy", "memcpy.c");
    std::fs::write(dir.path().join("libc.nxsym"), &libc).unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    std::fs::write(store.join("libc.nxsym"), &libc).unwrap();
    std::fs::copy(dir.path().join("symbols.nxsym"), store.join("demo.nxsym")).unwrap();
    std::fs::write(store.join("README"), b"not an index").unwrap();
    let show = |extra: &[&str]| {
        let args = [&["crash", "show", "20251223-demo-42"][..], extra].concat();
        nx(dir.path(), &args)
    };
    let both = show(&["--sym", "symbols.nxsym", "--sym", "libc.nxsym"]);
    assert_eq!(both.code, 0, "{}", both.stderr);
    assert!(both
        .stdout
        .contains("demo::parse_config at src/config.rs:41"));
    assert!(both.stdout.contains("memcpy at memcpy.c:7"));
    // Frame #2 is in no module: it has no Build-ID to miss, so nothing is noted.
    assert!(both.stderr.is_empty(), "{}", both.stderr);
    // `--sym` takes one value per use: an id after it is still the id.
    let id_last = nx(
        dir.path(),
        &[
            "crash",
            "show",
            "--sym",
            "symbols.nxsym",
            "--sym",
            "libc.nxsym",
            "20251223-demo-42",
        ],
    );
    assert_eq!((id_last.code, &id_last.stdout), (0, &both.stdout));
    let from_dir = show(&["--sym-dir", "store"]);
    assert_eq!((from_dir.code, &from_dir.stdout), (0, &both.stdout));
    // The same index given twice, by a file and by a directory, is one store.
    let twice = show(&["--sym", "libc.nxsym", "--sym-dir", "store"]);
    assert_eq!((twice.code, &twice.stdout), (0, &both.stdout));

    let one = show(&["--sym", "symbols.nxsym"]);
    assert_eq!(one.code, 0);
    assert_eq!(
        one.stderr.matches("0102030405060708").count(),
        1,
        "{}",
        one.stderr
    );
    let json = show(&["--sym", "symbols.nxsym", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["frames"][0]["index_missing"], false);
    assert_eq!(v["frames"][1]["index_missing"], true);
    assert_eq!(v["frames"][2]["index_missing"], false);
    assert_eq!(json.stderr, one.stderr);
    let no_index = show(&["--json"]);
    let v: serde_json::Value = serde_json::from_str(&no_index.stdout).unwrap();
    assert_eq!(v["frames"][1]["index_missing"], false);
    assert!(no_index.stderr.is_empty(), "{}", no_index.stderr);

    let other = one_function_index(DEMO_BUILD_ID, "demo", "demo::other", "other.rs");
    std::fs::write(dir.path().join("other.nxsym"), other).unwrap();
    let conflict = show(&["--sym", "symbols.nxsym", "--sym", "other.nxsym"]);
    let missing_dir = show(&["--sym-dir", "nowhere"]);
    for run in [&conflict, &missing_dir] {
        assert_ne!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    let grep = nx(
        dir.path(),
        &["crash", "grep", "memcpy", "--sym-dir", "store"],
    );
    assert_eq!(grep.code, 0, "{}", grep.stderr);
    let export = nx(
        dir.path(),
        &[
            "crash",
            "export",
            "20251223-demo-42",
            "-o",
            "demo.json",
            "--sym",
            "symbols.nxsym",
        ],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    let exported: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("demo.json")).unwrap()).unwrap();
    assert_eq!(exported["frames"][1]["index_missing"], true);
    golden(
        "show_store",
        &[&both, &one, &conflict, &missing_dir, &grep, &export],
    );
}

#[test]
fn show_and_ls_tell_a_device_dump_s_repeats_redaction_and_missing_logs() {
    let root = tempfile::tempdir().unwrap();
    let crash = root.path().join("crash");
    std::fs::create_dir(&crash).unwrap();
    let mut device = updated();
    device.header.repeats = Some(3);
    device.header.seq = Some(17);
    device.header.redacted = Some(vec!["foreign_logs".into(), "stack".into()]);
    device.header.logs_error = Some("logd did not answer in time".into());
    nxcd::fs::write_dump(&crash.join("20251201-updated-3.nxcd"), &device).unwrap();
    nxcd::fs::write_dump(&crash.join("20251220-netd-7.nxcd"), &netd()).unwrap();
    let show = nx(root.path(), &["crash", "show", "20251201-updated-3"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    for line in [
        "repeats:       3 more (same build-id and pc)",
        "store seq:     17",
        "redacted:      foreign_logs, stack",
        "logs missing:  logd did not answer in time",
    ] {
        assert!(
            show.stdout.contains(line),
            "{line:?} not in\n{}",
            show.stdout
        );
    }
    let quiet = nx(root.path(), &["crash", "show", "20251220-netd-7"]);
    for key in ["repeats:", "store seq:", "redacted:", "logs missing:"] {
        assert!(
            !quiet.stdout.contains(key),
            "{key} shown for a dump without it"
        );
    }
    let ls = nx(root.path(), &["crash", "ls"]);
    let mut lines = ls.stdout.lines();
    let head: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(head[head.len() - 2..], ["SIZE", "REPEATS"], "{}", ls.stdout);
    let rows: Vec<&str> = lines.collect();
    assert!(rows
        .iter()
        .any(|r| r.starts_with("20251201-updated-3") && r.trim_end().ends_with(" 3")));
    assert!(rows
        .iter()
        .any(|r| r.starts_with("20251220-netd-7") && r.trim_end().ends_with(" 0")));
    let json = nx(
        root.path(),
        &["crash", "show", "--json", "20251201-updated-3"],
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let h = &doc["header"];
    assert_eq!(
        (h["repeats"].as_u64(), h["seq"].as_u64()),
        (Some(3), Some(17))
    );
    assert_eq!(h["redacted"], serde_json::json!(["foreign_logs", "stack"]));
    assert_eq!(h["logs_error"], "logd did not answer in time");
    let ls = nx(root.path(), &["crash", "ls", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&ls.stdout).unwrap();
    let repeats: Vec<u64> = doc["dumps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["repeats"].as_u64().unwrap())
        .collect();
    assert_eq!(repeats, [0, 3], "netd (newer) first");
}
