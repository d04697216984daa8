//! `nxb-pack`: build a signed `.nxb` bundle (manifest.nxb + payload) from a TOML
//! description, a payload file and a private key, and inspect bundles. The format lives
//! in the `updates` crate, signing in `signing`; this binary parses arguments, does file
//! I/O and prints.

mod inspect;
mod pack;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli_support::generate::Generate;
use cli_support::version::Formats;

/// Signed bundles (.nxb): pack and inspect.
///
/// Without a subcommand, packs: nxb-pack --toml bundle.toml --payload FILE --key KEY
/// -o NAME.nxb
#[derive(Parser)]
#[command(
    name = "nxb-pack",
    about,
    after_help = "Examples:
  nxb-pack --toml hello.toml --payload hello.elf --key keys/ed25519.hex -o bundles/hello.nxb
  nxb-pack inspect bundles/hello.nxb --pub keys/ed25519.pub",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    pack: pack::Args,
}

/// What `nxb-pack` reads and writes, for `--version`.
const FORMATS: Formats = Formats {
    reads: &[
        "bundle TOML",
        ".nxb 1 (manifest.nxb 1)",
        "Ed25519 key files",
    ],
    writes: &[".nxb 1 (manifest.nxb 1)", "JSON nxb-inspect/1"],
};

#[derive(Subcommand)]
enum Command {
    /// Show a bundle's manifest (and check its signature against --pub keys if given).
    #[command(after_help = "Examples:
  nxb-pack inspect bundles/hello.nxb
  nxb-pack inspect bundles/hello.nxb --pub keys/ed25519.pub --json")]
    Inspect(inspect::Args),
    #[command(flatten)]
    Generate(Generate),
}

/// The clap definition, with the version texts.
fn command() -> clap::Command {
    cli_support::command::<Cli>(env!("CARGO_PKG_VERSION"), FORMATS)
}

fn main() -> ExitCode {
    let cli = cli_support::parse::<Cli>(command());
    let result = match cli.command {
        Some(Command::Inspect(a)) => inspect::run(a),
        Some(Command::Generate(g)) => g.run(command()),
        None => pack::run(cli.pack),
    };
    cli_support::finish(result)
}
