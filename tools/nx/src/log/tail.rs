//! `nx log tail`: the newest records, then every new one as it arrives. No record is
//! printed twice; a record dropped before it could be read is reported in a gap line, so
//! every id from the start on is accounted for (see [`super::pager`]).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use super::output::{gap_line, record_line, GapOut, RecordOut};
use super::pager::{Event, Pager};
use super::{FilterArgs, SocketArgs};

/// Arguments of `nx log tail`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    socket: SocketArgs,
    #[command(flatten)]
    filter: FilterArgs,
    /// Start with the last N records in the journal (0: only new records).
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10)]
    lines: u64,
    /// Exit once every id up to ID has been printed or reported in a gap.
    #[arg(long, value_name = "ID")]
    until_id: Option<u64>,
    /// Milliseconds to wait between polls once caught up.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    poll_ms: u64,
    /// Print one JSON object a line (schema nx.log.tail/1) instead of text lines.
    #[arg(long)]
    json: bool,
}

fn write_line<W: std::io::Write, T: Serialize>(out: &mut W, value: &T) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// Runs `nx log tail`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut client = args.socket.connect()?;
    let stats = client
        .stats()
        .map_err(super::logd_error)
        .context("reading the journal's counters")?;
    let start = (stats.dropped + 1).max(stats.total.saturating_sub(args.lines) + 1);
    let mut pager = Pager::from_id(client, start);
    // Level letters in colour on a terminal (plain in a pipe or with NO_COLOR).
    let mut out = anstream::stdout().lock();
    let idle = Duration::from_millis(args.poll_ms.max(1));
    loop {
        let page = pager.next_page()?;
        for event in &page.events {
            match event {
                Event::Record(r) if args.filter.matches(r) => {
                    if args.json {
                        write_line(
                            &mut out,
                            &RecordOut {
                                record: r,
                                tail: true,
                            },
                        )?;
                    } else {
                        writeln!(out, "{}", record_line(r))?;
                    }
                }
                Event::Record(_) => {}
                Event::Gap(g) => {
                    if args.json {
                        write_line(
                            &mut out,
                            &GapOut {
                                gap: *g,
                                tail: true,
                            },
                        )?;
                    } else {
                        writeln!(out, "{}", gap_line(g))?;
                    }
                }
            }
        }
        out.flush()?;
        if args.until_id.is_some_and(|id| pager.last_id() >= id) {
            return Ok(ExitCode::SUCCESS);
        }
        if page.caught_up {
            std::thread::sleep(idle);
        }
    }
}
