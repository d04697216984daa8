//! `nx crash ls`: one line per dump, newest first (or oldest first with `-r`); unreadable
//! dump files follow as `corrupt:` lines with the reason and never stop the listing.
//! Filters and the dump source: [`super::select`].

use std::io::Write as _;
use std::process::ExitCode;

use cli_support::size::human_size;
use cli_support::style::{paint, BAD};

use super::output::{CorruptFile, DumpSummary, LsOutput};
use super::select::{limit_and_order, MatchArgs, TimeArgs};
use super::DirArg;
use crate::output::{write_json, write_table};
use crate::timefmt::age;

/// Arguments of `nx crash ls`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArg,
    #[command(flatten)]
    matches: MatchArgs,
    /// Show at most the N newest dumps.
    #[arg(short = 'n', value_name = "N")]
    limit: Option<usize>,
    /// List oldest first.
    #[arg(short = 'r', long)]
    reverse: bool,
    #[command(flatten)]
    time: TimeArgs,
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
    let source = args.dir.source();
    let (style, now) = args.time.resolve()?;
    let matches = args.matches.resolve(now, &style)?;
    let scanned = source.scan()?;
    let nothing_at_all = scanned.is_empty();
    let files = limit_and_order(matches.select(scanned), args.limit, args.reverse);
    let mut dumps = Vec::new();
    let mut corrupt = Vec::new();
    for file in &files {
        match &file.content {
            Ok(header) => dumps.push((file, header)),
            Err(reason) => corrupt.push((file, reason)),
        }
    }
    // Corrupt lines in colour on a terminal.
    let mut out = anstream::stdout().lock();
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
    if nothing_at_all {
        eprintln!("no dumps in {}", source.dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    if files.is_empty() {
        eprintln!("no dumps in {} match", source.dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    if !dumps.is_empty() {
        let created = format!("CREATED ({})", style.label());
        // The REPEATS column only when a listed dump counts repeats.
        let repeats = dumps.iter().any(|(_, h)| h.repeats.is_some_and(|n| n > 0));
        let mut head = [
            "ID", &created, "AGE", "PROCESS", "PID", "EXIT", "CAUSE", "SIZE",
        ]
        .map(String::from)
        .to_vec();
        if repeats {
            head.push(String::from("REPEATS"));
        }
        let mut rows = vec![head];
        for (file, h) in &dumps {
            let mut row = vec![
                h.dump_id.to_string(),
                style.secs(h.created_ns),
                age(now, h.created_ns),
                h.process.clone(),
                h.pid.to_string(),
                h.exit_code.to_string(),
                cause_text(h),
                human_size(file.size),
            ];
            if repeats {
                row.push(h.repeats.unwrap_or(0).to_string());
            }
            rows.push(row);
        }
        write_table(&mut out, &rows)?;
    }
    for (file, reason) in &corrupt {
        writeln!(
            out,
            "{} {} ({}): {reason}",
            paint(BAD, "corrupt:"),
            file.name,
            human_size(file.size)
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
