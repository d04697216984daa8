//! `nxsym`: build a Build-ID keyed symbol index of ELF files and resolve addresses
//! against it offline, as `addr2line -f -i -C` would, without the ELF.

mod addr2line;
mod index;
mod ls;
mod open;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build-ID keyed symbol index: build it from ELF files, resolve addresses with it.
#[derive(Parser)]
#[command(name = "nxsym", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Index ELF files (and their separate debug files) into one symbols.nxsym.
    Index(index::Args),
    /// Resolve link-time addresses to function, file:line and inlined frames.
    Addr2line(addr2line::Args),
    /// List the modules an index holds.
    Ls(ls::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Index(a) => index::run(a),
        Command::Addr2line(a) => addr2line::run(a),
        Command::Ls(a) => ls::run(a),
    };
    cli_support::finish(result)
}
