//! `nxsym index`: build symbols.nxsym from ELF files, written atomically and durably.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use cli_support::size::parse_size;
use cli_support::style::warning;
use symindex::build::{build_index_report, Options, DEFAULT_MAX_INPUT_BYTES};

/// Index ELF files by Build-ID. The output is identical for the same inputs in any order.
/// An ELF indexed without DWARF (none in it, no separate debug file found) is named in a
/// warning on stderr, once.
#[derive(clap::Args)]
pub struct Args {
    /// ELF files to index (executables, shared objects, kernels).
    #[arg(required = true)]
    elfs: Vec<PathBuf>,
    /// Where to write the index.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    /// Directory to search for separate debug files (by `.build-id/xx/rest.debug` and by
    /// `.gnu_debuglink` name); repeatable.
    #[arg(long = "debug-dir", value_name = "DIR")]
    debug_dirs: Vec<PathBuf>,
    /// Largest input file accepted (bytes, or 512K, 16M, 16MiB, 16MB).
    #[arg(long, value_name = "SIZE", default_value_t = DEFAULT_MAX_INPUT_BYTES, value_parser = parse_size)]
    max_input_bytes: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    for dir in &args.debug_dirs {
        let meta =
            std::fs::metadata(dir).with_context(|| format!("--debug-dir {}", dir.display()))?;
        if !meta.is_dir() {
            bail!("--debug-dir {}: not a directory", dir.display());
        }
        // Debug files are looked up by name inside it (which needs search permission)
        // and it is listed by no one else: one that cannot be searched or listed would
        // silently index every module from its symbol table alone.
        std::fs::read_dir(dir)
            .and_then(|_| std::fs::metadata(dir.join(".")))
            .with_context(|| format!("--debug-dir {}: cannot be read", dir.display()))?;
    }
    let inputs: Vec<(&str, &Path)> = args
        .elfs
        .iter()
        .map(|p| ("ELF", p.as_path()))
        .chain(args.debug_dirs.iter().map(|p| ("--debug-dir", p.as_path())))
        .collect();
    durable::refuse_output_among_inputs(&args.out, &inputs)?;
    let opts = Options {
        debug_dirs: args.debug_dirs,
        max_input_bytes: args.max_input_bytes,
    };
    let built = build_index_report(&args.elfs, &opts)?;
    for path in &built.symtab_only {
        anstream::eprintln!(
            "{}",
            warning(format!(
                "{}: no DWARF found: indexed from its symbol table only; pass --debug-dir",
                path.display()
            ))
        );
    }
    let bytes = built.bytes;
    // An index is a shareable artifact: readable by all, like any other build output.
    let mut staged = durable::Staged::with_mode(&args.out, 0o644)?;
    staged.write_all(&bytes)?;
    staged.commit()?;
    Ok(ExitCode::SUCCESS)
}
