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
//!   (`CLICOLOR_FORCE` keeps them);
//! - [`symbols`]: the symbol store arguments (`--sym FILE`..., `--sym-dir DIR`...).

pub mod exit;
pub mod generate;
pub mod size;
pub mod style;
pub mod symbols;
pub mod version;

pub use exit::{classified, finish, usage, Classify, Exit};

use version::Formats;

/// The clap definition of a binary's `P`, completed with what is built at run time: the
/// version texts (`-V`, `--version`) and the examples of its `completions` command; and
/// every argument that takes a value takes one that looks like a negative number, so
/// `--keep -1` is refused by the value's own check ("invalid value '-1' for '--keep
/// <N>'") rather than as an unknown option `-1`.
pub fn command<P: clap::CommandFactory>(package_version: &str, formats: Formats) -> clap::Command {
    let command = negative_values(P::command())
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

/// `command` and its subcommands, each argument that takes a value allowing one that
/// starts with `-` and a digit.
fn negative_values(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            if matches!(
                arg.get_action(),
                clap::ArgAction::Set | clap::ArgAction::Append
            ) {
                arg.allow_negative_numbers(true)
            } else {
                arg
            }
        })
        .mut_subcommands(negative_values)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A command of the shape of the binaries': a subcommand with a numeric option.
    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(clap::Subcommand)]
    enum Sub {
        Purge {
            #[arg(long, value_name = "N")]
            keep: Option<u32>,
            #[arg(long)]
            all: bool,
        },
    }

    #[test]
    fn a_negative_number_is_refused_as_a_value_not_as_an_option() {
        let formats = Formats {
            reads: &[],
            writes: &[],
        };
        let err = command::<Cli>("0.1.0", formats)
            .try_get_matches_from(["tool", "purge", "--keep", "-1"])
            .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        let text = err.to_string();
        assert!(
            text.contains("invalid value '-1' for '--keep <N>'"),
            "{text}"
        );
        let err = command::<Cli>("0.1.0", formats)
            .try_get_matches_from(["tool", "purge", "-1"])
            .unwrap_err();
        assert_eq!(
            err.kind(),
            clap::error::ErrorKind::UnknownArgument,
            "no value taken"
        );
    }
}
