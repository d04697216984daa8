//! docs/devx/nx-cli.md documents `nx` as `--help` describes it: every documented
//! command exists, every option its synopsis names is real, every real option is
//! documented (see `test_harness::docs_help`). Also: `--version` names the commit and
//! the formats, `completions` and `man` cover every command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn tool(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nx"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_user_documentation_lists_the_options_help_lists() {
    let doc = test_harness::workspace_root().join("docs/devx/nx-cli.md");
    let doc = std::fs::read_to_string(doc).unwrap();
    let problems = test_harness::docs_help::disagreements(&doc, "nx", |path| {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = tool(&args);
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn version_names_the_commit_and_the_formats() {
    let out = tool(&["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(concat!("nx ", env!("CARGO_PKG_VERSION"), " (commit ")),
        "{text}"
    );
    assert!(
        lines[1].starts_with("reads:  ") && lines[1].len() > 8,
        "{text}"
    );
    assert!(lines[2].starts_with("writes: "), "{text}");
    let short = String::from_utf8(tool(&["-V"]).stdout).unwrap();
    assert_eq!(short.trim_end(), lines[0]);
}

#[test]
fn completions_and_man_pages_cover_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = tool(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert!(pages.contains(&"nx.1".to_string()), "{pages:?}");
    let top = std::fs::read_to_string(dir.path().join("nx.1")).unwrap();
    assert!(top.contains(".TH nx 1"), "{top}");
    for shell in ["bash", "zsh", "fish"] {
        let out = tool(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for page in &pages {
            // Every command with a page (`nx-group-cmd.1`) is completed: its last word.
            let name = page.trim_end_matches(".1");
            let last = name.rsplit('-').next().unwrap();
            if name != "nx" {
                assert!(script.contains(last), "{shell}: {last}");
            }
        }
    }
    assert_eq!(tool(&["completions", "tcsh"]).status.code(), Some(2));
}
