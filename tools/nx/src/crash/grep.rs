//! `nx crash grep`: find a text in dumps' process names, frame functions (as stored, or
//! symbolized with `--sym`) and log messages. Exit status 0 when something matched, 1
//! when nothing did. Unreadable dump files are skipped with a warning on stderr.

use std::io::Write as _;
use std::process::ExitCode;

use super::output::{GrepMatch, GrepOutput};
use super::show::{index_set, load_indexes, report_warnings};
use super::DirArg;
use crate::output::write_json;
use cli_support::style::warning;
use cli_support::symbols::SymArgs;
use nxcd::store::listing_order;
use nxcd::symbolize::Symbolizer;

/// Arguments of `nx crash grep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Text to search for (a literal substring, not a regular expression).
    pattern: String,
    #[command(flatten)]
    dir: DirArg,
    /// Match case-insensitively (ASCII case folding).
    #[arg(long, short = 'i')]
    ignore_case: bool,
    /// Symbol indexes, so frames the dump left unsymbolized are searched by function too.
    #[command(flatten)]
    sym: SymArgs,
    /// Print JSON (schema nx.crash.grep/1) instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `nx crash grep`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let index_files = load_indexes(&args.sym)?;
    let mut symbolizer = Symbolizer::new(index_set(&index_files)?);
    let source = args.dir.source();
    let mut files = source.scan()?;
    listing_order(&mut files);
    let needle = if args.ignore_case {
        args.pattern.to_ascii_lowercase()
    } else {
        args.pattern.clone()
    };
    let hit = |text: &str| {
        if args.ignore_case {
            text.to_ascii_lowercase().contains(&needle)
        } else {
            text.contains(&needle)
        }
    };

    let mut matches = Vec::new();
    for file in &files {
        if let Err(reason) = &file.content {
            anstream::eprintln!("{}", warning(format!("skipping {}: {reason}", file.name)));
            continue;
        }
        // One dump in memory at a time.
        let dump = &source.dump_of(file)?;
        let id = dump.header.dump_id.to_string();
        let mut add = |field, index, text: String| {
            matches.push(GrepMatch {
                id: id.clone(),
                file: file.name.clone(),
                field,
                index,
                text,
            })
        };
        if hit(&dump.header.process) {
            add("process", None, dump.header.process.clone());
        }
        for (i, frame) in symbolizer.frames(dump).iter().enumerate() {
            for function in frame.locations.iter().filter_map(|l| l.function.as_deref()) {
                if hit(function) {
                    add("frame", Some(i as u64), function.to_string());
                }
            }
        }
        for record in dump.logs.iter().flatten() {
            let message = String::from_utf8_lossy(&record.message);
            if hit(&message) {
                add("log", Some(record.record_id), message.into_owned());
            }
        }
    }
    report_warnings(&symbolizer);

    let found = !matches.is_empty();
    let mut out = std::io::stdout().lock();
    if args.json {
        write_json(&mut out, &GrepOutput::new(&args.pattern, matches))?;
    } else {
        for m in &matches {
            let place = match m.index {
                Some(i) if m.field == "frame" => format!("frame #{i}"),
                Some(i) => format!("{} #{i}", m.field),
                None => m.field.to_string(),
            };
            writeln!(out, "{}\t{place}\t{}", m.id, m.text)?;
        }
        out.flush()?;
    }
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        cli_support::Exit::NothingFound.status()
    })
}
