//! `nxb-pack inspect`: a bundle's manifest, for people or (`--json`) scripts. The whole
//! bundle is read (structure, payload size and digest); the signature is checked against
//! the publisher key the manifest names, and against `--pub` keys when given.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use cli_support::size::parse_size;
use serde::Serialize;
use signing::{keyfile, to_hex, KeyPolicy, TrustedKeys};

/// Show a bundle.
#[derive(clap::Args)]
pub struct Args {
    /// One JSON document (schema `nxb-inspect/1`).
    #[arg(long)]
    json: bool,
    /// Trusted public key file; repeat for several (fail unless one of them signed).
    #[arg(long = "pub", value_name = "KEY", action = clap::ArgAction::Append)]
    public: Vec<PathBuf>,
    /// Largest file accepted, checked before reading (bytes, or 512K, 16M, 16MiB, 16MB).
    #[arg(long, value_name = "SIZE", default_value_t = updates::fs::DEFAULT_MAX_BUNDLE_SIZE, value_parser = parse_size)]
    max_size: u64,
    /// The .nxb file.
    file: PathBuf,
}

/// `--json` output. Keys are stable; new keys may be added.
#[derive(Serialize)]
struct InspectOut {
    schema: &'static str,
    file: String,
    size: u64,
    sha256: String,
    name: String,
    version: String,
    abilities: Vec<String>,
    caps: Vec<String>,
    min_sdk: String,
    publisher: String,
    signature: String,
    signature_check: &'static str,
    payload_size: u64,
    payload_sha256: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let trusted = if args.public.is_empty() {
        None
    } else {
        Some(keyfile::read_trusted_keys(
            &args.public,
            KeyPolicy::Development,
        )?)
    };
    let read = updates::fs::read_bundle_file(&args.file, trusted.as_ref(), args.max_size)?;
    let m = &read.manifest;
    let signature_check = if trusted.is_some() {
        "trusted"
    } else {
        // Integrity only: the manifest is signed by the key it names.
        let own = TrustedKeys::new([m.publisher], KeyPolicy::Development)?;
        m.verify(&own)?;
        "valid-for-publisher"
    };
    let out = InspectOut {
        schema: "nxb-inspect/1",
        file: args.file.display().to_string(),
        size: read.len,
        sha256: to_hex(&read.sha256),
        name: m.name.to_string(),
        version: m.version.to_string(),
        abilities: m.abilities.clone(),
        caps: m.caps.clone(),
        min_sdk: m.min_sdk.to_string(),
        publisher: m.publisher.to_hex(),
        signature: m.signature.map(|s| s.to_hex()).unwrap_or_default(),
        signature_check,
        payload_size: m.payload_size,
        payload_sha256: to_hex(&m.payload_digest),
    };
    let mut w = io::BufWriter::new(io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut w, &out)?;
        writeln!(w)?;
    } else {
        writeln!(w, "file       {} ({} bytes)", out.file, out.size)?;
        writeln!(w, "sha256     {}", out.sha256)?;
        writeln!(w, "bundle     {} {}", out.name, out.version)?;
        writeln!(w, "min sdk    {}", out.min_sdk)?;
        writeln!(w, "abilities  {}", out.abilities.join(" "))?;
        writeln!(w, "caps       {}", out.caps.join(" "))?;
        writeln!(w, "publisher  {}", out.publisher)?;
        writeln!(w, "signature  {} ({})", out.signature, out.signature_check)?;
        writeln!(
            w,
            "payload    {} bytes, sha256 {}",
            out.payload_size, out.payload_sha256
        )?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
