//! `nx image`: build a deterministic, signed OS image (GPT disk + manifest + signature),
//! verify one, inspect it, and extract a segment. Format: docs/provisioning/overview.md.

mod build;
mod extract;
mod inspect;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

/// `nx image` commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an image, its manifest and (with --key) its signature.
    #[command(after_help = "Examples:
  nx image build --profile dev --board qemu-virt --system-version 0.1.0 \\
      --kernel kernel.elf --initrd initrd.img -o os.img --manifest os.manifest.json
  nx image build --profile release --board qemu-virt --system-version 1.0.0 \\
      --kernel kernel.elf --initrd initrd.img --state-size 16M \\
      --key keys/ed25519.hex -o os.img --manifest os.manifest.json")]
    Build(build::Args),
    /// Check an image against its manifest and signature.
    #[command(after_help = "Examples:
  nx image verify os.img --manifest os.manifest.json --pub keys/ed25519.pub
  nx image verify os.img --manifest os.manifest.json --allow-unsigned")]
    Verify(verify::Args),
    /// Show an image's partition table and, with --manifest, its manifest.
    #[command(after_help = "Examples:
  nx image inspect os.img
  nx image inspect os.img --manifest os.manifest.json --json")]
    Inspect(inspect::Args),
    /// Copy one segment out of an image.
    #[command(after_help = "Examples:
  nx image extract os.img kernel -o kernel.bin
  nx image extract os.img initrd -o initrd.img --manifest os.manifest.json")]
    Extract(extract::Args),
}

/// The image a command reads: `--image FILE`, or its first operand (the spelling the
/// commands had first, still accepted). Exactly one of the two (clap enforces it).
#[derive(Debug, Clone, clap::Args)]
pub struct ImageArg {
    /// The image file (or as the first operand).
    #[arg(
        long = "image",
        value_name = "FILE",
        required_unless_present = "image_operand"
    )]
    image: Option<PathBuf>,
    /// The image file (or --image FILE).
    #[arg(value_name = "IMAGE", conflicts_with = "image")]
    image_operand: Option<PathBuf>,
}

impl ImageArg {
    /// The image's path.
    pub fn path(&self) -> &Path {
        match (&self.image, &self.image_operand) {
            (Some(path), _) | (None, Some(path)) => path,
            // clap requires one of the two; an empty path fails to open, naming no file.
            (None, None) => Path::new(""),
        }
    }
}

/// Runs an `nx image` command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
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
