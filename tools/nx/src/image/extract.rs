//! `nx image extract`: copy one segment of an image to a file (atomically). With
//! `--manifest`, exactly the segment's bytes, checked against their SHA-256; without,
//! the whole partition the GPT names.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use image::fs::{check_outputs, extract, read_manifest};
use image::SegmentName;

/// Arguments of `nx image extract`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// IMAGE SEGMENT, or SEGMENT alone with --image. Segments: bootloader, kernel, initrd,
    /// rootfs, pkgfs, state.
    #[arg(value_names = ["IMAGE", "SEGMENT"], num_args = 1..=2, required = true)]
    operands: Vec<PathBuf>,
    /// The image file (or as the first operand).
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// Output file.
    #[arg(short = 'o', long, value_name = "FILE")]
    out: PathBuf,
    /// The image's manifest (exact bytes, hash-checked).
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    force: bool,
}

/// Runs `nx image extract`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (image, segment) = match (&args.image, args.operands.as_slice()) {
        (Some(image), [segment]) => (image.as_path(), segment),
        (None, [image, segment]) => (image.as_path(), segment),
        (Some(_), _) => {
            return Err(cli_support::usage(
                "with --image, give the segment alone (nx image extract --image FILE SEGMENT)",
            ))
        }
        (None, _) => {
            return Err(cli_support::usage(
                "give the image and the segment (nx image extract IMAGE SEGMENT)",
            ))
        }
    };
    let segment = segment.to_string_lossy();
    let name: SegmentName = segment
        .parse()
        .with_context(|| format!("segment {segment:?}"))?;
    let mut inputs = vec![("IMAGE", image)];
    if let Some(m) = &args.manifest {
        inputs.push(("--manifest", m));
    }
    check_outputs(&[("--out", &args.out)], &inputs)?;
    if !args.force && args.out.symlink_metadata().is_ok() {
        bail!(
            "{} already exists; use --force to replace it",
            args.out.display()
        );
    }
    let manifest = match &args.manifest {
        Some(p) => Some(read_manifest(p)?.0),
        None => None,
    };
    let n = extract(image, name, manifest.as_ref(), &args.out)
        .map_err(|e| super::in_context(e, &format!("extracting {name} from"), image))?;
    println!("{name}: {n} bytes to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
