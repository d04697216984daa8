//! `nx reset`: factory reset of a state directory (everything but trust/ and boot/).

mod factory;

use std::process::ExitCode;

use clap::Subcommand;

/// Arguments of `nx reset`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// `nx reset` commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Wipe a state directory except trust/ and boot/.
    Factory(factory::Args),
}

/// Runs an `nx reset` command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Factory(a) => factory::run(a),
    }
}
