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

/// Signed system-sets (.nxs) for A/B updates: pack, inspect, verify; Ed25519 keygen.
///
/// Without a subcommand, packs: nxs-pack --input bundles/ --meta system-set.toml
/// --key keys/ed25519.hex --output system-v1.0.0.nxs
#[derive(Parser)]
#[command(
    name = "nxs-pack",
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
    /// Generate an Ed25519 key pair: DIR/ed25519.hex (private, mode 0600) and
    /// DIR/ed25519.pub.
    Keygen(keygen::Args),
    /// Show a system-set's index and bundles (the signature is checked against the
    /// publisher key it names; use `verify` to check it against trusted keys).
    Inspect(inspect::Args),
    /// Verify a system-set against trusted public keys (and optionally a board and the
    /// running version).
    Verify(verify::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Keygen(a)) => keygen::run(a),
        Some(Command::Inspect(a)) => inspect::run(a),
        Some(Command::Verify(a)) => verify::run(a),
        None => pack::run(cli.pack),
    };
    cli_support::finish(result)
}
