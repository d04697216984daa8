//! The user documentation's option lists checked against the real `--help`: every command
//! that docs/devx/nx-cli.md documents (a `### \`TOOL ...\`` heading, or a table row whose
//! first cell is `` `TOOL ...` ``) must exist, every option its synopsis names must be one
//! `--help` lists, and every option `--help` lists must be named in its synopsis or in the
//! text of its section or of its group (the `## ` part it stands in).

use std::collections::BTreeSet;

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

/// The subcommand path of a synopsis: its words after the tool that are command names.
fn command_path(synopsis: &str) -> Vec<String> {
    synopsis
        .split_whitespace()
        .skip(1)
        .take_while(|w| {
            w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .map(str::to_string)
        .collect()
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
        let path = command_path(&c.synopsis);
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
    problems
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
    fn options_are_words_that_start_with_dashes() {
        let found = options_in("`--out FILE` and -n, not x-y or --9 or -ab; [--json]");
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["--json", "--out", "-n"]
        );
    }
}
