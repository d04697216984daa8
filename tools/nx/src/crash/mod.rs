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

pub use select::DirArg;

/// `nx crash` commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the dumps in the directory, newest first; unreadable dump files are listed as
    /// corrupt with the reason.
    #[command(
        visible_alias = "list",
        after_help = "Examples:
  nx crash ls                      every dump in ./crash (or $NX_CRASH_DIR), newest first
  nx crash ls --since 2h -n 5      the five newest of the last two hours
  nx crash ls --process netd --json"
    )]
    Ls(ls::Args),
    /// Show one dump (the newest that matches, without an id): header, registers,
    /// symbolized frames, modules, logs and spans.
    #[command(
        visible_alias = "info",
        after_help = "Examples:
  nx crash show                               the newest dump
  nx crash show 20251223-demo --sym symbols.nxsym
  nx crash show --process netd --json"
    )]
    Show(show::Args),
    /// Write one dump to a file as .nxcd, .nxcd.zst or .json (atomically).
    #[command(after_help = "Examples:
  nx crash export 20251223-demo-42 -o demo.nxcd.zst
  nx crash export 20251223-demo-42 -o demo.json --sym symbols.nxsym")]
    Export(export::Args),
    /// Delete dumps by age, count or total size (nothing is deleted without a policy).
    #[command(after_help = "Examples:
  nx crash purge --older-than 7d --dry-run
  nx crash purge --keep 10 --max-bytes 64M
  nx crash purge --corrupt")]
    Purge(purge::Args),
    /// Search dumps' process names, frame functions and log messages for a text.
    #[command(after_help = "Examples:
  nx crash grep socket
  nx crash grep -i parse_config --sym symbols.nxsym --json")]
    Grep(grep::Args),
}

/// Runs an `nx crash` command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Ls(a) => ls::run(a),
        Command::Show(a) => show::run(a),
        Command::Export(a) => export::run(a),
        Command::Purge(a) => purge::run(a),
        Command::Grep(a) => grep::run(a),
    }
}
