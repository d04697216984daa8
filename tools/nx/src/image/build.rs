//! `nx image build`: compose the GPT image from segment files, write the manifest and,
//! when signing, the signature; every output is written atomically and fsynced.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use cli_support::size::parse_size;
use cli_support::style::warning;
use image::fs::{build, check_outputs, default_signature_path, BuildRequest};
use image::{Profile, SegmentName};

use super::in_context;
use crate::progress::Progress;

/// Build profile on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ProfileArg {
    /// May be unsigned (the manifest says so); test keys allowed.
    Dev,
    /// Signed with a non-test key; kernel, initrd and state required.
    Release,
}

/// Arguments of `nx image build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Build profile.
    #[arg(long, value_enum)]
    profile: ProfileArg,
    /// Board name (lowercase [a-z0-9-], 1 to 32 characters).
    #[arg(long)]
    board: String,
    /// System version (semver).
    #[arg(long, value_name = "SEMVER")]
    system_version: String,
    /// Boot loader segment file.
    #[arg(long, value_name = "FILE")]
    bootloader: Option<PathBuf>,
    /// Kernel segment file.
    #[arg(long, value_name = "FILE")]
    kernel: Option<PathBuf>,
    /// Initrd segment file.
    #[arg(long, value_name = "FILE")]
    initrd: Option<PathBuf>,
    /// Root filesystem segment file.
    #[arg(long, value_name = "FILE")]
    rootfs: Option<PathBuf>,
    /// Package filesystem segment file.
    #[arg(long, value_name = "FILE")]
    pkgfs: Option<PathBuf>,
    /// Size of the state partition (e.g. 1M, 64M; a multiple of 4 KiB, rounded up to 1 MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    state_size: Option<u64>,
    /// Output image.
    #[arg(short = 'o', long, value_name = "FILE")]
    out: PathBuf,
    /// Output manifest.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// Private key file to sign the manifest with (64 hex characters).
    #[arg(long = "key", visible_alias = "sign", value_name = "KEY")]
    key: Option<PathBuf>,
    /// Where the signature goes (default: beside the manifest, e.g. os.sig for
    /// os.manifest.json).
    #[arg(long, value_name = "FILE")]
    sig_out: Option<PathBuf>,
}

/// Runs `nx image build`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let profile = match args.profile {
        ProfileArg::Dev => Profile::Dev,
        ProfileArg::Release => Profile::Release,
    };
    let sig_path = args
        .sig_out
        .clone()
        .unwrap_or_else(|| default_signature_path(&args.manifest));
    // Before any work: every output has a directory, its own path, and is no input.
    let mut outputs = vec![
        ("--out", args.out.as_path()),
        ("--manifest", &args.manifest),
    ];
    if args.sig_out.is_some() {
        outputs.push(("--sig-out", &sig_path));
    } else if args.key.is_some() {
        outputs.push(("the signature (beside --manifest)", &sig_path));
    }
    let inputs: Vec<(&str, &std::path::Path)> = [
        ("--bootloader", &args.bootloader),
        ("--kernel", &args.kernel),
        ("--initrd", &args.initrd),
        ("--rootfs", &args.rootfs),
        ("--pkgfs", &args.pkgfs),
        ("--key", &args.key),
    ]
    .into_iter()
    .filter_map(|(o, p)| p.as_deref().map(|p| (o, p)))
    .collect();
    check_outputs(&outputs, &inputs)?;
    let segments: Vec<(SegmentName, PathBuf)> = [
        (SegmentName::Bootloader, args.bootloader),
        (SegmentName::Kernel, args.kernel),
        (SegmentName::Initrd, args.initrd),
        (SegmentName::Rootfs, args.rootfs),
        (SegmentName::Pkgfs, args.pkgfs),
    ]
    .into_iter()
    .filter_map(|(n, p)| p.map(|p| (n, p)))
    .collect();
    let signer = match &args.key {
        Some(p) => Some(
            signing::keyfile::read_secret_key(p)
                .with_context(|| format!("reading signing key {}", p.display()))?,
        ),
        None => None,
    };
    let req = BuildRequest {
        board: args.board,
        system_version: args.system_version,
        profile,
        segments,
        state_len: args.state_size,
        signer,
    };
    let mut progress = Progress::new("build", 0);
    let built = build(
        &req,
        &args.out,
        &args.manifest,
        &sig_path,
        &mut |done, total| {
            progress.set_total(total);
            progress.update(done);
        },
    )
    .map_err(|e| in_context(e, "building", &args.out))?;
    progress.finish();
    let m = &built.manifest;
    println!(
        "image {}: {} bytes, sha256 {}",
        args.out.display(),
        m.image.size,
        m.image.sha256
    );
    println!(
        "board {}, system version {}, profile {}",
        m.board,
        m.system_version,
        m.profile.as_str()
    );
    for s in &m.segments {
        match m.range(&s.name) {
            Some(r) => println!(
                "  {:<10} offset {:>10}  size {:>10}  sha256 {}",
                s.name, r.offset, r.size, r.sha256
            ),
            None => println!("  {:<10} absent", s.name),
        }
    }
    println!("manifest {}", args.manifest.display());
    match &built.signature {
        Some(_) => println!("signature {}", sig_path.display()),
        None => {
            println!("unsigned (dev profile)");
            anstream::eprintln!(
                "{}",
                warning("the image is unsigned; devices with trusted keys will refuse it")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
