//! Packing (the default command): `bundle.toml` + payload + private key → a signed,
//! deterministic `.nxb`, written atomically.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use cli_support::size::parse_size;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use signing::{keyfile, KeyPolicy};
use updates::nxb::{bundle_head, bundle_tail};
use updates::{BundleManifest, BundleName, Version};

/// Pack a bundle.
#[derive(clap::Args)]
pub struct Args {
    /// Bundle description: name, version, abilities, caps, min_sdk.
    #[arg(long, value_name = "TOML", required = true)]
    toml: Option<PathBuf>,
    /// The payload file (the program the bundle installs).
    #[arg(long, value_name = "FILE", required = true)]
    payload: Option<PathBuf>,
    /// Private key file of the publisher (64 hex characters).
    #[arg(long, value_name = "KEY", required = true)]
    key: Option<PathBuf>,
    /// The .nxb to write (atomically).
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "NAME.nxb",
        required = true
    )]
    out: Option<PathBuf>,
    /// A release build: refuse the committed test keys.
    #[arg(long)]
    release: bool,
    /// Largest payload accepted (bytes, or 512K, 16M, 16MiB, 16MB).
    #[arg(long, value_name = "SIZE", default_value_t = updates::fs::DEFAULT_MAX_BUNDLE_SIZE, value_parser = parse_size)]
    max_payload_size: u64,
}

/// `bundle.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleToml {
    name: String,
    version: String,
    #[serde(default)]
    abilities: Vec<String>,
    #[serde(default)]
    caps: Vec<String>,
    min_sdk: String,
}

/// Largest `bundle.toml` read.
const MAX_TOML_LEN: u64 = 64 * 1024;
/// Read buffer size.
const CHUNK: usize = 256 * 1024;

/// Hashes a file in a stream, returning (SHA-256, length); its size is checked against
/// `limit` before anything is read, and reading stops one byte over it in case the file
/// grows meanwhile.
fn hash_file(path: &Path, limit: u64) -> Result<([u8; 32], u64)> {
    let (file, _) = durable::open_capped(path, limit).map_err(updates::fs::FileError::from)?;
    let mut capped = file.take(limit.saturating_add(1));
    let (digest, len) = copy_hashed(path, &mut capped, &mut std::io::sink(), path)?;
    if len > limit {
        return Err(updates::fs::FileError::TooLarge {
            path: path.to_path_buf(),
            size: len,
            limit,
        }
        .into());
    }
    Ok((digest, len))
}

fn read_toml(path: &Path) -> Result<BundleToml> {
    let bytes = durable::read_capped(path, MAX_TOML_LEN).map_err(|e| match e {
        durable::Error::TooLarge { size, .. } => anyhow::anyhow!(
            "{}: {size} bytes is too large for a bundle description",
            path.display()
        ),
        other => other.into(),
    })?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{}: invalid bundle description: not UTF-8", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{}: invalid bundle description", path.display()))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (Some(toml_path), Some(payload), Some(key), Some(output)) =
        (args.toml, args.payload, args.key, args.out)
    else {
        bail!("--toml, --payload, --key and --out are required (see --help)");
    };
    durable::refuse_output_among_inputs(
        &output,
        &[
            ("--toml", &toml_path),
            ("--payload", &payload),
            ("--key", &key),
        ],
    )?;
    let desc = read_toml(&toml_path)?;
    let at = |field: &str| format!("{}: field {field}", toml_path.display());
    let name = BundleName::new(&desc.name).map_err(|r| anyhow::anyhow!("{}: {r}", at("name")))?;
    let version = Version::parse(&desc.version).with_context(|| at("version"))?;
    let min_sdk = Version::parse(&desc.min_sdk).with_context(|| at("min_sdk"))?;
    let key = keyfile::read_secret_key(&key)?;
    let policy = if args.release {
        KeyPolicy::Release
    } else {
        KeyPolicy::Development
    };
    policy.check(&key.public_key())?;
    let (payload_digest, payload_size) = hash_file(&payload, args.max_payload_size)?;
    let mut manifest = BundleManifest {
        name,
        version,
        abilities: desc.abilities,
        caps: desc.caps,
        min_sdk,
        publisher: key.public_key(),
        signature: None,
        payload_digest,
        payload_size,
    };
    manifest.normalize();
    manifest
        .sign(&key)
        .with_context(|| format!("{}", toml_path.display()))?;
    let manifest_bytes = manifest.encode()?;
    durable::write_atomic_with(&output, |out| {
        let io = |e| updates::fs::FileError::Io {
            path: output.clone(),
            source: e,
        };
        let head = bundle_head(&manifest_bytes, payload_size).map_err(|source| {
            updates::fs::FileError::Format {
                path: output.clone(),
                source,
            }
        })?;
        out.write_all(&head).map_err(io)?;
        // Copy the payload, checking it is still what was hashed and signed.
        let mut file = File::open(&payload).map_err(|source| updates::fs::FileError::Io {
            path: payload.clone(),
            source,
        })?;
        let (digest, len) = copy_hashed(&payload, &mut file, out, &output)?;
        if digest != payload_digest || len != payload_size {
            return Err(updates::fs::FileError::Changed {
                path: payload.clone(),
            });
        }
        out.write_all(&bundle_tail(payload_size)).map_err(io)?;
        // Flushed here so that a failed write names the output.
        out.flush().map_err(io)
    })?;
    eprintln!(
        "wrote {}: {} {}, payload {} bytes",
        output.display(),
        manifest.name,
        manifest.version,
        payload_size
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies `file` (read from `path`) to `out` (writing `output`), returning (SHA-256,
/// length); an error names the payload when reading fails and the output when writing
/// does.
fn copy_hashed(
    path: &Path,
    file: &mut impl Read,
    out: &mut impl Write,
    output: &Path,
) -> Result<([u8; 32], u64), updates::fs::FileError> {
    let at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| updates::fs::FileError::Io { path, source }
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(at(path)(e)),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        len += n as u64;
        hasher.update(chunk);
        out.write_all(chunk).map_err(at(output))?;
    }
    Ok((hasher.finalize().into(), len))
}
