//! `nx crash show`: one dump in full (header, registers, frames symbolized by Build-ID,
//! modules, logs, spans), as text or as JSON.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use symindex::SymIndex;

use super::ls::cause_text;
use super::output::ShowOutput;
use super::DirArg;
use crate::output::{printable, write_json, write_table};
use crate::timefmt::rfc3339_nanos;
use nxcd::store::open;
use nxcd::symbolize::{ResolvedFrame, Symbolizer};

/// Cap on the size of a symbol index read with `--sym`.
const MAX_SYMBOL_INDEX: u64 = 512 * 1024 * 1024;

/// Arguments of `nx crash show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dump id (header dump_id), or the dump's file name with or without extension.
    id: String,
    #[command(flatten)]
    dir: DirArg,
    /// Symbol index (symbols.nxsym) to symbolize frames the dump left unsymbolized.
    #[arg(long, value_name = "FILE")]
    sym: Option<PathBuf>,
    /// Print JSON (schema nx.crash.show/1) instead of text.
    #[arg(long)]
    json: bool,
}

/// Reads the optional symbol index.
pub fn load_index(sym: Option<&PathBuf>) -> anyhow::Result<Option<Vec<u8>>> {
    sym.map(|path| {
        durable::read_capped(path, MAX_SYMBOL_INDEX)
            .map_err(|e| anyhow::Error::new(e).context("cannot read the symbol index"))
    })
    .transpose()
}

/// Parses the optional symbol index bytes.
pub fn parse_index<'a>(
    bytes: Option<&'a [u8]>,
    sym: Option<&PathBuf>,
) -> anyhow::Result<Option<SymIndex<'a>>> {
    bytes
        .map(|b| {
            SymIndex::parse(b).with_context(|| {
                let path = sym.map(|p| p.display().to_string()).unwrap_or_default();
                format!("invalid symbol index {path}")
            })
        })
        .transpose()
}

/// Prints the symbolizer's warnings on stderr.
pub fn report_warnings(symbolizer: &Symbolizer<'_>) {
    for w in &symbolizer.warnings {
        eprintln!("warning: {w}");
    }
}

fn write_frames<W: std::io::Write>(out: &mut W, frames: &[ResolvedFrame]) -> std::io::Result<()> {
    writeln!(out, "frames:")?;
    if frames.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for (i, f) in frames.iter().enumerate() {
        writeln!(out, "  #{i:<2} {:#018x}  {}", f.pc, f.raw())?;
        for line in f.pretty_lines() {
            writeln!(out, "      {line}")?;
        }
    }
    Ok(())
}

/// Runs `nx crash show`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opened = open(&args.dir.dir, &args.id)?;
    let index_bytes = load_index(args.sym.as_ref())?;
    let index = parse_index(index_bytes.as_deref(), args.sym.as_ref())?;
    let mut symbolizer = Symbolizer::new(index);
    let dump = &opened.dump;
    let frames = symbolizer.frames(dump);
    report_warnings(&symbolizer);
    let mut out = std::io::stdout().lock();
    if args.json {
        write_json(
            &mut out,
            &ShowOutput::new(&opened.name, opened.size, dump, &frames),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let h = &dump.header;
    let mut rows = vec![
        vec!["dump:".into(), h.dump_id.to_string()],
        vec![
            "file:".into(),
            format!("{} ({} bytes)", opened.name, opened.size),
        ],
        vec!["created:".into(), rfc3339_nanos(h.created_ns)],
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
    write_frames(&mut out, &frames)?;

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
                "  {} #{} {:<5} svc {} {}: {}{sep}{fields}",
                rfc3339_nanos(r.timestamp_nsec),
                r.record_id,
                r.level.name(),
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
                .map(rfc3339_nanos)
                .unwrap_or_else(|| String::from("(open)"));
            writeln!(
                out,
                "  #{} {}{parent}: {} .. {end}",
                s.id,
                s.name,
                rfc3339_nanos(s.start_ns)
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
