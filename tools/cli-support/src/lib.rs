//! What the project's host binaries (`nx`, `nxsym`, `nxb-pack`, `nxs-pack`) share, so
//! that the four cannot drift:
//!
//! - [`exit`]: the one exit status table and the `main() -> ExitCode` epilogue (errors
//!   as `error: <cause chain>` on stderr, a closed stdout not an error);
//! - [`size`]: size arguments (`512K`, `16M`, `16MiB`, `16MB`) for every size limit;
//! - [`version`]: the `--version` text (package version, build commit, formats);
//! - [`generate`]: shell completions and man pages from the clap definition;
//! - [`style`]: the colours of levels, errors and verdicts (`anstyle`), which `anstream`
//!   strips when the output is not a terminal, `NO_COLOR` is set, or `TERM=dumb`
//!   (`CLICOLOR_FORCE` keeps them).

pub mod exit;
pub mod generate;
pub mod size;
pub mod style;
pub mod version;

pub use exit::{classified, finish, usage, Classify, Exit};

use version::Formats;

/// The clap definition of a binary's `P`, completed with what is built at run time: the
/// version texts (`-V`, `--version`) and the examples of its `completions` command.
pub fn command<P: clap::CommandFactory>(package_version: &str, formats: Formats) -> clap::Command {
    let command = P::command()
        .version(version::short(package_version))
        .long_version(version::long(package_version, formats));
    let name = command.get_name().to_string();
    if command.find_subcommand("completions").is_none() {
        return command;
    }
    command.mut_subcommand("completions", |c| {
        c.after_help(generate::completion_examples(&name))
    })
}

/// Parses the command line with `command` (a binary's [`command`], perhaps completed)
/// into `P`; a usage error, `--help` and `--version` end the process as clap ends it
/// (status 2 for a usage error, 0 otherwise).
pub fn parse<P: clap::FromArgMatches>(command: clap::Command) -> P {
    let matches = command.get_matches();
    match P::from_arg_matches(&matches) {
        Ok(parsed) => parsed,
        Err(e) => e.exit(),
    }
}
