//! `nxb-pack`: build a signed `.nxb` bundle (manifest.nxb + payload) from a TOML
//! description, a payload file and a private key, and inspect bundles. The format lives
//! in the `updates` crate, signing in `signing`; this binary parses arguments, does file
//! I/O and prints.

mod inspect;
mod pack;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Signed bundles (.nxb): pack and inspect.
///
/// Without a subcommand, packs: nxb-pack --toml bundle.toml --payload FILE --key KEY
/// -o NAME.nxb
#[derive(Parser)]
#[command(
    name = "nxb-pack",
    version,
    about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    pack: pack::Args,
}

#[derive(Subcommand)]
enum Command {
    /// Show a bundle's manifest (and check its signature against --pub keys if given).
    Inspect(inspect::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Inspect(a)) => inspect::run(a),
        None => pack::run(cli.pack),
    };
    cli_support::finish(result)
}
