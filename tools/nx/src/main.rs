//! `nx`: the project's command-line tool, organized as `nx <group> <command>`.
//!
//! Conventions every group follows: data goes to stdout, diagnostics to stderr; errors
//! print as `error: <cause chain>` and exit with the status of their class (1 nothing
//! found, 2 usage, 3 verification failed, 4 bad input, 5 I/O); a closed stdout (broken
//! pipe) ends the command quietly with status 0 (both through `cli-support`, which all
//! four host binaries share). `--json` output uses
//! serialize-only types with a documented, versioned schema (docs/devx/nx-cli.md).

mod crash;
mod flash;
mod image;
mod log;
mod output;
mod paging;
mod progress;
mod reset;
mod state;
mod timefmt;
mod units;

use std::process::ExitCode;

use clap::Subcommand;
use cli_support::generate::Generate;
use cli_support::version::Formats;

/// Reliability and update toolkit for the OS.
#[derive(Debug, clap::Parser)]
#[command(name = "nx", propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    group: Group,
}

/// What `nx` reads and writes, for `--version`.
const FORMATS: Formats = Formats {
    reads: &[
        "nxcd 2",
        "symbols.nxsym 1",
        "nx-image-manifest/1",
        "state header 1",
        "flasher frames 1",
        "logd frames 1",
    ],
    writes: &[
        "nxcd 2",
        "nx-image-manifest/1",
        "state header 1",
        "flasher frames 1",
        "logd frames 1",
        "JSON nx.crash.*/1, nx.image.inspect/1, nx.log.*/1",
    ],
};

/// Command groups.
#[derive(Debug, Subcommand)]
enum Group {
    /// Triage crash dumps (.nxcd, .nxcd.zst) in a dump directory.
    #[command(subcommand)]
    Crash(crash::Command),
    /// Build, verify, inspect and extract from OS images.
    #[command(subcommand)]
    Image(image::Command),
    /// Write an image to a device over a serial line or socket; serve the device side.
    #[command(subcommand)]
    Flash(flash::Command),
    /// Factory reset of a state directory.
    Reset(reset::Args),
    /// Host state trees: make one for `nx reset`.
    State(state::Args),
    /// Append to, query and follow the logd journal.
    #[command(subcommand)]
    Log(log::Command),
    #[command(flatten)]
    Generate(Generate),
}

/// The clap definition, with the version texts (which are built at run time) and the
/// examples of the `reset` and `state` commands (kept here, beside the other groups'
/// examples in their command enums).
fn command() -> clap::Command {
    const STATE_EXAMPLES: [(&str, &str); 7] = [
        ("init", "  nx state init --root state/"),
        ("ls", "  nx state ls --image os.img -r\n  nx state ls --image os.img crash --json"),
        ("cat", "  nx state cat --image os.img settings/hostname"),
        (
            "put",
            "  nx state put --image os.img trust/anchor.pub keys/ed25519.pub\n  echo qemu > h; nx state put --image os.img settings/hostname h",
        ),
        ("rm", "  nx state rm --image os.img -r apps/old"),
        ("info", "  nx state info --image os.img"),
        ("format", "  nx state format --image os.img --yes"),
    ];
    cli_support::command::<Cli>(env!("CARGO_PKG_VERSION"), FORMATS)
        .mut_subcommand("reset", |reset| {
            reset.mut_subcommand("factory", |c| {
                c.after_help(
                    "Examples:
  nx reset factory --root state/ --dry-run
  nx reset factory --root state/ --yes
  nx reset factory --image os.img --yes",
                )
            })
        })
        .mut_subcommand("state", |mut state| {
            for (name, examples) in STATE_EXAMPLES {
                if state.find_subcommand(name).is_some() {
                    state = state
                        .mut_subcommand(name, |c| c.after_help(format!("Examples:\n{examples}")));
                }
            }
            state
        })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.group {
        Group::Crash(command) => crash::run(command),
        Group::Image(command) => image::run(command),
        Group::Flash(command) => flash::run(command),
        Group::Reset(args) => reset::run(args),
        Group::State(args) => state::run(args),
        Group::Log(command) => log::run(command),
        Group::Generate(g) => g.run(command()),
    }
}

fn main() -> ExitCode {
    let cli = cli_support::parse::<Cli>(command());
    cli_support::finish(run(cli))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }
}
