//! Shell completions (`clap_complete`) and man pages (`clap_mangen`) from a binary's clap
//! definition, so they cannot disagree with `--help`. Each binary exposes
//! `completions SHELL` (to stdout) and a hidden `man --out DIR`, which `just man` and
//! `just install` call.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

/// The commands every binary has: `completions SHELL` and the hidden `man --out DIR`
/// (flattened into the binary's own commands).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Generate {
    /// Print a shell completion script to stdout.
    Completions(CompletionsArgs),
    /// Write the man pages (one per command: TOOL.1, TOOL-GROUP.1, ...) into a directory.
    #[command(hide = true)]
    Man(ManArgs),
}

impl Generate {
    /// Runs the command for the binary whose definition is `command`.
    pub fn run(self, command: clap::Command) -> anyhow::Result<ExitCode> {
        match self {
            Generate::Completions(args) => {
                completions(command, &args, &mut std::io::stdout())?;
            }
            Generate::Man(args) => {
                for page in man_pages(command, &args)? {
                    eprintln!("wrote {}", page.display());
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The `after_help` of `TOOL completions`.
pub fn completion_examples(tool: &str) -> String {
    format!(
        "Examples:
  {tool} completions bash > ~/.local/share/bash-completion/completions/{tool}
  {tool} completions zsh > ~/.zfunc/_{tool}
  {tool} completions fish > ~/.config/fish/completions/{tool}.fish"
    )
}

/// Arguments of `completions`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Arguments of the hidden `man` command.
#[derive(Debug, Clone, clap::Args)]
pub struct ManArgs {
    /// Directory to write the pages to (created if missing).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: PathBuf,
}

/// Writes `command`'s completion script for the chosen shell to `out`. (The script is
/// made in memory first: clap_complete panics on a write error, such as a closed pipe.)
pub fn completions(
    mut command: clap::Command,
    args: &CompletionsArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completion script")?;
    Ok(())
}

/// Writes one man page (section 1) for `command` and for each of its visible
/// subcommands, nested ones too (`nx.1`, `nx-crash.1`, `nx-crash-ls.1`), into the
/// chosen directory, each atomically. Returns the pages written, in order.
pub fn man_pages(command: clap::Command, args: &ManArgs) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut command = command;
    command.build();
    let mut written = Vec::new();
    write_pages(&command, &args.out, &mut written)?;
    Ok(written)
}

/// Writes `command`'s page (named after its display name) and its subcommands' pages.
fn write_pages(
    command: &clap::Command,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_string();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .title(name.clone())
        .render(&mut page)
        .with_context(|| format!("rendering the man page of {name}"))?;
    let path = dir.join(format!("{name}.1"));
    durable::write_atomic(&path, &page)?;
    written.push(path);
    for sub in command.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, Command};

    fn tool() -> Command {
        Command::new("tool")
            .about("A tool.")
            .subcommand(
                Command::new("group").about("A group.").subcommand(
                    Command::new("leaf")
                        .about("A leaf.")
                        .arg(Arg::new("out").long("out").help("Where the output goes.")),
                ),
            )
            .subcommand(Command::new("secret").hide(true))
    }

    #[test]
    fn man_pages_cover_every_visible_command() {
        let dir = tempfile::tempdir().unwrap();
        let args = ManArgs {
            out: dir.path().join("man1"),
        };
        let pages = man_pages(tool(), &args).unwrap();
        let names: Vec<String> = pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["tool.1", "tool-group.1", "tool-group-leaf.1"]);
        let leaf = std::fs::read_to_string(&pages[2]).unwrap();
        assert!(leaf.contains(".TH tool-group-leaf 1"), "{leaf}");
        assert!(leaf.contains("Where the output goes."), "{leaf}");
    }

    #[test]
    fn completions_name_the_subcommands() {
        let mut script = Vec::new();
        let args = CompletionsArgs {
            shell: clap_complete::Shell::Bash,
        };
        completions(tool(), &args, &mut script).unwrap();
        let script = String::from_utf8(script).unwrap();
        assert!(script.contains("group"), "{script}");
        assert!(script.contains("leaf"), "{script}");
    }
}
