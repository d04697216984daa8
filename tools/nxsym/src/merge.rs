//! `nxsym merge`: join indexes into one, written atomically and durably. A module several
//! inputs hold with the same contents is written once; one Build-ID with different
//! contents in two inputs is an error naming both, and nothing is written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use cli_support::symbols::SymArgs;

use crate::open::IndexFiles;

/// Merge indexes into one. The output is identical for the same modules in any order.
#[derive(clap::Args)]
pub struct Args {
    /// Index files to merge.
    inputs: Vec<PathBuf>,
    /// Directory whose every *.nxsym (not in subdirectories) is an input; repeatable.
    #[arg(long = "sym-dir", value_name = "DIR", action = clap::ArgAction::Append)]
    sym_dir: Vec<PathBuf>,
    /// Where to write the merged index.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let sym = SymArgs {
        sym: args.inputs,
        sym_dir: args.sym_dir,
    };
    let files = IndexFiles::open(&sym)?;
    let inputs: Vec<(&str, &Path)> = files
        .paths()
        .map(|p| ("input index", p))
        .chain(sym.sym_dir.iter().map(|d| ("--sym-dir", d.as_path())))
        .collect();
    durable::refuse_output_among_inputs(&args.out, &inputs)?;
    let bytes = files.set()?.merged();
    // An index is a shareable artifact: readable by all, like any other build output.
    let mut staged = durable::Staged::with_mode(&args.out, 0o644)?;
    staged.write_all(&bytes)?;
    staged.commit()?;
    Ok(ExitCode::SUCCESS)
}
