//! `nx log query`: every record from `--since` on, oldest first, paging through the
//! journal up to the newest record that existed when the query started (records appended
//! meanwhile are left for `tail`).

use std::collections::VecDeque;
use std::io::Write as _;
use std::process::ExitCode;

use super::output::{gap_line, record_line, GapOut, QueryOutput, RecordOut, QUERY_SCHEMA};
use super::pager::{Event, Pager};
use super::{FilterArgs, SocketArgs};
use crate::output::write_json;
use crate::paging::PagerArgs;

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
    /// Only records stamped at or after this point of logd's monotonic clock (time since
    /// boot, not wall-clock time): an age back from now on that clock (1h, 30m, 1h30m), or
    /// a stamp in nanoseconds (a bare number; default 0).
    #[arg(short = 'S', long, value_name = "AGE|NSEC", value_parser = parse_since)]
    since: Option<Since>,
    /// Stop after the first N records shown (at least 1).
    #[arg(long, value_name = "N", value_parser = super::parse_count, conflicts_with = "lines")]
    limit: Option<u64>,
    /// Show only the last N records that pass the filters (at least 1), without following.
    #[arg(short = 'n', long, value_name = "N", value_parser = super::parse_count)]
    lines: Option<u64>,
    /// Print JSON (schema nx.log.query/1) instead of lines.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pager: PagerArgs,
}

/// Where `--since` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// A stamp of logd's clock, in nanoseconds.
    Stamp(u64),
    /// This many nanoseconds before now, on logd's clock.
    Ago(u64),
}

impl Since {
    /// The stamp it designates, given logd's clock reads `now`.
    pub fn stamp(self, now: u64) -> u64 {
        match self {
            Since::Stamp(ns) => ns,
            Since::Ago(ns) => now.saturating_sub(ns),
        }
    }
}

/// Parses `--since`: a bare number is a stamp in nanoseconds, anything else an age
/// (`1h`, `30m`, `1h30m`, `90s`; humantime's units).
pub fn parse_since(text: &str) -> Result<Since, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Since::Stamp)
            .map_err(|_| format!("{text:?} is too large for a stamp in nanoseconds"));
    }
    crate::units::parse_duration_ns(text)
        .map(Since::Ago)
        .map_err(|e| format!("{e:#}; or a stamp in nanoseconds"))
}

/// Records and gaps in the order read, keeping only what the output shows: every record
/// that passes (or the last N with `-n`), and the gaps among them.
#[derive(Debug, Default)]
struct Shown {
    events: VecDeque<Event>,
    records: usize,
    /// With `-n`: how many records to keep.
    last: Option<usize>,
}

impl Shown {
    fn push(&mut self, event: Event) {
        if matches!(event, Event::Record(_)) {
            self.records += 1;
        }
        self.events.push_back(event);
        if let Some(last) = self.last {
            while self.records > last {
                if let Some(Event::Record(_)) = self.events.pop_front() {
                    self.records -= 1;
                }
            }
            // A gap before the first record kept is older than the window shown.
            while matches!(self.events.front(), Some(Event::Gap(_))) && self.records == last {
                self.events.pop_front();
            }
        }
    }
}

/// Runs `nx log query`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let client = args.socket.connect()?;
    // The host logd stamps records with this machine's CLOCK_MONOTONIC.
    let since = args
        .since
        .map_or(0, |s| s.stamp(logd::host::monotonic_nsec()));
    let mut pager = Pager::from_time(client, since);
    let mut out = args.pager.start();
    let mut shown = Shown {
        last: args.lines.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        ..Shown::default()
    };
    let streaming = !args.json && args.lines.is_none();
    let mut count = 0u64;
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
                    if streaming {
                        writeln!(out, "{}", record_line(&r))?;
                    } else {
                        shown.push(Event::Record(r));
                    }
                    count += 1;
                    if args.limit.is_some_and(|limit| count >= limit) {
                        break 'pages;
                    }
                }
                Event::Gap(g) => {
                    if streaming {
                        writeln!(out, "{}", gap_line(&g))?;
                    } else {
                        shown.push(Event::Gap(g));
                    }
                }
            }
        }
        if page.caught_up || pager.last_id() >= end_id {
            break;
        }
    }
    if args.json {
        let mut records = Vec::new();
        let mut gaps = Vec::new();
        for event in &shown.events {
            match event {
                Event::Record(record) => records.push(RecordOut {
                    record,
                    tail: false,
                }),
                Event::Gap(gap) => gaps.push(GapOut {
                    gap: *gap,
                    tail: false,
                }),
            }
        }
        let doc = QueryOutput {
            schema: QUERY_SCHEMA,
            total,
            records,
            gaps,
        };
        write_json(&mut out, &doc)?;
    } else {
        for event in &shown.events {
            match event {
                Event::Record(r) => writeln!(out, "{}", record_line(r))?,
                Event::Gap(g) => writeln!(out, "{}", gap_line(g))?,
            }
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::pager::Gap;
    use logd::{Level, Record, ServiceId};

    fn record(id: u64) -> Event {
        Event::Record(Record {
            record_id: id,
            timestamp_nsec: id,
            service_id: ServiceId(1),
            level: Level::Info,
            scope: Vec::new(),
            message: Vec::new(),
            fields: Vec::new(),
        })
    }

    fn gap(first_id: u64, last_id: u64) -> Event {
        Event::Gap(Gap {
            first_id,
            last_id,
            dropped: last_id,
        })
    }

    fn ids(shown: &Shown) -> Vec<String> {
        shown
            .events
            .iter()
            .map(|e| match e {
                Event::Record(r) => r.record_id.to_string(),
                Event::Gap(g) => format!("gap {}..={}", g.first_id, g.last_id),
            })
            .collect()
    }

    #[test]
    fn since_is_a_stamp_or_an_age_on_logds_clock() {
        assert_eq!(parse_since("0"), Ok(Since::Stamp(0)));
        assert_eq!(parse_since("1500"), Ok(Since::Stamp(1500)));
        assert_eq!(parse_since("1h"), Ok(Since::Ago(3_600_000_000_000)));
        assert_eq!(
            parse_since("1h").unwrap().stamp(5_000_000_000_000),
            1_400_000_000_000
        );
        assert_eq!(
            parse_since("1h").unwrap().stamp(10),
            0,
            "before boot is boot"
        );
        assert_eq!(Since::Stamp(7).stamp(1), 7);
        for bad in ["", "soon", "-1h", "99999999999999999999999"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_last_n_keep_the_gaps_among_them_only() {
        let mut shown = Shown {
            last: Some(2),
            ..Shown::default()
        };
        for e in [
            gap(1, 2),
            record(3),
            gap(4, 5),
            record(6),
            record(7),
            gap(8, 8),
            record(9),
        ] {
            shown.push(e);
        }
        assert_eq!(ids(&shown), ["7", "gap 8..=8", "9"]);
        let mut all = Shown::default();
        for e in [gap(1, 2), record(3)] {
            all.push(e);
        }
        assert_eq!(ids(&all), ["gap 1..=2", "3"]);
    }
}
