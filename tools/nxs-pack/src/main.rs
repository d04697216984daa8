//! `nxs-pack`: build a signed `.nxs` system-set from a directory of `.nxb` bundles, and
//! generate keys for, inspect and verify system-sets. The format and every check live
//! in the `updates` and `signing` crates; this binary parses arguments, does file I/O
//! and prints.

mod inspect;
mod keygen;
mod pack;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli_support::generate::Generate;
use cli_support::version::Formats;

/// Signed system-sets (.nxs) for A/B updates: pack, inspect, verify; Ed25519 keygen.
///
/// Without a subcommand, packs: nxs-pack --input bundles/ --meta system-set.toml
/// --key keys/ed25519.hex --output system-v1.0.0.nxs
#[derive(Parser)]
#[command(
    name = "nxs-pack",
    about,
    after_help = "Examples:
  nxs-pack keygen -o keys/
  nxs-pack --input bundles/ --meta system-set.toml --key keys/ed25519.hex -o system-v1.0.0.nxs
  nxs-pack verify --pub keys/ed25519.pub --board qemu-virt system-v1.0.0.nxs",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    pack: pack::Args,
}

/// What `nxs-pack` reads and writes, for `--version`.
const FORMATS: Formats = Formats {
    reads: &[".nxb 1", ".nxs 1 (system.nxsindex 1)", "Ed25519 key files"],
    writes: &[
        ".nxs 1 (system.nxsindex 1)",
        "Ed25519 key files",
        "JSON nxs-inspect/1",
    ],
};

#[derive(Subcommand)]
enum Command {
    /// Generate an Ed25519 key pair: DIR/ed25519.hex (private, mode 0600) and
    /// DIR/ed25519.pub.
    #[command(after_help = "Examples:
  nxs-pack keygen -o keys/
  nxs-pack keygen -o keys/ --force")]
    Keygen(keygen::Args),
    /// Show a system-set's index and bundles (the signature is checked against the
    /// publisher key it names; use `verify` to check it against trusted keys).
    #[command(after_help = "Examples:
  nxs-pack inspect system-v1.0.0.nxs
  nxs-pack inspect system-v1.0.0.nxs --json")]
    Inspect(inspect::Args),
    /// Verify a system-set against trusted public keys (and optionally a board and the
    /// running version).
    #[command(after_help = "Examples:
  nxs-pack verify --pub keys/ed25519.pub system-v1.0.0.nxs
  nxs-pack verify --pub keys/ed25519.pub --board qemu-virt --running-version 0.9.0 system-v1.0.0.nxs")]
    Verify(verify::Args),
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
        Some(Command::Keygen(a)) => keygen::run(a),
        Some(Command::Inspect(a)) => inspect::run(a),
        Some(Command::Verify(a)) => verify::run(a),
        Some(Command::Generate(g)) => g.run(command()),
        None => pack::run(cli.pack),
    };
    cli_support::finish(result)
}
