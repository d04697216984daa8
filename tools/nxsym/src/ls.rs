//! `nxsym ls`: what an index holds, one module per line.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use cli_support::symbols::SymArgs;
use serde::Serialize;
use symindex::build_id_hex;

use crate::open::IndexFiles;

/// List the modules of indexes: Build-ID, its source, debug info, architecture, name.
/// A module several indexes hold is listed once.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sym: SymArgs,
    /// One JSON object per module, one per line.
    #[arg(long)]
    json: bool,
}

/// `--json` output: one line per module. Keys are stable; new keys may be added.
#[derive(Serialize)]
struct ModuleOut<'a> {
    build_id: String,
    build_id_kind: &'a str,
    name: &'a str,
    arch: &'a str,
    debug: &'a str,
    debug_file: Option<&'a str>,
    scopes: usize,
    index: &'a str,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let files = IndexFiles::open(&args.sym)?;
    let set = files.set()?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    for (index, m) in set.modules() {
        let row = ModuleOut {
            build_id: build_id_hex(m.build_id()),
            build_id_kind: m.build_id_kind().name(),
            name: m.name(),
            arch: m.arch(),
            debug: m.debug().name(),
            debug_file: m.debug_file(),
            scopes: m.scope_count(),
            index,
        };
        if args.json {
            serde_json::to_writer(&mut out, &row)?;
            writeln!(out)?;
        } else {
            let degraded = if m.debug() == symindex::DebugKind::Symtab {
                " (degraded)"
            } else {
                ""
            };
            let from = m
                .debug_file()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{}  {:<8}  {:<8}  {}{degraded}{from}  {}",
                row.build_id, row.build_id_kind, row.arch, row.debug, row.name
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
