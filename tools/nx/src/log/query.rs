//! `nx log query`: every record from `--since` on, oldest first, paging through the
//! journal up to the newest record that existed when the query started (records appended
//! meanwhile are left for `tail`).

use std::io::Write as _;
use std::process::ExitCode;

use super::output::{gap_line, record_line, GapOut, QueryOutput, RecordOut, QUERY_SCHEMA};
use super::pager::{Event, Pager};
use super::{FilterArgs, SocketArgs};
use crate::output::write_json;

/// Pages a query may read: the largest journal (u32::MAX records) at 16 a page, with
/// margin; reached only if the journal outpaces the reader forever.
const MAX_PAGES: u64 = (u32::MAX as u64) / 16 + 1024;

/// Arguments of `nx log query`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    socket: SocketArgs,
    #[command(flatten)]
    filter: FilterArgs,
    /// Only records stamped at or after this time (ns of logd's clock, inclusive).
    #[arg(long, value_name = "NSEC", default_value_t = 0)]
    since: u64,
    /// Stop after this many records shown (at least 1).
    #[arg(long, value_name = "N", value_parser = super::parse_count)]
    limit: Option<u64>,
    /// Print JSON (schema nx.log.query/1) instead of lines.
    #[arg(long)]
    json: bool,
}

/// Runs `nx log query`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let client = args.socket.connect()?;
    let mut pager = Pager::from_time(client, args.since);
    let mut records = Vec::new();
    let mut gaps = Vec::new();
    let mut out = std::io::stdout().lock();
    let mut shown = 0u64;
    let mut end: Option<u64> = None;
    let mut total = 0;
    'pages: for _ in 0..MAX_PAGES {
        let page = pager.next_page()?;
        total = page.total;
        let end_id = *end.get_or_insert(page.total);
        for event in page.events {
            match event {
                Event::Record(r) if r.record_id > end_id => break 'pages,
                Event::Record(r) => {
                    if !args.filter.matches(&r) {
                        continue;
                    }
                    if !args.json {
                        writeln!(out, "{}", record_line(&r))?;
                    }
                    records.push(r);
                    shown += 1;
                    if args.limit.is_some_and(|limit| shown >= limit) {
                        break 'pages;
                    }
                }
                Event::Gap(g) => {
                    if !args.json {
                        writeln!(out, "{}", gap_line(&g))?;
                    }
                    gaps.push(g);
                }
            }
        }
        if page.caught_up || pager.last_id() >= end_id {
            break;
        }
    }
    if args.json {
        let doc = QueryOutput {
            schema: QUERY_SCHEMA,
            total,
            records: records
                .iter()
                .map(|record| RecordOut {
                    record,
                    tail: false,
                })
                .collect(),
            gaps: gaps
                .into_iter()
                .map(|gap| GapOut { gap, tail: false })
                .collect(),
        };
        write_json(&mut out, &doc)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
