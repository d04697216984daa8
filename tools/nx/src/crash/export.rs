//! `nx crash export`: write one dump to a file as `.nxcd`, `.nxcd.zst` or `.json`,
//! atomically (temporary file, fsync, rename). `.nxcd` and `.nxcd.zst` carry the dump's
//! bytes unchanged (decompressed or compressed as needed); `.json` is the document of
//! `nx crash show --json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::ValueEnum;
use nxcd::fs::compress;
use nxcd::Limits;

use super::output::ShowOutput;
use super::show::{index_set, load_indexes, report_missing, report_warnings};
use super::DirArg;
use cli_support::symbols::SymArgs;
use nxcd::symbolize::Symbolizer;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The `.nxcd` container.
    Nxcd,
    /// The `.nxcd.zst` wrapper.
    Zst,
    /// The JSON document of `nx crash show --json`.
    Json,
}

/// Arguments of `nx crash export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dump id (header dump_id), or the dump's file name with or without extension.
    id: String,
    #[command(flatten)]
    dir: DirArg,
    /// Output file.
    #[arg(short = 'o', long, value_name = "FILE")]
    out: PathBuf,
    /// Output format; by default taken from the output file's extension (.nxcd, .zst,
    /// .json).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Symbol indexes for the JSON format's frames.
    #[command(flatten)]
    sym: SymArgs,
    /// Replace the output file if it exists.
    #[arg(long)]
    force: bool,
}

/// The format implied by a file name.
fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "nxcd" => Some(Format::Nxcd),
        "zst" => Some(Format::Zst),
        "json" => Some(Format::Json),
        _ => None,
    }
}

/// Runs `nx crash export`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = match args.format.or_else(|| format_of(&args.out)) {
        Some(f) => f,
        None => {
            return Err(cli_support::usage(format!(
                "cannot tell the format of {} from its extension; use --format nxcd|zst|json",
                args.out.display()
            )))
        }
    };
    if !args.sym.is_empty() && format != Format::Json {
        return Err(cli_support::usage(
            "--sym and --sym-dir only apply to the json format",
        ));
    }
    // Not even --force writes over a directory, a device, a FIFO or a socket.
    durable::check_output(&args.out)?;
    if !args.force && args.out.symlink_metadata().is_ok() {
        bail!(
            "{} already exists; use --force to replace it",
            args.out.display()
        );
    }
    let source = args.dir.source();
    let opened = source.open(&args.id)?;
    let bytes = match format {
        Format::Nxcd | Format::Zst => {
            // The bytes as stored (already checked by `open`), so nothing the reader
            // skipped (sections of a newer minor version) is lost.
            let raw = source.read_raw(&opened)?;
            nxcd::Container::parse(&raw, &Limits::DEFAULT)
                .with_context(|| format!("{} changed while exporting", opened.path.display()))?;
            if format == Format::Zst {
                compress(&raw)?
            } else {
                raw
            }
        }
        Format::Json => {
            let index_files = load_indexes(&args.sym)?;
            let mut symbolizer = Symbolizer::new(index_set(&index_files)?);
            let frames = symbolizer.frames(&opened.dump);
            report_warnings(&symbolizer);
            report_missing(&symbolizer);
            let doc = ShowOutput::new(
                &opened.name,
                opened.size,
                &opened.dump,
                &frames,
                &symbolizer.missing,
            );
            let mut json = serde_json::to_vec_pretty(&doc)?;
            json.push(b'\n');
            json
        }
    };
    durable::write_atomic(&args.out, &bytes).map_err(|e| match e {
        durable::Error::Io { cause, .. } => {
            anyhow::Error::new(cause).context(format!("cannot write {}", args.out.display()))
        }
        other => other.into(),
    })?;
    eprintln!(
        "exported {} to {} ({} bytes)",
        opened.dump.header.dump_id,
        args.out.display(),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}
