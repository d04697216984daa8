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
    /// The image file.
    image: PathBuf,
    /// Segment: bootloader, kernel, initrd, rootfs, pkgfs or state.
    segment: String,
    /// Output file.
    #[arg(long, value_name = "FILE")]
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
    let name: SegmentName = args
        .segment
        .parse()
        .with_context(|| format!("segment {:?}", args.segment))?;
    let mut inputs = vec![("IMAGE", args.image.as_path())];
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
    let n = extract(&args.image, name, manifest.as_ref(), &args.out)
        .map_err(|e| super::in_context(e, &format!("extracting {name} from"), &args.image))?;
    println!("{name}: {n} bytes to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
