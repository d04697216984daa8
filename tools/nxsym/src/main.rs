//! `nxsym`: build a Build-ID keyed symbol index of ELF files and resolve addresses
//! against it offline, as `addr2line -f -i -C` would, without the ELF.

mod addr2line;
mod index;
mod ls;
mod merge;
mod open;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli_support::generate::Generate;
use cli_support::version::Formats;

/// Build-ID keyed symbol index: build it from ELF files, resolve addresses with it.
#[derive(Parser)]
#[command(name = "nxsym", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What `nxsym` reads and writes, for `--version`.
const FORMATS: Formats = Formats {
    reads: &["ELF32/ELF64 with DWARF 2-5", "symbols.nxsym 1"],
    writes: &["symbols.nxsym 1"],
};

#[derive(Subcommand)]
enum Command {
    /// Index ELF files (and their separate debug files) into one symbols.nxsym.
    #[command(after_help = "Examples:
  nxsym index target/release/nx -o symbols.nxsym
  nxsym index stripped/nx --debug-dir debug/ -o symbols.nxsym")]
    Index(index::Args),
    /// Resolve link-time addresses to function, file:line and inlined frames.
    #[command(after_help = "Examples:
  nxsym addr2line --sym symbols.nxsym --addr 0x13324
  nxsym addr2line --sym symbols.nxsym --build-id 9c1e4d2a --pretty < addresses.txt
  nxsym addr2line --sym-dir symbols.d --build-id 9c1e4d2a --addr 0x13324")]
    Addr2line(addr2line::Args),
    /// List the modules an index holds.
    #[command(after_help = "Examples:
  nxsym ls --sym symbols.nxsym
  nxsym ls --sym symbols.nxsym --json
  nxsym ls --sym-dir symbols.d")]
    Ls(ls::Args),
    /// Merge indexes into one symbols.nxsym (each module once).
    #[command(after_help = "Examples:
  nxsym merge app.nxsym kernel.nxsym -o symbols.nxsym
  nxsym merge --sym-dir symbols.d -o symbols.nxsym")]
    Merge(merge::Args),
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
        Command::Index(a) => index::run(a),
        Command::Addr2line(a) => addr2line::run(a),
        Command::Ls(a) => ls::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Generate(g) => g.run(command()),
    };
    cli_support::finish(result)
}
