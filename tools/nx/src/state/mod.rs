//! `nx state`: host state trees (a directory laid out as the device's `state:`).
//! `init` makes one: the directory, `trust/`, `boot/` and the marker file that
//! `nx reset factory` requires before it wipes anything.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

/// Arguments of `nx state`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// `nx state` commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Make a directory a state tree (creates it, trust/, boot/ and the marker).
    Init(InitArgs),
}

/// Arguments of `nx state init`.
#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The state directory.
    #[arg(long, value_name = "DIR")]
    root: PathBuf,
}

/// Runs an `nx state` command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Init(a) => {
            reset::fs::init_state_tree(&a.root)?;
            eprintln!(
                "state tree {} ready ({} marks it)",
                a.root.display(),
                reset::fs::STATE_MARKER
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
