//! `nxsym addr2line`: resolve link-time addresses against an index. The default output
//! is exactly what `addr2line -f -i -C` prints (function line, then `file:line`, for each
//! frame innermost first), so scripts written for binutils keep working.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use cli_support::symbols::SymArgs;
use serde::Serialize;
use symindex::{build_id_hex, BuildId, Frame, IndexSet, Module};

use crate::open::IndexFiles;

/// Resolve link-time addresses (as `addr2line` takes them) to function, file:line and
/// inlined frames. Addresses come from `--addr`, or else from stdin, one per line.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sym: SymArgs,
    /// Build-ID (hex) of the module; may be left out when the indexes hold one module.
    #[arg(long = "build-id", value_name = "HEX")]
    build_id: Option<String>,
    /// Address to resolve (hex, with or without 0x); repeatable.
    #[arg(long = "addr", value_name = "ADDR", value_parser = parse_addr)]
    addrs: Vec<u64>,
    /// Print each address before its frames, as `addr2line -a` does.
    #[arg(short = 'a', long)]
    addresses: bool,
    /// One line per frame: `function at file:line`, inlined callers marked.
    #[arg(long, conflicts_with = "json")]
    pretty: bool,
    /// One JSON object per address, one per line.
    #[arg(long)]
    json: bool,
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    u64::from_str_radix(hex, 16).map_err(|_| format!("`{s}` is not a hexadecimal address"))
}

/// `--json` output, one per address. Keys are stable; new keys may be added.
#[derive(Serialize)]
struct Resolved<'a> {
    address: String,
    build_id: String,
    frames: Vec<FrameOut<'a>>,
}

#[derive(Serialize)]
struct FrameOut<'a> {
    function: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
    inlined: bool,
}

#[derive(Clone, Copy)]
enum Style {
    Gnu,
    Pretty,
    Json,
}

fn pick_module<'a>(set: &IndexSet<'a>, wanted: Option<&str>) -> Result<Module<'a>> {
    let modules = set.modules();
    let list = || {
        modules
            .iter()
            .map(|(_, m)| format!("  {}  {}", build_id_hex(m.build_id()), m.name()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (missing, held) = if set.files().count() == 1 {
        ("the index has no module", "it has")
    } else {
        ("no index has a module", "they have")
    };
    match wanted {
        Some(hex) => {
            let Ok(id) = BuildId::from_hex(hex.trim()) else {
                return Err(cli_support::usage(format!(
                    "--build-id `{hex}` is not a hexadecimal Build-ID"
                )));
            };
            match set.module(id.as_bytes()) {
                Some(m) => Ok(m),
                None => Err(cli_support::classified(
                    anyhow::anyhow!("{missing} with Build-ID {hex}; {held}:\n{}", list()),
                    cli_support::Exit::NothingFound,
                )),
            }
        }
        None => match modules.as_slice() {
            [(_, only)] => Ok(*only),
            [] => bail!("the index holds no modules"),
            _ => Err(cli_support::usage(format!(
                "the index holds {} modules: choose one with --build-id:\n{}",
                modules.len(),
                list()
            ))),
        },
    }
}

fn write_frames(
    out: &mut impl Write,
    style: Style,
    show_addr: bool,
    build_id: &str,
    addr: u64,
    frames: &[Frame<'_>],
) -> io::Result<()> {
    match style {
        Style::Json => {
            let r = Resolved {
                address: format!("{addr:#x}"),
                build_id: build_id.to_string(),
                frames: frames
                    .iter()
                    .enumerate()
                    .map(|(i, f)| FrameOut {
                        function: f.function,
                        file: f.file,
                        line: f.line,
                        inlined: i + 1 < frames.len(),
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut *out, &r)?;
            writeln!(out)
        }
        Style::Gnu => {
            if show_addr {
                writeln!(out, "0x{addr:016x}")?;
            }
            let mut text = String::new();
            symindex::render::gnu(&mut text, frames).map_err(io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        Style::Pretty => {
            if show_addr {
                write!(out, "0x{addr:x}: ")?;
            }
            let mut text = String::new();
            symindex::render::pretty(&mut text, frames).map_err(io::Error::other)?;
            out.write_all(text.as_bytes())
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let files = IndexFiles::open(&args.sym)?;
    let set = files.set()?;
    let module = pick_module(&set, args.build_id.as_deref())?;
    let from = set
        .find(module.build_id())
        .map(|(f, _)| f.to_string())
        .unwrap_or_default();
    let build_id = build_id_hex(module.build_id());
    let style = if args.json {
        Style::Json
    } else if args.pretty {
        Style::Pretty
    } else {
        Style::Gnu
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let resolve = |out: &mut io::BufWriter<_>, addr: u64| -> Result<()> {
        let frames = module
            .lookup(addr)
            .with_context(|| format!("{from}: lookup of {addr:#x} failed"))?;
        write_frames(out, style, args.addresses, &build_id, addr, &frames)?;
        Ok(())
    };
    if !args.addrs.is_empty() {
        for &a in &args.addrs {
            resolve(&mut out, a)?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let stdin = io::stdin();
    let mut input = io::BufReader::with_capacity(64 * 1024, stdin.lock());
    let mut line = Vec::new();
    let mut bad = 0usize;
    for lineno in 1.. {
        // Answer what has been asked before waiting for more input, so an interactive
        // caller sees each answer; a batch gets one write per buffer.
        if input.buffer().is_empty() {
            out.flush()?;
        }
        line.clear();
        // Read as bytes: a line that is not UTF-8 is one bad line, not the end of input.
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            bad += 1;
            out.flush()?;
            eprintln!("error: stdin line {lineno}: not valid UTF-8, so not an address");
            continue;
        };
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        match parse_addr(t) {
            Ok(a) => resolve(&mut out, a)?,
            Err(e) => {
                bad += 1;
                out.flush()?;
                eprintln!("error: stdin line {lineno}: {e}");
            }
        }
    }
    out.flush()?;
    Ok(if bad > 0 {
        cli_support::Exit::BadInput.status()
    } else {
        ExitCode::SUCCESS
    })
}
