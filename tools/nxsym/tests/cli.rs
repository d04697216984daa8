//! `nxsym` end to end: index the RISC-V fixture program (built here with its source
//! paths remapped to `/src`, so the output is the same on every machine) and compare what
//! each command prints with the golden files in `tests/golden/` (regenerate with
//! `NX_BLESS=1 cargo test -p nxsym`). Error cases check the message and status.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use crashdump_v2_host::fixture::Flavour;
use crashdump_v2_host::oracle;

fn work() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nxsym-cli");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The RISC-V fixture ELF, built once.
fn fixture() -> &'static Path {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(|| {
        let out = work().join("chain-riscv");
        Flavour::Riscv.build(&out, true).unwrap();
        out
    })
}

fn nxsym(args: &[&str], stdin: Option<&str>) -> Output {
    nxsym_bytes(args, stdin.map(str::as_bytes))
}

fn nxsym_bytes(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nxsym"))
        .args(args)
        .current_dir(work())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs a command and renders it as a golden-file record.
fn record(out: &mut String, args: &[&str], stdin: Option<&str>) {
    let o = nxsym(args, stdin);
    out.push_str(&format!("$ nxsym {}\n", args.join(" ")));
    if let Some(s) = stdin {
        out.push_str(&format!("stdin: {s:?}\n"));
    }
    out.push_str(&format!(
        "exit: {}\n--- stdout\n",
        o.status.code().unwrap_or(-1)
    ));
    out.push_str(&String::from_utf8_lossy(&o.stdout));
    out.push_str("--- stderr\n");
    out.push_str(&String::from_utf8_lossy(&o.stderr));
    out.push_str("---\n");
}

fn golden(name: &str, actual: &str) {
    test_harness::check_golden(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(name),
        actual,
    );
}

fn index_fixture() -> String {
    let elf = fixture();
    let o = nxsym(&["index", elf.to_str().unwrap(), "-o", "one.nxsym"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    "one.nxsym".into()
}

/// A few addresses in the fixture's `outer` and `leaf`, from its symbol table.
fn outer_addresses() -> Vec<String> {
    let mut out = Vec::new();
    for needle in ["5outer", "4leaf"] {
        let (start, _) = oracle::symbol_range(fixture(), needle).unwrap();
        for off in [0, 8, 16] {
            out.push(format!("{:#x}", start + off));
        }
    }
    out
}

#[test]
fn ls_and_addr2line_match_golden_output() {
    let sym = index_fixture();
    let addrs = outer_addresses();
    let mut out = String::new();
    record(&mut out, &["ls", "--sym", &sym], None);
    record(&mut out, &["ls", "--sym", &sym, "--json"], None);
    let mut args = vec!["addr2line", "--sym", sym.as_str(), "-a"];
    for a in &addrs {
        args.push("--addr");
        args.push(a);
    }
    record(&mut out, &args, None);
    let stdin: String = addrs.iter().map(|a| format!("{a}\n")).collect();
    record(
        &mut out,
        &["addr2line", "--sym", &sym, "--pretty"],
        Some(&stdin),
    );
    record(
        &mut out,
        &["addr2line", "--sym", &sym, "--json"],
        Some(&stdin),
    );
    record(
        &mut out,
        &["addr2line", "--sym", &sym, "--addr", "0x1"],
        None,
    );
    golden("addr2line.txt", &out);
}

#[test]
fn stdin_batch_answers_like_repeated_addr_flags() {
    let sym = index_fixture();
    let addrs = outer_addresses();
    let mut args = vec!["addr2line", "--sym", sym.as_str()];
    for a in &addrs {
        args.push("--addr");
        args.push(a);
    }
    let flags = nxsym(&args, None);
    let stdin: String = addrs.iter().map(|a| format!("{a}\n")).collect();
    let batch = nxsym(&["addr2line", "--sym", &sym], Some(&stdin));
    assert!(flags.status.success() && batch.status.success());
    assert_eq!(flags.stdout, batch.stdout);
}

#[test]
fn errors_name_what_is_wrong() {
    let sym = index_fixture();
    // Only this test uses the copy; other tests run at the same time.
    let copy = work().join("chain-riscv-copy");
    std::fs::copy(fixture(), &copy).unwrap();
    let elf = fixture().to_str().unwrap().to_string();
    std::fs::write(work().join("notes.txt"), "not an ELF").unwrap();
    let mut out = String::new();
    // Two inputs with one Build-ID.
    record(
        &mut out,
        &["index", &elf, copy.to_str().unwrap(), "-o", "dup.nxsym"],
        None,
    );
    record(&mut out, &["index", "notes.txt", "-o", "bad.nxsym"], None);
    record(
        &mut out,
        &["addr2line", "--sym", "missing.nxsym", "--addr", "0x10"],
        None,
    );
    record(
        &mut out,
        &[
            "addr2line",
            "--sym",
            &sym,
            "--build-id",
            "00ff",
            "--addr",
            "0x10",
        ],
        None,
    );
    record(
        &mut out,
        &["addr2line", "--sym", &sym],
        Some("0x10\nzzz\n\n0x11\n"),
    );
    record(
        &mut out,
        &["addr2line", "--sym", "notes.txt", "--addr", "0x10"],
        None,
    );
    let text = out
        .replace(&elf, "FIXTURE")
        .replace(copy.to_str().unwrap(), "COPY");
    golden("errors.txt", &text);
    assert!(
        !work().join("dup.nxsym").exists(),
        "nothing written on error"
    );
    assert!(
        !work().join("bad.nxsym").exists(),
        "nothing written on error"
    );
}

#[test]
fn a_two_module_index_requires_a_build_id() {
    let host_like = work().join("chain-riscv-noid");
    let st = Command::new("riscv64-linux-gnu-objcopy")
        .args(["--remove-section", ".note.gnu.build-id"])
        .arg(fixture())
        .arg(&host_like)
        .status()
        .unwrap();
    assert!(st.success());
    let o = nxsym(
        &[
            "index",
            fixture().to_str().unwrap(),
            host_like.to_str().unwrap(),
            "-o",
            "two.nxsym",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = nxsym(&["addr2line", "--sym", "two.nxsym", "--addr", "0x10"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("holds 2 modules") && err.contains("--build-id"),
        "{err}"
    );
    let ls = nxsym(&["ls", "--sym", "two.nxsym", "--json"], None);
    let text = String::from_utf8(ls.stdout).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains("\"build_id_kind\":\"fallback\""), "{text}");
    let id = text.lines().find(|l| l.contains("fallback")).unwrap();
    let id = &id[id.find("\"build_id\":\"").unwrap() + 12..];
    let id = &id[..id.find('"').unwrap()];
    let o = nxsym(
        &[
            "addr2line",
            "--sym",
            "two.nxsym",
            "--build-id",
            id,
            "--addr",
            "0x10",
        ],
        None,
    );
    assert!(o.status.success());
}

#[test]
fn a_non_utf8_stdin_line_is_one_bad_line() {
    let sym = index_fixture();
    let o = nxsym_bytes(&["addr2line", "--sym", &sym], Some(b"0x1\n\xff\n0x2\n"));
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("stdin line 2") && err.contains("UTF-8"),
        "{err}"
    );
    // Both good lines are answered (an unknown address is two lines, `??` and `??:0`).
    assert_eq!(String::from_utf8_lossy(&o.stdout), "??\n??:0\n??\n??:0\n");
}

#[test]
fn index_refuses_an_output_that_is_an_input() {
    // Only this test uses the copy; other tests run at the same time.
    let copy = work().join("chain-riscv-self");
    std::fs::copy(fixture(), &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let c = copy.to_str().unwrap();
    let o = nxsym(&["index", c, "-o", c], None);
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("also an input"), "{err}");
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "the ELF is untouched"
    );
}

#[test]
fn a_debug_dir_must_be_a_directory() {
    let elf = fixture().to_str().unwrap().to_string();
    std::fs::write(work().join("plain-file"), "x").unwrap();
    for (dir, why, code) in [
        ("no-such-debug-dir", "No such file", 5),
        ("plain-file", "not a directory", 4),
    ] {
        let o = nxsym(
            &["index", &elf, "--debug-dir", dir, "-o", "dbg.nxsym"],
            None,
        );
        assert_eq!(o.status.code(), Some(code), "{dir}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("--debug-dir {dir}")) && err.contains(why),
            "{dir}: {err}"
        );
        assert!(!work().join("dbg.nxsym").exists(), "nothing written");
    }
}

#[test]
fn an_unreadable_debug_dir_is_refused_not_ignored() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let elf = fixture().to_str().unwrap().to_string();
    let dir = work().join("locked-debug-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let args = [
        "index",
        elf.as_str(),
        "--debug-dir",
        "locked-debug-dir",
        "-o",
        "locked.nxsym",
    ];
    // A user who bypasses permissions (root) can read any directory: nxsym then runs
    // as an unprivileged user, for whom the directory is unreadable as for anyone. That
    // user cannot enter the checkout when it sits in root's 0700 home, so it runs shared
    // copies of nxsym and the fixture, with the locked directory in a work directory it
    // may write in.
    let probe = work().join("whoami");
    std::fs::write(&probe, b"").unwrap();
    let o = if std::fs::metadata(&probe).unwrap().uid() == 0 {
        let shared =
            test_harness::SharedCopy::new(&[Path::new(env!("CARGO_BIN_EXE_nxsym")), fixture()])
                .unwrap();
        let locked = shared.work().join("locked-debug-dir");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let elf = shared.path(fixture().file_name().unwrap().to_str().unwrap());
        let mut shared_args = args.map(String::from);
        shared_args[1] = elf.to_str().unwrap().to_string();
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(shared.path("nxsym"))
            .args(&shared_args)
            .current_dir(shared.work())
            .output()
            .expect("setpriv (util-linux) runs nxsym unprivileged");
        assert!(
            !shared.work().join("locked.nxsym").exists(),
            "nothing written"
        );
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        o
    } else {
        nxsym(&args, None)
    };
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("--debug-dir locked-debug-dir: cannot be read: Permission denied"),
        "{err}"
    );
    assert!(!work().join("locked.nxsym").exists(), "nothing written");
}

#[test]
fn a_directory_given_as_the_index_is_named_as_one() {
    std::fs::create_dir_all(work().join("a-dir")).unwrap();
    for args in [
        &["ls", "--sym", "a-dir"][..],
        &["addr2line", "--sym", "a-dir", "--addr", "0x10"][..],
    ] {
        let o = nxsym(args, None);
        assert_eq!(o.status.code(), Some(4));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("a-dir is a directory"), "{err}");
    }
}

#[test]
fn index_refuses_an_output_that_is_not_a_regular_file() {
    let elf = fixture().to_str().unwrap().to_string();
    std::fs::create_dir_all(work().join("out-dir")).unwrap();
    for (out, kind) in [
        ("/dev/null", "is a character device"),
        ("out-dir", "is a directory"),
    ] {
        let o = nxsym(&["index", &elf, "-o", out], None);
        assert_eq!(o.status.code(), Some(4), "{out}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("{out}: {kind}, not a regular file")),
            "{out}: {err}"
        );
    }
}

/// `objcopy ARGS fixture work()/name`.
fn objcopy(args: &[&str], name: &str) {
    let st = Command::new("riscv64-linux-gnu-objcopy")
        .args(args)
        .arg(fixture())
        .arg(work().join(name))
        .status()
        .unwrap();
    assert!(st.success());
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(work().join(name)).unwrap()
}

#[test]
fn a_store_of_several_indexes_reads_and_merges_as_one() {
    let sym = index_fixture();
    // A second module (the fixture without its note: a fallback Build-ID), and a stripped
    // copy of that one, whose Build-ID is the same but whose contents are not.
    objcopy(&["--remove-section", ".note.gnu.build-id"], "store-noid");
    objcopy(
        &["--remove-section", ".note.gnu.build-id", "--strip-debug"],
        "store-stripped",
    );
    let dir = work().join("store.d");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let mut out = String::new();
    record(
        &mut out,
        &["index", "store-noid", "-o", "store.d/noid.nxsym"],
        None,
    );
    record(
        &mut out,
        &["index", "store-stripped", "-o", "stripped.nxsym"],
        None,
    );
    std::fs::copy(work().join(&sym), dir.join("one.nxsym")).unwrap();
    // Neither a file without the extension nor a subdirectory's index is read.
    std::fs::write(dir.join("notes.txt"), b"not an index").unwrap();
    std::fs::write(dir.join("sub/junk.nxsym"), b"not an index").unwrap();
    record(&mut out, &["ls", "--sym-dir", "store.d"], None);
    record(
        &mut out,
        &["ls", "--sym", "store.d/noid.nxsym", "--sym", &sym, "--json"],
        None,
    );
    let (leaf, _) = oracle::symbol_range(fixture(), "4leaf").unwrap();
    let leaf = format!("{leaf:#x}");
    let id = oracle::gnu_build_id(fixture()).unwrap().unwrap();
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let lookup = [
        "--build-id",
        id.as_str(),
        "--addr",
        leaf.as_str(),
        "--pretty",
    ];
    let from_dir = nxsym(
        &[&["addr2line", "--sym-dir", "store.d"][..], &lookup].concat(),
        None,
    );
    let from_file = nxsym(&[&["addr2line", "--sym", &sym][..], &lookup].concat(), None);
    assert!(
        from_dir.status.success(),
        "{}",
        String::from_utf8_lossy(&from_dir.stderr)
    );
    assert_eq!(from_dir.stdout, from_file.stdout);
    record(
        &mut out,
        &[
            "addr2line",
            "--sym-dir",
            "store.d",
            "--build-id",
            "00ff",
            "--addr",
            "0x10",
        ],
        None,
    );
    record(
        &mut out,
        &["merge", "--sym-dir", "store.d", "-o", "merged.nxsym"],
        None,
    );
    record(&mut out, &["ls", "--sym", "merged.nxsym"], None);
    record(
        &mut out,
        &[
            "merge",
            "store.d/noid.nxsym",
            "stripped.nxsym",
            "-o",
            "conflict.nxsym",
        ],
        None,
    );
    assert!(!work().join("conflict.nxsym").exists());
    record(&mut out, &["ls", "--sym-dir", "missing.d"], None);
    record(&mut out, &["ls"], None);
    record(&mut out, &["merge", &sym, "-o", &sym], None);
    golden("store.txt", &out);

    // The same modules in any order, any number of times, merge to the same bytes.
    let o = nxsym(
        &[
            "merge",
            "merged.nxsym",
            &sym,
            "store.d/noid.nxsym",
            &sym,
            "-o",
            "merged-2.nxsym",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read("merged-2.nxsym"), read("merged.nxsym"));
    // An index of one module merged alone is that index.
    let o = nxsym(&["merge", &sym, "-o", "merged-one.nxsym"], None);
    assert!(o.status.success());
    assert_eq!(read("merged-one.nxsym"), read(&sym));
}
