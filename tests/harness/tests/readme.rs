//! The user documentation's commands run as written. Every ```` ```sh ````, ```` ```bash ````
//! and ```` ```console ```` block of README.md and docs/devx/nx-cli.md runs with
//! `bash -euo pipefail` from the root of a scratch checkout that holds what `make run`
//! leaves, with a scratch `$HOME` and the checkout's `target/release` (the host tools)
//! first on `PATH`. Each block starts from a fresh copy of that checkout, so any one of
//! them can be pasted alone after `make run`. A `console` block runs its `$ ` lines; the
//! other lines are output and are not run.
//!
//! A command that fails fails the test, naming the file, the line and the command, with
//! what the block printed. A short list ([`SKIPS`]) names the commands that cannot run
//! here and why; each of its entries must still match a command, so the list cannot rot.
//!
//! What `make run` leaves is made here without QEMU, the way the scripts make it:
//! scripts/demo.sh's crash pipeline (crash-demo's dump in `target/demo/crash/`, its
//! indexes, the stripped binary and its debug file), and scripts/qemu-test.sh's image
//! (`nx image build` of a kernel and an initrd with a state partition, the two segments
//! extracted into `target/os/boot/`). The boot itself is stood in for: the store in the
//! image's state partition is formatted and given what the booted OS writes into it (a
//! dump in `state:/crash/`, the files selftest-client writes), and the OS programs in
//! `target/riscv64gc-unknown-none-elf/release/` are host builds (crash-demo under another
//! Build-ID, whose dump the store holds, and a kernel of pattern bytes). When what
//! `make run` leaves changes,
//! [`make_run_leaves`] follows it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use test_harness::{pattern, workspace_binaries, workspace_root, KillOnDrop};

/// The documents whose shell blocks must run.
const DOCUMENTS: &[&str] = &["README.md", "docs/devx/nx-cli.md"];

/// The fence info strings of the blocks that run.
const SHELL_FENCES: &[&str] = &["sh", "bash", "console"];

/// How long one block may run.
const BLOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// A command the test does not run: the text it starts with (or, for `contains`, holds
/// anywhere), and why it cannot run here.
struct Skip {
    text: &'static str,
    contains: bool,
    why: &'static str,
}

/// The commands that cannot run in a scratch checkout.
const SKIPS: &[Skip] = &[
    // The two entry points themselves: bootstrap, the OS build, QEMU, the whole suite
    // (this test included). The scratch checkout stands for what `make run` leaves.
    Skip {
        text: "make run",
        contains: false,
        why: "boots the OS in QEMU; the scratch checkout holds what it leaves",
    },
    Skip {
        text: "make test",
        contains: false,
        why: "the whole suite, this test included",
    },
    // Building the host tools: the test built them and put them in target/release.
    Skip {
        text: "cargo build",
        contains: false,
        why: "builds the host tools; the test built them into the scratch target/release",
    },
    // A real serial port: no device is attached where tests run.
    Skip {
        text: "/dev/ttyUSB0",
        contains: true,
        why: "a real serial port",
    },
];

/// One command of a block: its first line in the document and its text (continuation
/// lines and here-documents included).
#[derive(Debug, Clone)]
struct Cmd {
    line: usize,
    /// Lines of the block's script it spans (1-based, inclusive).
    first: usize,
    last: usize,
    text: String,
}

/// One shell block: where it opens in its document, the script it runs (one script line
/// per document line, so script line `n` is document line `open + n`), and its commands.
#[derive(Debug)]
struct Block {
    file: &'static str,
    open: usize,
    script: Vec<String>,
    commands: Vec<Cmd>,
}

/// The shell blocks of `text` (the document `file`).
fn shell_blocks(file: &'static str, text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim_start();
        let Some(info) = trimmed.strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        let info = info.trim();
        let mut body = Vec::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start() == "```" {
                break;
            }
            body.push(l.get(indent..).unwrap_or(l.trim_start()).to_string());
        }
        if SHELL_FENCES.contains(&info) {
            let script = if info == "console" {
                console_script(&body)
            } else {
                body
            };
            let open = i + 1;
            let commands = commands_of(&script, open);
            blocks.push(Block {
                file,
                open,
                script,
                commands,
            });
        }
    }
    blocks
}

/// A console block as a script: its `$ ` lines and their continuation lines; output
/// lines become blank lines, so that line numbers are kept.
fn console_script(body: &[String]) -> Vec<String> {
    let mut script = Vec::new();
    let mut continued = false;
    for line in body {
        if continued {
            script.push(line.clone());
        } else if let Some(command) = line.strip_prefix("$ ") {
            script.push(command.to_string());
        } else {
            script.push(String::new());
            continue;
        }
        continued = continues(line);
    }
    script
}

/// Whether the command on `line` goes on on the next line: a `\\` continuation, or a
/// pipe or list operator at its end.
fn continues(line: &str) -> bool {
    let line = line.trim_end();
    ["\\", "|", "&&"].iter().any(|end| line.ends_with(end))
}

/// The delimiter of a here-document that `line` opens (`<<EOF`, `<<'EOF'`, `<<-"EOF"`).
fn heredoc_delimiter(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("<<")?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let word: String = rest
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ';' && *c != '|' && *c != '>')
        .filter(|c| *c != '\'' && *c != '"')
        .collect();
    (!word.is_empty() && !word.starts_with('<')).then_some(word)
}

/// The commands of a script whose line 1 is document line `open + 1`: each starts at a
/// line that is neither blank nor a comment and runs on through `\` continuations and
/// here-documents.
fn commands_of(script: &[String], open: usize) -> Vec<Cmd> {
    let mut commands = Vec::new();
    let mut i = 0;
    while i < script.len() {
        let line = script[i].trim();
        if line.is_empty() || line.starts_with('#') {
            i += 1;
            continue;
        }
        let first = i;
        let mut text = script[i].clone();
        let mut heredoc = heredoc_delimiter(&script[i]);
        let mut continued = continues(&script[i]);
        while (continued || heredoc.is_some()) && i + 1 < script.len() {
            i += 1;
            text.push('\n');
            text.push_str(&script[i]);
            if let Some(delimiter) = &heredoc {
                if script[i].trim() == delimiter {
                    heredoc = None;
                }
                continue;
            }
            heredoc = heredoc_delimiter(&script[i]);
            continued = continues(&script[i]);
        }
        commands.push(Cmd {
            line: open + first + 1,
            first: first + 1,
            last: i + 1,
            text,
        });
        i += 1;
    }
    commands
}

/// The entry of [`SKIPS`] that `command` matches.
fn skip_of(command: &str) -> Option<&'static Skip> {
    SKIPS.iter().find(|s| {
        if s.contains {
            command.contains(s.text)
        } else {
            command == s.text
                || command
                    .strip_prefix(s.text)
                    .is_some_and(|rest| rest.starts_with([' ', '\t']))
        }
    })
}

/// The block's script with its skipped commands blanked out (a `:` with the reason in
/// their place, line numbers kept), behind a first line that records the line of the
/// command that fails in `failed_line`.
fn runnable_script(block: &Block, failed_line: &Path, skipped: &mut Vec<&'static str>) -> String {
    let mut lines = block.script.clone();
    for command in &block.commands {
        if let Some(skip) = skip_of(&command.text) {
            skipped.push(skip.text);
            for l in &mut lines[command.first - 1..command.last] {
                l.clear();
            }
            lines[command.first - 1] = format!(": 'skipped: {}'", skip.why);
        }
    }
    let quoted = failed_line.display().to_string().replace('\'', r"'\''");
    let mut script = format!("trap 'echo \"$LINENO\" > '\\''{quoted}'\\''' ERR\n");
    for l in lines {
        script.push_str(&l);
        script.push('\n');
    }
    script
}

/// Runs `cmd` to success, quietly; panics with its output otherwise.
fn run_ok(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies the tree `from` to `to` (which must not exist); symbolic links stay links.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else if is_executable(&kind, &src) {
            test_harness::copy_executable(&src, &dst).unwrap();
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// The host tools and programs the fixture and the blocks run.
struct Tools {
    nx: PathBuf,
    nxsym: PathBuf,
    crash_demo: PathBuf,
    /// Every host tool, under the name it has in target/release.
    on_path: Vec<PathBuf>,
}

fn tools() -> Tools {
    let bins = workspace_binaries(
        &[
            ("nx", "nx"),
            ("nxsym", "nxsym"),
            ("nxb-pack", "nxb-pack"),
            ("nxs-pack", "nxs-pack"),
            ("logd", "logd"),
            ("crashdump_v2_host", "crash-demo"),
        ],
        "NX_README_NO_BUILD",
    )
    .unwrap();
    Tools {
        nx: bins[0].clone(),
        nxsym: bins[1].clone(),
        crash_demo: bins[5].clone(),
        on_path: bins[..5].to_vec(),
    }
}

/// Makes in `root` (a scratch checkout) what `make run` leaves under `target/`, and the
/// committed files the blocks read (`keys/test/`).
fn make_run_leaves(root: &Path, tools: &Tools) {
    let t = root.join("target");
    let nx = |args: &[&str]| {
        run_ok(Command::new(&tools.nx).args(args).current_dir(root));
    };
    let nxsym = |args: &[&str]| {
        run_ok(Command::new(&tools.nxsym).args(args).current_dir(root));
    };

    // The committed inputs the blocks use.
    fs::create_dir_all(root.join("keys")).unwrap();
    copy_tree(&workspace_root().join("keys/test"), &root.join("keys/test"));

    // The host tools (make run builds nx and nxsym into target/release; the README has
    // the others built there too).
    let release = t.join("release");
    fs::create_dir_all(&release).unwrap();
    for tool in &tools.on_path {
        std::os::unix::fs::symlink(tool, release.join(tool.file_name().unwrap())).unwrap();
    }

    // scripts/demo.sh: crash-demo crashes into a dump, its symbols indexed as built and
    // as shipped (stripped, with a separate debug file).
    let subject = t.join("demo-subject/crash-demo");
    fs::create_dir_all(subject.parent().unwrap()).unwrap();
    test_harness::copy_executable(&tools.crash_demo, &subject).unwrap();
    let demo = t.join("demo");
    for d in ["crash", "ship", "debug"] {
        fs::create_dir_all(demo.join(d)).unwrap();
    }
    let status = Command::new(&subject)
        .arg("--out-dir")
        .arg(demo.join("crash"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(101), "crash-demo: {status}");
    let dumps = test_harness::names_in(&demo.join("crash"));
    assert_eq!(dumps.len(), 1, "crash-demo's dumps: {dumps:?}");
    nxsym(&[
        "index",
        "target/demo-subject/crash-demo",
        "-o",
        "target/demo/symbols.nxsym",
    ]);
    run_ok(
        Command::new("objcopy")
            .args(["--only-keep-debug", "target/demo-subject/crash-demo"])
            .arg("target/demo/debug/crash-demo.debug")
            .current_dir(root),
    );
    run_ok(
        Command::new("strip")
            .args(["--strip-all", "-o", "target/demo/ship/crash-demo"])
            .arg("target/demo-subject/crash-demo")
            .current_dir(root),
    );
    run_ok(
        Command::new("objcopy")
            .arg("--add-gnu-debuglink=target/demo/debug/crash-demo.debug")
            .arg("target/demo/ship/crash-demo")
            .current_dir(root),
    );
    nxsym(&[
        "index",
        "target/demo/ship/crash-demo",
        "--debug-dir",
        "target/demo/debug",
        "-o",
        "target/demo/symbols-stripped.nxsym",
    ]);

    // The OS build (just build-os, mkinitrd), stood in for: a kernel of pattern bytes,
    // and as the OS program whose fault crashd keeps, crash-demo under another Build-ID
    // (an ELF of its own, as the OS's crash-demo is).
    let os_bin = t.join("riscv64gc-unknown-none-elf/release");
    fs::create_dir_all(&os_bin).unwrap();
    fs::write(os_bin.join("kernel"), pattern(200_000, 1)).unwrap();
    let os_demo = os_bin.join("crash-demo");
    with_other_build_id(&subject, &os_demo);
    let os = t.join("os");
    fs::create_dir_all(os.join("boot")).unwrap();
    fs::write(os.join("scratch.img"), vec![0u8; 2 << 20]).unwrap();
    fs::write(os.join("initrd.img"), pattern(20_000, 2)).unwrap();

    // scripts/qemu-test.sh: the image, and the segments QEMU boots extracted from it.
    nx(&[
        "image",
        "build",
        "--profile",
        "dev",
        "--board",
        "qemu-virt",
        "--system-version",
        "0.1.0",
        "--kernel",
        "target/riscv64gc-unknown-none-elf/release/kernel",
        "--initrd",
        "target/os/initrd.img",
        "--state-size",
        "1M",
        "--out",
        "target/os/os.img",
        "--manifest",
        "target/os/os.manifest.json",
    ]);
    for segment in ["kernel", "initrd"] {
        let out = format!("target/os/boot/{segment}");
        nx(&[
            "image",
            "extract",
            "target/os/os.img",
            segment,
            "--manifest",
            "target/os/os.manifest.json",
            "--out",
            &out,
        ]);
    }

    // The boot, stood in for: the OS formats its store on first boot; crashd keeps the
    // dump of crash-demo's fault in state:/crash/; selftest-client writes its files.
    nx(&["state", "format", "--image", "target/os/os.img", "--yes"]);
    let faults = t.join("os-faults");
    fs::create_dir(&faults).unwrap();
    // The OS boots twice, and crash-demo faults in each boot.
    for _boot in 0..2 {
        let status = Command::new(&os_demo)
            .arg("--out-dir")
            .arg(&faults)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(101), "the OS's crash-demo: {status}");
    }
    for name in test_harness::names_in(&faults) {
        let in_store = format!("crash/{name}");
        let file = faults.join(&name).display().to_string();
        nx(&[
            "state",
            "put",
            "--image",
            "target/os/os.img",
            &in_store,
            &file,
        ]);
    }
    fs::remove_dir_all(&faults).unwrap();
    for (name, len) in [("persist", 40 * 1024), ("probe", 6000)] {
        let file = t.join(name);
        fs::write(&file, pattern(len, 3)).unwrap();
        let in_store = format!("settings/selftest/{name}");
        let from = file.display().to_string();
        nx(&[
            "state",
            "put",
            "--image",
            "target/os/os.img",
            &in_store,
            &from,
        ]);
        fs::remove_file(&file).unwrap();
    }
    // The dump check's index of the OS's crash-demo.
    nxsym(&[
        "index",
        "target/riscv64gc-unknown-none-elf/release/crash-demo",
        "-o",
        "target/os/symbols.nxsym",
    ]);
    fs::write(os.join("uart.log"), "kernel: booted\n").unwrap();
}

/// Copies the ELF `from` to `to` with its GNU Build-ID changed (its last byte flipped),
/// through binutils' objcopy: the same program, another module to the symbol tools.
fn with_other_build_id(from: &Path, to: &Path) {
    let note = to.with_extension("build-id");
    run_ok(
        Command::new("objcopy")
            .args(["-O", "binary", "--only-section=.note.gnu.build-id"])
            .arg(from)
            .arg(&note),
    );
    let mut bytes = fs::read(&note).unwrap();
    let last = bytes.last_mut().expect("a Build-ID note");
    *last ^= 0xff;
    fs::write(&note, bytes).unwrap();
    run_ok(
        Command::new("objcopy")
            .arg(format!(
                "--update-section=.note.gnu.build-id={}",
                note.display()
            ))
            .arg(from)
            .arg(to),
    );
    fs::remove_file(&note).unwrap();
}

/// What one block did when it failed.
fn failure(block: &Block, dir: &Path, status: &str) -> String {
    let out = fs::read_to_string(dir.join("stdout")).unwrap_or_default();
    let err = fs::read_to_string(dir.join("stderr")).unwrap_or_default();
    let failed = fs::read_to_string(dir.join("failed-line"))
        .ok()
        .and_then(|l| l.trim().parse::<usize>().ok())
        // The script's first line is the trap.
        .and_then(|l| l.checked_sub(1));
    let command = failed.and_then(|l| {
        block
            .commands
            .iter()
            .find(|c| (c.first..=c.last).contains(&l))
    });
    let mut msg = match command {
        Some(c) => format!(
            "{}:{}: this command failed ({status}):\n    {}\n",
            block.file,
            c.line,
            c.text.replace('\n', "\n    ")
        ),
        None => format!(
            "{}:{}: the block failed ({status}) outside any command\n",
            block.file, block.open
        ),
    };
    let _ = write!(
        msg,
        "--- stdout (its end)\n{}--- stderr (its end)\n{}",
        last_lines(&out),
        last_lines(&err)
    );
    msg
}

/// The last lines of a block's output, which hold the failing command's.
fn last_lines(text: &str) -> String {
    const KEEP: usize = 30;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[lines.len().saturating_sub(KEEP)..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Runs `block` in a fresh copy of the checkout `template`; the failure message if it
/// fails.
fn run_block(
    block: &Block,
    template: &Path,
    path: &str,
    skipped: &mut Vec<&'static str>,
) -> Option<String> {
    let scratch = tempfile::Builder::new()
        .prefix("nx-readme")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let root = dir.join("checkout");
    copy_tree(template, &root);
    let home = dir.join("home");
    fs::create_dir(&home).unwrap();
    let failed_line = dir.join("failed-line");
    let script = dir.join("block.sh");
    fs::write(&script, runnable_script(block, &failed_line, skipped)).unwrap();
    let child = Command::new("bash")
        .args(["-euo", "pipefail"])
        .arg(&script)
        .current_dir(&root)
        .env_clear()
        .env(
            "PATH",
            format!("{}:{path}", root.join("target/release").display()),
        )
        .env("HOME", &home)
        .env(
            "USER",
            std::env::var_os("USER").unwrap_or_else(|| "user".into()),
        )
        .env("LANG", "C.UTF-8")
        .env("TMPDIR", dir)
        .stdin(Stdio::null())
        .stdout(fs::File::create(dir.join("stdout")).unwrap())
        .stderr(fs::File::create(dir.join("stderr")).unwrap())
        // Its own process group, so that what it starts in the background ends with it.
        .process_group(0)
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let pgid = child.pid();
    let status = child.wait_timeout(BLOCK_TIMEOUT);
    // The block's background processes (daemons it started with `&`).
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => None,
        Ok(s) => Some(failure(block, dir, &s.to_string())),
        Err(e) => Some(failure(block, dir, &e.to_string())),
    }
}

fn documents() -> Vec<Block> {
    DOCUMENTS
        .iter()
        .flat_map(|file| {
            let path = workspace_root().join(file);
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            shell_blocks(file, &text)
        })
        .collect()
}

#[test]
fn every_shell_block_of_the_readme_and_the_cli_reference_runs_after_make_run() {
    let blocks = documents();
    for file in DOCUMENTS {
        assert!(
            blocks.iter().filter(|b| b.file == *file).count() >= 3,
            "{file}: fewer than three shell blocks found; is the fence syntax still ```sh?"
        );
    }
    let tools = tools();
    let made = tempfile::Builder::new()
        .prefix("nx-readme-made")
        .tempdir()
        .unwrap();
    let template = made.path().join("checkout");
    fs::create_dir(&template).unwrap();
    make_run_leaves(&template, &tools);
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string());

    let mut skipped = Vec::new();
    let failures: Vec<String> = blocks
        .iter()
        .filter_map(|b| run_block(b, &template, &path, &mut skipped))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} shell blocks failed:\n\n{}",
        failures.len(),
        blocks.len(),
        failures.join("\n")
    );
    for skip in SKIPS {
        assert!(
            skipped.contains(&skip.text),
            "the skip list's entry {:?} matches no command any more: remove it",
            skip.text
        );
    }
}

#[test]
fn a_console_block_runs_its_prompt_lines_and_keeps_line_numbers() {
    let doc = "text\n```console\n$ echo one \\\n  two\noutput\n$ false\n```\n";
    let blocks = shell_blocks("doc.md", doc);
    assert_eq!(blocks.len(), 1);
    let b = &blocks[0];
    assert_eq!(b.script, ["echo one \\", "  two", "", "false"]);
    let lines: Vec<(usize, &str)> = b
        .commands
        .iter()
        .map(|c| (c.line, c.text.as_str()))
        .collect();
    assert_eq!(lines, [(3, "echo one \\\n  two"), (6, "false")]);
}

#[test]
fn a_heredoc_is_part_of_its_command_and_other_fences_are_not_run() {
    let doc = "```sh\n# a comment\ncat > a.toml <<'EOF'\nx = 1\nEOF\nls\n```\n\
               ```toml\nx = 1\n```\n```\nplain\n```\n";
    let blocks = shell_blocks("doc.md", doc);
    assert_eq!(blocks.len(), 1);
    let lines: Vec<(usize, &str)> = blocks[0]
        .commands
        .iter()
        .map(|c| (c.line, c.text.as_str()))
        .collect();
    assert_eq!(lines, [(3, "cat > a.toml <<'EOF'\nx = 1\nEOF"), (6, "ls")]);
}

#[test]
fn skipped_commands_are_blanked_and_failures_name_file_line_and_command() {
    let doc = "# t\n\n```sh\nmake run\ntrue\nfalse \\\n  --flag\necho after\n```\n";
    let blocks = shell_blocks("doc.md", doc);
    let block = &blocks[0];
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t");
    fs::create_dir(&template).unwrap();
    let mut skipped = Vec::new();
    let msg = run_block(block, &template, "/usr/bin:/bin", &mut skipped)
        .expect("a block with `false` fails");
    assert_eq!(skipped, ["make run"]);
    assert!(
        msg.starts_with(
            "doc.md:6: this command failed (exit status: 1):\n    false \\\n      --flag\n"
        ),
        "{msg}"
    );
    assert!(!msg.contains("after"), "{msg}");
}

/// Whether the regular file `path` has an execute bit (copied so it can run: see
/// `test_harness::copy_executable`).
fn is_executable(kind: &fs::FileType, path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    kind.is_file() && fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}
