//! `nx image`: build a deterministic, signed OS image (GPT disk + manifest + signature),
//! verify one, inspect it, and extract a segment. Format: docs/provisioning/overview.md.

mod build;
mod extract;
mod inspect;
mod verify;

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

/// Arguments of `nx image`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// `nx image` commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Build an image, its manifest and (with --sign) its signature.
    Build(build::Args),
    /// Check an image against its manifest and signature.
    Verify(verify::Args),
    /// Show an image's partition table and, with --manifest, its manifest.
    Inspect(inspect::Args),
    /// Copy one segment out of an image.
    Extract(extract::Args),
}

/// Runs an `nx image` command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Build(a) => build::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Extract(a) => extract::run(a),
    }
}

/// Turns an image-core error into the command's error. An error that names its file
/// ([`image::fs::FsError::path`]) says everything; one about the image as a whole or the
/// arguments (a range that differs, a missing segment, a profile rule) is put in the
/// command's context, "`doing` PATH".
pub(crate) fn in_context(err: image::fs::FsError, doing: &str, path: &Path) -> anyhow::Error {
    if err.path().is_some() {
        anyhow::Error::new(err)
    } else {
        anyhow::Error::new(err).context(format!("{doing} {}", path.display()))
    }
}
