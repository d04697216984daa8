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

/// Turns an image-core error into the command's error, adding "`doing` PATH" in front
/// unless the message already starts with that path (so the file is named once).
pub(crate) fn about(err: image::fs::FsError, doing: &str, path: &Path) -> anyhow::Error {
    let named = err
        .to_string()
        .starts_with(&format!("{}: ", path.display()));
    let err = anyhow::Error::new(err);
    if named {
        err
    } else {
        err.context(format!("{doing} {}", path.display()))
    }
}
