//! `nx image verify`: check the signature over the manifest with trusted keys, then the
//! image's size, partition table, every range's SHA-256 and the whole image's.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use cli_support::style::{paint, GOOD};
use cli_support::{Classify as _, Exit};
use image::fs::{check_signature, default_signature_path, read_manifest, verify_image};
use image::SignatureKind;

use signing::keyfile::read_trusted_keys;
use signing::KeyPolicy;

use super::{in_context, ImageArg};
use crate::progress::Progress;

/// Arguments of `nx image verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    image: ImageArg,
    /// Its manifest.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// Its signature (default: beside the manifest, e.g. os.sig for os.manifest.json).
    #[arg(long, value_name = "FILE")]
    sig: Option<PathBuf>,
    /// A trusted public key file (repeat for several: any of them may have signed).
    #[arg(long = "pub", value_name = "KEY", action = clap::ArgAction::Append)]
    public_keys: Vec<PathBuf>,
    /// Board the image must be for.
    #[arg(long)]
    board: Option<String>,
    /// Accept an unsigned (dev) manifest, checking hashes only.
    #[arg(long)]
    allow_unsigned: bool,
}

/// Runs `nx image verify`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // A build killed while putting its outputs in place left a journal: complete that
    // commit first, as the next build would, so what is checked is one build's outputs.
    for output in [args.manifest.as_path(), args.image.path()] {
        for journal in durable::complete_interrupted(output) {
            eprintln!(
                "note: completed the interrupted commit of a killed build ({}) before verifying",
                journal.display()
            );
        }
    }
    let (manifest, bytes) = read_manifest(&args.manifest)?;
    if let Some(board) = &args.board {
        if *board != manifest.board {
            return Err(image::fs::FsError::WrongBoard {
                expected: board.clone(),
                found: manifest.board.clone(),
            })
            .with_context(|| format!("{}", args.manifest.display()))
            .classify(Exit::VerificationFailed);
        }
    }
    let signer = match manifest.signature {
        SignatureKind::Ed25519 => {
            if args.public_keys.is_empty() {
                return Err(cli_support::usage(format!(
                    "{}: the manifest is signed: give --pub KEY to check it",
                    args.manifest.display()
                )));
            }
            // Every readable key here; the manifest's profile decides which it accepts.
            let keys = read_trusted_keys(&args.public_keys, KeyPolicy::Development)?;
            let sig = args
                .sig
                .clone()
                .unwrap_or_else(|| default_signature_path(&args.manifest));
            Some(
                check_signature(&manifest, &bytes, &sig, keys.keys())
                    .classify(Exit::VerificationFailed)?,
            )
        }
        SignatureKind::None => {
            if !args.allow_unsigned {
                return Err(cli_support::classified(
                    anyhow::anyhow!(
                        "{}: the manifest is unsigned (dev profile); pass --allow-unsigned to check hashes only",
                        args.manifest.display()
                    ),
                    Exit::VerificationFailed,
                ));
            }
            None
        }
    };
    let mut progress = Progress::new("verify", 0);
    let report = verify_image(args.image.path(), &manifest, &mut |done, total| {
        progress.set_total(total);
        progress.update(done);
    })
    .map_err(|e| in_context(e, "verifying", args.image.path()))
    .classify(Exit::VerificationFailed)?;
    progress.finish();
    anstream::println!(
        "{}: {} matches {} ({} ranges, {} bytes, board {}, version {})",
        paint(GOOD, "ok"),
        args.image.path().display(),
        args.manifest.display(),
        report.ranges.len(),
        manifest.image.size,
        manifest.board,
        manifest.system_version
    );
    if report.state_changed {
        println!(
            "note: the state partition differs from the manifest: the device's store lives \
             there (formatted and written by the OS or `nx state`), as expected of a booted \
             or provisioned image; every other range matches"
        );
    }
    match signer {
        Some(k) => println!("signed by {k}"),
        None => println!("unsigned (dev profile)"),
    }
    Ok(ExitCode::SUCCESS)
}
