//! `nxs-pack verify`: the device's checks, on the host: signature by a trusted key,
//! the whole archive, and optionally the board and anti-rollback.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use cli_support::size::parse_size;
use cli_support::style::{paint, GOOD};
use signing::{keyfile, KeyPolicy};
use updates::{BoardName, VerifyPolicy};

/// Verify a system-set.
#[derive(clap::Args)]
pub struct Args {
    /// Trusted public key file; repeat for several (accepted when any of them signed).
    #[arg(long = "pub", value_name = "KEY", required = true, action = clap::ArgAction::Append)]
    public: Vec<PathBuf>,
    /// Require the system-set to be built for this board.
    #[arg(long)]
    board: Option<String>,
    /// Refuse a system-set older than this running system version (anti-rollback).
    #[arg(long, value_name = "SEMVER")]
    running_version: Option<String>,
    /// Accept a system-set older than --running-version.
    #[arg(long, requires = "running_version")]
    allow_downgrade: bool,
    /// A release build: refuse the committed test keys as trusted keys.
    #[arg(long)]
    release: bool,
    /// Largest file accepted, checked before reading (bytes, or 512K, 16M, 16MiB, 16MB).
    #[arg(long, value_name = "SIZE", default_value_t = updates::DEFAULT_MAX_ARCHIVE_SIZE, value_parser = parse_size)]
    max_size: u64,
    /// The .nxs file.
    file: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let policy = if args.release {
        KeyPolicy::Release
    } else {
        KeyPolicy::Development
    };
    let trusted = keyfile::read_trusted_keys(&args.public, policy)?;
    let mut verify = VerifyPolicy::inspection(trusted).with_max_archive_size(args.max_size);
    if let Some(board) = &args.board {
        let board = BoardName::new(board)
            .map_err(|reason| anyhow::anyhow!("--board {board:?}: {reason}"))?;
        verify = verify.with_board(board);
    }
    if let Some(v) = &args.running_version {
        let running = updates::parse_system_version(v)
            .map_err(|reason| anyhow::anyhow!("--running-version {v:?}: {reason}"))?;
        verify = verify
            .with_running_version(running)
            .allow_downgrade(args.allow_downgrade);
    }
    let verified = updates::fs::verify_file(&args.file, verify)?;
    anstream::println!(
        "{}: {}: system {} for {}, {} bundles, signed by {}, digest {}",
        paint(GOOD, "ok"),
        args.file.display(),
        verified.index.system_version,
        verified.index.board,
        verified.index.bundles.len(),
        verified.signer,
        verified.digest
    );
    Ok(ExitCode::SUCCESS)
}
