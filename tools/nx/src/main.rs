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
mod progress;
mod reset;
mod state;
mod timefmt;
mod units;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Reliability and update toolkit for the OS.
#[derive(Debug, Parser)]
#[command(name = "nx", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    group: Group,
}

/// Command groups.
#[derive(Debug, Subcommand)]
enum Group {
    /// Triage crash dumps (.nxcd, .nxcd.zst) in a dump directory.
    Crash(crash::Args),
    /// Build, verify, inspect and extract from OS images.
    Image(image::Args),
    /// Write an image to a device over a serial line or socket; serve the device side.
    Flash(flash::Args),
    /// Factory reset of a state directory.
    Reset(reset::Args),
    /// Host state trees: make one for `nx reset`.
    State(state::Args),
    /// Append to, query and follow the logd journal.
    Log(log::Args),
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.group {
        Group::Crash(args) => crash::run(args),
        Group::Image(args) => image::run(args),
        Group::Flash(args) => flash::run(args),
        Group::Reset(args) => reset::run(args),
        Group::State(args) => state::run(args),
        Group::Log(args) => log::run(args),
    }
}

fn main() -> ExitCode {
    cli_support::finish(run(Cli::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
