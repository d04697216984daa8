//! `nxs-pack keygen`: a new Ed25519 key pair from OS randomness, written without ever
//! replacing an existing key unless `--force` is given.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use signing::keyfile;

/// Generate a key pair.
#[derive(clap::Args)]
pub struct Args {
    /// Directory to write ed25519.hex and ed25519.pub into (created when missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    out: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let key = keyfile::generate_secret_key()?;
    let files = keyfile::write_keypair(&args.out, &key, args.force)?;
    eprintln!(
        "wrote {} (private, 0600) and {}",
        files.private.display(),
        files.public.display()
    );
    println!("{}", key.public_key());
    Ok(ExitCode::SUCCESS)
}
