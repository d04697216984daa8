//! `nxs-pack inspect`: what a system-set holds, for people or (`--json`) scripts. The
//! whole archive is checked, with the publisher key the index names as the only trusted
//! key: that proves integrity, not trust (`verify --pub` does that).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use cli_support::size::parse_size;
use serde::Serialize;
use signing::{to_hex, KeyPolicy, TrustedKeys};
use updates::tar::BLOCK;
use updates::{VerifyPolicy, MAX_INDEX_LEN};

/// Show a system-set.
#[derive(clap::Args)]
pub struct Args {
    /// One JSON document (schema `nxs-inspect/1`).
    #[arg(long)]
    json: bool,
    /// Largest file accepted, checked before reading (bytes, or 512K, 16M, 16MiB, 16MB).
    #[arg(long, value_name = "SIZE", default_value_t = updates::DEFAULT_MAX_ARCHIVE_SIZE, value_parser = parse_size)]
    max_size: u64,
    /// The .nxs file.
    file: PathBuf,
}

/// `--json` output. Keys are stable; new keys may be added.
#[derive(Serialize)]
struct InspectOut {
    schema: &'static str,
    file: String,
    size: u64,
    system_version: String,
    board: String,
    timestamp: u64,
    publisher: String,
    signature: &'static str,
    digest: String,
    bundles: Vec<BundleOut>,
}

#[derive(Serialize)]
struct BundleOut {
    name: String,
    version: String,
    sha256: String,
    size: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let path = &args.file;
    let mut head = Vec::new();
    File::open(path)
        .with_context(|| format!("{}", path.display()))?
        .take((MAX_INDEX_LEN + 2 * BLOCK) as u64)
        .read_to_end(&mut head)
        .with_context(|| format!("{}", path.display()))?;
    let claimed = updates::peek_index(&head).with_context(|| format!("{}", path.display()))?;
    let trusted = TrustedKeys::new([claimed.publisher], KeyPolicy::Development)?;
    let policy = VerifyPolicy::inspection(trusted).with_max_archive_size(args.max_size);
    let verified = updates::fs::verify_file(path, policy)?;
    let index = &verified.index;
    let out = InspectOut {
        schema: "nxs-inspect/1",
        file: path.display().to_string(),
        size: verified.archive_len,
        system_version: index.system_version.to_string(),
        board: index.board.to_string(),
        timestamp: index.timestamp,
        publisher: index.publisher.to_hex(),
        signature: "valid-for-publisher",
        digest: verified.digest.to_string(),
        bundles: index
            .bundles
            .iter()
            .map(|b| BundleOut {
                name: b.name.to_string(),
                version: b.version.to_string(),
                sha256: to_hex(&b.sha256),
                size: b.size,
            })
            .collect(),
    };
    let mut w = io::BufWriter::new(io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut w, &out)?;
        writeln!(w)?;
    } else {
        writeln!(w, "file       {} ({} bytes)", out.file, out.size)?;
        writeln!(w, "system     {}", out.system_version)?;
        writeln!(w, "board      {}", out.board)?;
        writeln!(w, "timestamp  {}", out.timestamp)?;
        writeln!(w, "publisher  {}", out.publisher)?;
        writeln!(w, "signature  {}", out.signature)?;
        writeln!(w, "digest     {}", out.digest)?;
        writeln!(w, "bundles    {}", out.bundles.len())?;
        for b in &out.bundles {
            writeln!(w, "  {}  {}  {}  {}", b.name, b.version, b.size, b.sha256)?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
