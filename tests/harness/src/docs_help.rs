//! The user documentation's option lists checked against the real `--help`: every command
//! that docs/devx/nx-cli.md documents (a `### \`TOOL ...\`` heading, or a table row whose
//! first cell is `` `TOOL ...` ``) must exist, every option its synopsis names must be one
//! `--help` lists, and every option `--help` lists must be named in its synopsis or in the
//! text of its section or of its group (the `## ` part it stands in). [`check_tool`] makes
//! that check and the other checks of a tool's help, version, completions and man pages.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

/// One documented command: its synopsis and the text that documents it.
#[derive(Debug)]
struct Documented {
    synopsis: String,
    text: String,
}

/// The commands of `tool` the document documents.
fn documented(doc: &str, tool: &str) -> Vec<Documented> {
    let mut out = Vec::new();
    let mut group_text = String::new();
    let mut current: Option<Documented> = None;
    let prefix = format!("{tool} ");
    let is_tool = |s: &str| s == tool || s.starts_with(&prefix);
    for line in doc.lines() {
        if line.starts_with("## ") {
            out.extend(current.take());
            group_text = String::new();
            continue;
        }
        if let Some(rest) = line.strip_prefix("### `") {
            out.extend(current.take());
            let synopsis = rest.split('`').next().unwrap_or_default();
            if is_tool(synopsis) {
                current = Some(Documented {
                    synopsis: synopsis.to_string(),
                    text: group_text.clone(),
                });
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("| `") {
            let synopsis = rest.split('`').next().unwrap_or_default();
            if is_tool(synopsis) {
                out.push(Documented {
                    synopsis: synopsis.to_string(),
                    text: format!("{group_text}\n{line}"),
                });
                continue;
            }
        }
        match &mut current {
            Some(c) => {
                c.text.push_str(line);
                c.text.push('\n');
            }
            None => {
                group_text.push_str(line);
                group_text.push('\n');
            }
        }
    }
    out.extend(current);
    out
}

/// The options named in `text`: `--long` and `-s` words.
fn options_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('-') {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            continue;
        }
        let rest = &text[i..];
        let long = rest.starts_with("--");
        let body = &rest[if long { 2 } else { 1 }..];
        let word: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let first_ok = word.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !first_ok || (!long && word.len() != 1) {
            continue;
        }
        found.insert(format!("{}{word}", if long { "--" } else { "-" }));
    }
    found
}

/// The subcommand paths of a synopsis: its words after the tool that are command names;
/// a word of alternatives (`ls|cat|put`) stands for each of them, so a synopsis shared
/// by several commands names each one.
fn command_paths(synopsis: &str) -> Vec<Vec<String>> {
    let is_name = |w: &str| {
        w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let mut paths = vec![Vec::new()];
    for word in synopsis.split_whitespace().skip(1) {
        let alternatives: Vec<&str> = word.split('|').collect();
        if !alternatives.iter().all(|a| is_name(a)) {
            break;
        }
        paths = paths
            .into_iter()
            .flat_map(|p| {
                alternatives.iter().map(move |a| {
                    let mut next = p.clone();
                    next.push(a.to_string());
                    next
                })
            })
            .collect();
    }
    paths
}

/// An option `--help` lists: its long and short names and visible aliases.
#[derive(Debug)]
struct Listed {
    names: Vec<String>,
}

/// The options a `--help` text lists (but `--help` and `--version`).
fn listed_options(help: &str) -> Vec<Listed> {
    let mut out = Vec::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        if !trimmed.starts_with('-') || line.len() == trimmed.len() {
            continue;
        }
        let head: String = trimmed.split("  ").next().unwrap_or_default().to_string();
        let mut names: Vec<String> = head
            .split([',', ' '])
            .filter(|w| w.starts_with('-'))
            .map(|w| {
                w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                    .to_string()
            })
            .filter(|w| w.len() > 1)
            .collect();
        if names.is_empty() {
            // A possible value listed under its option (`  - nxcd: ...`).
            continue;
        }
        let aliases = line
            .split("[aliases: ")
            .nth(1)
            .or_else(|| line.split("[alias: ").nth(1));
        if let Some(aliases) = aliases {
            let list = aliases.split(']').next().unwrap_or_default();
            names.extend(list.split(", ").map(|a| a.trim().to_string()));
        }
        if names.iter().any(|n| n == "--help" || n == "--version") {
            continue;
        }
        out.push(Listed { names });
    }
    out
}

/// Every disagreement between `doc` and the `--help` of `tool`'s commands; `help` returns
/// the help text of a command path (`["crash", "ls"]`), or `None` when there is no such
/// command. Empty when they agree.
pub fn disagreements(
    doc: &str,
    tool: &str,
    mut help: impl FnMut(&[String]) -> Option<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let commands = documented(doc, tool);
    if commands.is_empty() {
        problems.push(format!("the document documents no {tool} command"));
    }
    for c in commands {
        for path in command_paths(&c.synopsis) {
            let Some(help_text) = help(&path) else {
                problems.push(format!("`{}`: no such command", c.synopsis));
                continue;
            };
            let listed = listed_options(&help_text);
            let in_synopsis = options_in(&c.synopsis);
            let mentioned: BTreeSet<String> = in_synopsis
                .iter()
                .cloned()
                .chain(options_in(&c.text))
                .collect();
            for option in &in_synopsis {
                if !listed.iter().any(|l| l.names.contains(option)) {
                    problems.push(format!(
                        "`{}`: {option} is documented but not in --help",
                        c.synopsis
                    ));
                }
            }
            for l in &listed {
                if !l.names.iter().any(|n| mentioned.contains(n)) {
                    problems.push(format!(
                        "`{}`: {} is in --help but not documented",
                        c.synopsis,
                        l.names.join("/")
                    ));
                }
            }
        }
    }
    problems
}

/// Runs `bin` with `args` to the end.
fn run_tool(bin: &Path, args: &[&str]) -> Output {
    match Command::new(bin).args(args).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run {}: {e}", bin.display()),
    }
}

/// The `--help` text of `bin`'s command `path`, if there is such a command.
fn help_of(bin: &Path, path: &[String]) -> Option<String> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let out = run_tool(bin, &args);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The subcommands a `--help` text lists under `Commands:` (but `help`).
fn subcommands_in(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| name.trim_end_matches(',').to_string())
        .filter(|name| name != "help")
        .collect()
}

/// The checks every host tool's `docs_help` suite makes, panicking with what is wrong:
/// docs/devx/nx-cli.md documents `tool` as its `--help` does ([`disagreements`]); every
/// command's `--help` ends with examples; `-V` names the package version and the commit,
/// `--version` adds the formats read and written; `man` writes a page per command and
/// `completions bash|zsh|fish` completes each of them; an unknown shell is a usage error.
pub fn check_tool(bin: &Path, tool: &str, package_version: &str) {
    let doc = crate::workspace_root().join("docs/devx/nx-cli.md");
    let doc = std::fs::read_to_string(&doc)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", doc.display()));
    let problems = disagreements(&doc, tool, |path| help_of(bin, path));
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Every command that runs something shows examples (groups list their commands).
    let mut missing = Vec::new();
    let mut pending = vec![Vec::<String>::new()];
    while let Some(path) = pending.pop() {
        let Some(help) = help_of(bin, &path) else {
            panic!("{tool} {}: no help", path.join(" "));
        };
        let subs = subcommands_in(&help);
        if !path.is_empty() && subs.is_empty() && !help.contains("\nExamples:\n") {
            missing.push(format!("{tool} {}", path.join(" ")));
        }
        for sub in subs {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    assert!(missing.is_empty(), "no examples in --help: {missing:?}");

    let long = String::from_utf8_lossy(&run_tool(bin, &["--version"]).stdout).into_owned();
    let lines: Vec<&str> = long.lines().collect();
    let first = format!("{tool} {package_version} (commit ");
    assert!(
        lines.first().is_some_and(|l| l.starts_with(&first)),
        "{long}"
    );
    assert!(
        lines
            .get(1)
            .is_some_and(|l| l.starts_with("reads:  ") && l.len() > 8),
        "{long}"
    );
    assert!(
        lines.get(2).is_some_and(|l| l.starts_with("writes: ")),
        "{long}"
    );
    let short = String::from_utf8_lossy(&run_tool(bin, &["-V"]).stdout).into_owned();
    assert_eq!(short.trim_end(), lines[0]);

    let dir = std::env::temp_dir().join(format!("{tool}-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_text = dir.display().to_string();
    let out = run_tool(bin, &["man", "--out", &dir_text]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    let top = std::fs::read_to_string(dir.join(format!("{tool}.1"))).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(top.contains(&format!(".TH {tool} 1")), "{pages:?}");
    for shell in ["bash", "zsh", "fish"] {
        let out = run_tool(bin, &["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for page in &pages {
            // Every command with a page (`tool-group-cmd.1`) is completed: its last word.
            let name = page.trim_end_matches(".1");
            let last = name.rsplit('-').next().unwrap_or(name);
            assert!(name == tool || script.contains(last), "{shell}: {last}");
        }
    }
    assert_eq!(
        run_tool(bin, &["completions", "tcsh"]).status.code(),
        Some(2)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# tool
## `tool a`
Shared: `--dir DIR`.
### `tool a b --out FILE [-n N] [--gone]`
Text about `--json`.
## Other
| `tool c --key KEY` | packs |
";

    const B_HELP: &str = "Usage: tool a b

Options:
      --dir <DIR>    the dir
  -o, --out <FILE>   the output [aliases: --output]
  -n <N>             how many
      --json         JSON
      --secret       undocumented
  -h, --help         Print help
";

    #[test]
    fn finds_stale_and_undocumented_options() {
        let problems = disagreements(DOC, "tool", |path| match path {
            [a, b] if a == "a" && b == "b" => Some(B_HELP.to_string()),
            [c] if c == "c" => Some("Options:\n      --key <KEY>  the key\n".to_string()),
            _ => None,
        });
        assert_eq!(
            problems,
            [
                "`tool a b --out FILE [-n N] [--gone]`: --gone is documented but not in --help",
                "`tool a b --out FILE [-n N] [--gone]`: --secret is in --help but not documented",
            ]
        );
    }

    #[test]
    fn a_documented_command_that_does_not_exist_is_reported() {
        let problems = disagreements(DOC, "tool", |_| None);
        assert_eq!(problems.len(), 2);
        assert!(problems[0].contains("no such command"));
    }

    #[test]
    fn commands_are_read_from_the_commands_section() {
        let help = "Usage: t\n\nCommands:\n  ls    List\n  show  Show, also info\n  help  Print this\n\nOptions:\n  -h\n";
        assert_eq!(subcommands_in(help), ["ls", "show"]);
        assert!(subcommands_in("Usage: t\n\nOptions:\n  -h\n").is_empty());
    }

    #[test]
    fn options_are_words_that_start_with_dashes() {
        let found = options_in("`--out FILE` and -n, not x-y or --9 or -ab; [--json]");
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["--json", "--out", "-n"]
        );
    }
}
