//! Packing (the default command): bundles directory + metadata TOML + private key →
//! a signed `.nxs`, written atomically and byte-identical across runs and machines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use signing::{keyfile, KeyPolicy};

use cli_support::size::parse_size;
use updates::pack::SystemSetMeta;
use updates::BoardName;

/// Pack a system-set.
#[derive(clap::Args)]
pub struct Args {
    /// Directory of .nxb bundles (not recursive; names starting with '.' are ignored).
    #[arg(long, value_name = "DIR", required = true)]
    input: Option<PathBuf>,
    /// System-set metadata: `version = "1.0.0"` and `board = "qemu-virt"`.
    #[arg(long, value_name = "TOML", required = true)]
    meta: Option<PathBuf>,
    /// Private key file (64 hex characters).
    #[arg(long, value_name = "KEY", required = true)]
    key: Option<PathBuf>,
    /// The .nxs to write (atomically: replaced only by a complete archive).
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "FILE",
        required = true
    )]
    out: Option<PathBuf>,
    /// A release build: refuse the committed test keys.
    #[arg(long)]
    release: bool,
    /// Largest bundle file accepted, in bytes.
    #[arg(long, value_name = "SIZE", default_value_t = updates::fs::DEFAULT_MAX_BUNDLE_SIZE, value_parser = parse_size)]
    max_bundle_size: u64,
    /// Largest system-set written: the bound `verify` and `inspect` apply by default, so a
    /// set over it is refused here rather than by them (raise it on all three together).
    #[arg(long, value_name = "SIZE", default_value_t = updates::DEFAULT_MAX_ARCHIVE_SIZE, value_parser = parse_size)]
    max_size: u64,
}

/// `system-set.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaFile {
    /// The system version (semver).
    version: String,
    /// The board name.
    board: String,
}

/// Seconds since the epoch from `SOURCE_DATE_EPOCH`, else 0: never the clock.
fn source_date_epoch() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.is_empty() => s
            .parse::<u64>()
            .with_context(|| format!("SOURCE_DATE_EPOCH={s:?} is not a number of seconds")),
        _ => Ok(0),
    }
}

/// Largest metadata file read.
const MAX_META_LEN: u64 = 64 * 1024;

fn read_meta(path: &Path) -> Result<SystemSetMeta> {
    let bytes = durable::read_capped(path, MAX_META_LEN).map_err(|e| match e {
        durable::Error::TooLarge { size, .. } => anyhow::anyhow!(
            "{}: {size} bytes is too large for a metadata file",
            path.display()
        ),
        other => other.into(),
    })?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{}: invalid metadata: not UTF-8", path.display()))?;
    let meta: MetaFile =
        toml::from_str(&text).with_context(|| format!("{}: invalid metadata", path.display()))?;
    let system_version = updates::parse_system_version(&meta.version)
        .map_err(|reason| anyhow::anyhow!("{}: field version: {reason}", path.display()))?;
    let board = BoardName::new(&meta.board)
        .map_err(|reason| anyhow::anyhow!("{}: field board: {reason}", path.display()))?;
    Ok(SystemSetMeta {
        system_version,
        board,
        timestamp: source_date_epoch()?,
    })
}

/// Fails when `output` is the input directory, the metadata or key file, or one of the
/// bundles the input directory holds (as `updates::fs::plan_dir` picks them: `*.nxb`, not
/// starting with `.`). A directory that cannot be listed is left for packing to report.
fn refuse_output_among_inputs(output: &Path, input: &Path, meta: &Path, key: &Path) -> Result<()> {
    if durable::same_file(output, input) {
        bail!(
            "{}: the output is the --input directory; choose an output file outside it \
             (nothing was written)",
            output.display()
        );
    }
    let mut inputs: Vec<(&str, PathBuf)> = vec![("--meta", meta.into()), ("--key", key.into())];
    if let Ok(entries) = std::fs::read_dir(input) {
        for entry in entries.flatten() {
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let path = entry.path();
            if !hidden && path.extension().is_some_and(|e| e == "nxb") {
                inputs.push(("a bundle of --input", path));
            }
        }
    }
    let inputs: Vec<(&str, &Path)> = inputs.iter().map(|(w, p)| (*w, p.as_path())).collect();
    Ok(durable::refuse_output_among_inputs(output, &inputs)?)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (Some(input), Some(meta), Some(key), Some(output)) =
        (args.input, args.meta, args.key, args.out)
    else {
        bail!("--input, --meta, --key and --out are required (see --help)");
    };
    refuse_output_among_inputs(&output, &input, &meta, &key)?;
    let meta = read_meta(&meta)?;
    let key = keyfile::read_secret_key(&key)?;
    let policy = if args.release {
        KeyPolicy::Release
    } else {
        KeyPolicy::Development
    };
    policy.check(&key.public_key())?;
    let plan = updates::fs::pack_dir(
        &input,
        &meta,
        &key,
        &output,
        args.max_bundle_size,
        args.max_size,
    )?;
    eprintln!(
        "wrote {}: system {} for {}, {} bundles, {} bytes, digest {}",
        output.display(),
        plan.index.system_version,
        plan.index.board,
        plan.index.bundles.len(),
        plan.archive_len(),
        updates::SystemSetIndex::digest_of(&plan.index_bytes)
    );
    Ok(ExitCode::SUCCESS)
}
