//! `nx crash ls`: one line per dump, newest first; unreadable dump files follow as
//! `corrupt:` lines with the reason and never stop the listing.

use std::io::Write as _;
use std::process::ExitCode;

use super::output::{CorruptFile, DumpSummary, LsOutput};
use super::DirArg;
use crate::output::{write_json, write_table};
use crate::timefmt::rfc3339_secs;
use nxcd::store::{listing_order, scan};

/// Arguments of `nx crash ls`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArg,
    /// Print JSON (schema nx.crash.ls/1) instead of a table.
    #[arg(long)]
    json: bool,
}

/// The cause column: the exception's name, or its number on RISC-V; `-` for other
/// architectures, whose dumps carry no RISC-V cause.
pub fn cause_text(h: &nxcd::Header) -> String {
    match h.cause_name() {
        Some(name) => name.to_string(),
        None if h.arch.starts_with("riscv") => format!("scause {:#x}", h.scause),
        None => "-".to_string(),
    }
}

/// Runs `nx crash ls`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut files = scan(&args.dir.dir)?;
    listing_order(&mut files);
    let mut dumps = Vec::new();
    let mut corrupt = Vec::new();
    for file in &files {
        match &file.content {
            Ok(header) => dumps.push((file, header)),
            Err(reason) => corrupt.push((file, reason)),
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = LsOutput::new(
            dumps.iter().map(|(f, d)| DumpSummary::new(f, d)).collect(),
            corrupt
                .iter()
                .map(|(f, e)| CorruptFile::new(f, e))
                .collect(),
        );
        write_json(&mut out, &doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    if files.is_empty() {
        eprintln!("no dumps in {}", args.dir.dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    if !dumps.is_empty() {
        let mut rows = vec![[
            "ID",
            "CREATED (UTC)",
            "PROCESS",
            "PID",
            "EXIT",
            "CAUSE",
            "SIZE",
        ]
        .map(String::from)
        .to_vec()];
        for (file, h) in &dumps {
            rows.push(vec![
                h.dump_id.to_string(),
                rfc3339_secs(h.created_ns),
                h.process.clone(),
                h.pid.to_string(),
                h.exit_code.to_string(),
                cause_text(h),
                file.size.to_string(),
            ]);
        }
        write_table(&mut out, &rows)?;
    }
    for (file, reason) in &corrupt {
        writeln!(
            out,
            "corrupt: {} ({} bytes): {reason}",
            file.name, file.size
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
