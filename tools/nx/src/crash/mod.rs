//! `nx crash`: list, show, export, purge and search crash dumps in a dump directory.
//!
//! A dump directory holds `*.nxcd` and `*.nxcd.zst` files (other files are ignored); it
//! is `--dir DIR`, else `$NX_CRASH_DIR`, else `./crash` ([`select`]). A dump is addressed
//! by the `dump_id` in its `header.json`, or a unique prefix of it; its file name (with or
//! without the extension) is accepted too, which also reaches corrupt files and dumps
//! whose id is shared by several files (the rules are `nxcd::listing`'s).

mod export;
mod frames;
mod grep;
mod ls;
mod output;
mod purge;
mod select;
mod show;

use std::process::ExitCode;

use clap::Subcommand;

/// Arguments of `nx crash`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

pub use select::DirArg;

/// `nx crash` commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// List the dumps in the directory, newest first; unreadable dump files are listed as
    /// corrupt with the reason.
    #[command(visible_alias = "list")]
    Ls(ls::Args),
    /// Show one dump (the newest that matches, without an id): header, registers,
    /// symbolized frames, modules, logs and spans.
    #[command(visible_alias = "info")]
    Show(show::Args),
    /// Write one dump to a file as .nxcd, .nxcd.zst or .json (atomically).
    Export(export::Args),
    /// Delete dumps by age, count or total size (nothing is deleted without a policy).
    Purge(purge::Args),
    /// Search dumps' process names, frame functions and log messages for a text.
    Grep(grep::Args),
}

/// Runs an `nx crash` command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Ls(a) => ls::run(a),
        Command::Show(a) => show::run(a),
        Command::Export(a) => export::run(a),
        Command::Purge(a) => purge::run(a),
        Command::Grep(a) => grep::run(a),
    }
}
