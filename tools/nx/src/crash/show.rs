//! `nx crash show`: one dump in full (header, registers, frames symbolized by Build-ID,
//! modules, logs, spans), as text or as JSON. Without an id, the newest dump that passes
//! the matches (see [`super::select`]); with one, the dump it designates among those.
//! Text output collapses a host dump's panic machinery and shortens toolchain paths
//! ([`super::frames`]); JSON keeps everything as recorded.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use cli_support::size::human_size;
use cli_support::style::warning;
use cli_support::style::{level as level_style, paint};
use cli_support::symbols::SymArgs;
use symindex::IndexSet;

use super::frames::{panic_machinery, shorten_rustc_paths};
use super::ls::cause_text;
use super::output::ShowOutput;
use super::select::{MatchArgs, TimeArgs};
use super::DirArg;
use crate::output::{printable, write_json, write_table};
use crate::paging::PagerArgs;
use nxcd::symbolize::{ResolvedFrame, Symbolizer};

/// Cap on the size of a symbol index read with `--sym`.
const MAX_SYMBOL_INDEX: u64 = 512 * 1024 * 1024;

/// Arguments of `nx crash show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dump id (header dump_id) or a unique prefix of it, or the dump's file name with or
    /// without extension [default: the newest dump that matches].
    id: Option<String>,
    #[command(flatten)]
    dir: DirArg,
    #[command(flatten)]
    matches: MatchArgs,
    #[command(flatten)]
    time: TimeArgs,
    /// Show every frame, the panic machinery of a host dump included, with full paths.
    #[arg(long)]
    all_frames: bool,
    /// Symbol indexes to symbolize the frames the dump left unsymbolized.
    #[command(flatten)]
    sym: SymArgs,
    /// Print JSON (schema nx.crash.show/1) instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pager: PagerArgs,
}

/// Reads every index of `--sym` and `--sym-dir` (each capped), in lookup order.
pub fn load_indexes(sym: &SymArgs) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    sym.paths()?
        .into_iter()
        .map(|path| {
            let bytes = durable::read_capped(&path, MAX_SYMBOL_INDEX)
                .map_err(|e| anyhow::Error::new(e).context("cannot read the symbol index"))?;
            Ok((path, bytes))
        })
        .collect()
}

/// Joins the indexes read by [`load_indexes`] into one set; a bad index or one Build-ID
/// with two contents is an error naming the files.
pub fn index_set(files: &[(PathBuf, Vec<u8>)]) -> anyhow::Result<IndexSet<'_>> {
    let mut set = IndexSet::new();
    for (path, bytes) in files {
        set.add(&path.display().to_string(), bytes)?;
    }
    Ok(set)
}

/// Prints on stderr, once per Build-ID, the modules no given index holds and the frames
/// they left raw.
pub fn report_missing(symbolizer: &Symbolizer<'_>) {
    for m in &symbolizer.missing {
        let frames: Vec<String> = m.frames.iter().map(|i| format!("#{i}")).collect();
        anstream::eprintln!(
            "note: no symbol index given holds Build-ID {} ({}): frame{} {} left raw",
            m.build_id,
            m.module,
            if frames.len() == 1 { "" } else { "s" },
            frames.join(", ")
        );
    }
}

/// Prints the symbolizer's warnings on stderr.
pub fn report_warnings(symbolizer: &Symbolizer<'_>) {
    for w in &symbolizer.warnings {
        anstream::eprintln!("{}", warning(w));
    }
}

fn write_frames<W: std::io::Write>(
    out: &mut W,
    frames: &[ResolvedFrame],
    all_frames: bool,
) -> std::io::Result<()> {
    writeln!(out, "frames:")?;
    if frames.is_empty() {
        writeln!(out, "  (none)")?;
    }
    let hidden = if all_frames {
        0
    } else {
        panic_machinery(frames)
    };
    if hidden > 0 {
        let range = match hidden {
            1 => String::from("#0"),
            n => format!("#0-#{}", n - 1),
        };
        writeln!(
            out,
            "  ({range}: {hidden} frame{} of the panic machinery, hidden; --all-frames shows them)",
            if hidden == 1 { "" } else { "s" }
        )?;
    }
    for (i, f) in frames.iter().enumerate().skip(hidden) {
        writeln!(out, "  #{i:<2} {:#018x}  {}", f.pc, f.raw())?;
        for line in f.pretty_lines() {
            if all_frames {
                writeln!(out, "      {line}")?;
            } else {
                writeln!(out, "      {}", shorten_rustc_paths(&line))?;
            }
        }
    }
    Ok(())
}

/// Runs `nx crash show`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let source = args.dir.source();
    let (style, now) = args.time.resolve()?;
    let matches = args.matches.resolve(now, &style)?;
    let files = matches.select(source.scan()?);
    let opened = match &args.id {
        Some(id) => source.open_in(files, id)?,
        None => {
            let newest = files.into_iter().find(|f| f.content.is_ok());
            let Some(newest) = newest else {
                let which = if matches.is_active() {
                    " that matches"
                } else {
                    ""
                };
                return Err(cli_support::classified(
                    anyhow::anyhow!(
                        "no dump{which} in {} ({})",
                        source.dir.display(),
                        source.origin_text()
                    ),
                    cli_support::Exit::NothingFound,
                ));
            };
            source.load(newest)?
        }
    };
    let index_files = load_indexes(&args.sym)?;
    let mut symbolizer = Symbolizer::new(index_set(&index_files)?);
    let dump = &opened.dump;
    let frames = symbolizer.frames(dump);
    report_warnings(&symbolizer);
    report_missing(&symbolizer);
    let mut out = args.pager.start();
    if args.json {
        write_json(
            &mut out,
            &ShowOutput::new(
                &opened.name,
                opened.size,
                dump,
                &frames,
                &symbolizer.missing,
            ),
        )?;
        out.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    let h = &dump.header;
    let mut rows = vec![
        vec!["dump:".into(), h.dump_id.to_string()],
        vec![
            "file:".into(),
            format!("{} ({})", opened.name, human_size(opened.size)),
        ],
        vec!["created:".into(), style.nanos(h.created_ns)],
        vec!["process:".into(), format!("{} (pid {})", h.process, h.pid)],
        vec!["exit code:".into(), h.exit_code.to_string()],
        vec![
            "cause:".into(),
            format!(
                "{} (scause {}, stval {:#x})",
                cause_text(h),
                h.scause,
                h.stval
            ),
        ],
        vec!["pc:".into(), format!("{:#x}", h.pc)],
        vec!["arch:".into(), h.arch.clone()],
        vec!["build-id:".into(), h.build_id.to_hex()],
    ];
    if let Some(v) = &h.os_version {
        rows.push(vec!["os version:".into(), v.clone()]);
    }
    if let Some(n) = h.repeats.filter(|&n| n > 0) {
        rows.push(vec![
            "repeats:".into(),
            format!("{n} more (same build-id and pc)"),
        ]);
    }
    if let Some(seq) = h.seq {
        rows.push(vec!["store seq:".into(), seq.to_string()]);
    }
    if let Some(r) = h.redacted.as_ref().filter(|r| !r.is_empty()) {
        rows.push(vec!["redacted:".into(), r.join(", ")]);
    }
    if let Some(why) = &h.logs_error {
        rows.push(vec!["logs missing:".into(), why.clone()]);
    }
    write_table(&mut out, &rows)?;

    if let Some(regs) = &dump.regs {
        writeln!(out, "\nregisters:")?;
        let named: Vec<String> = regs
            .named()
            .map(|(n, v)| format!("{n:>7} {v:#018x}"))
            .collect();
        for chunk in named.chunks(4) {
            writeln!(out, " {}", chunk.join(" "))?;
        }
    }

    writeln!(out)?;
    write_frames(&mut out, &frames, args.all_frames)?;

    writeln!(out, "\nmaps:")?;
    let mut rows = Vec::new();
    for m in &dump.maps {
        rows.push(vec![
            format!("  {:#x}-{:#x}", m.start, m.end),
            m.name.clone(),
            format!("link {:#x}", m.link_base),
            format!("build-id {}", m.build_id),
        ]);
    }
    write_table(&mut out, &rows)?;

    if let Some(logs) = &dump.logs {
        writeln!(out, "\nlogs:")?;
        for r in logs {
            let fields = printable(r.fields.trim_ascii_end()).replace("\\n", " ");
            let sep = if fields.is_empty() { "" } else { "  " };
            writeln!(
                out,
                "  {} #{} {} svc {} {}: {}{sep}{fields}",
                style.nanos(r.timestamp_nsec),
                r.record_id,
                paint(level_style(r.level as u8), format!("{:<5}", r.level.name())),
                r.service_id,
                printable(&r.scope),
                printable(&r.message),
            )?;
        }
    }
    if let Some(spans) = &dump.spans {
        writeln!(out, "\nspans:")?;
        for s in spans {
            let parent = s.parent.map(|p| format!(" parent {p}")).unwrap_or_default();
            let end = s
                .end_ns
                .map(|ns| style.nanos(ns))
                .unwrap_or_else(|| String::from("(open)"));
            writeln!(
                out,
                "  #{} {}{parent}: {} .. {end}",
                s.id,
                s.name,
                style.nanos(s.start_ns)
            )?;
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
