//! Paging through the journal with v1 QUERY frames, accounting for every record id.
//!
//! Each page asks for records stamped at or after the last delivered record's stamp + 1
//! (stamps strictly increase with ids). Ids are contiguous and only the oldest are ever
//! dropped, so when the first record of a page is not the next id, the ids in between
//! were dropped before they could be read: they are reported as a [`Gap`], whose last id
//! is at most the journal's `dropped` counter in the same response. Every id from the
//! start on is therefore either delivered or inside exactly one gap.

use anyhow::Context as _;
use logd::host::Client;
use logd::{Query, Record};

/// Records a page asks for (the v1 cap).
const PAGE: u16 = 16;

/// Ids lost to overflow between two delivered records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// First missing id.
    pub first_id: u64,
    /// Last missing id.
    pub last_id: u64,
    /// The journal's `dropped` counter when the gap was seen.
    pub dropped: u64,
}

impl Gap {
    /// Number of missing ids.
    pub fn count(&self) -> u64 {
        self.last_id - self.first_id + 1
    }
}

/// What a page brings, in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A record read from the journal.
    Record(Record),
    /// Records dropped before they were read.
    Gap(Gap),
}

/// One page's events and the journal's counters.
#[derive(Debug)]
pub struct Page {
    /// Records and gaps.
    pub events: Vec<Event>,
    /// The journal's `total` (newest id).
    pub total: u64,
    /// Whether every id up to `total` has been accounted for.
    pub caught_up: bool,
}

/// A reader's position in the journal.
#[derive(Debug)]
pub struct Pager {
    client: Client,
    /// Every id up to this one is delivered, in a gap, or skipped.
    last_id: u64,
    /// Stamp of the last delivered record.
    last_ts: Option<u64>,
    /// Ids below this are skipped without events (records before the start).
    start_id: u64,
    /// For a time-based start: the first page's `since`; ids before its first record are
    /// not selected rather than dropped.
    since: Option<u64>,
}

impl Pager {
    /// Starts at record id `start_id` (ids below it are read past silently).
    pub fn from_id(client: Client, start_id: u64) -> Pager {
        Pager {
            client,
            last_id: 0,
            last_ts: None,
            start_id,
            since: None,
        }
    }

    /// Starts at the first record stamped at or after `since_nsec`.
    pub fn from_time(client: Client, since_nsec: u64) -> Pager {
        Pager {
            client,
            last_id: 0,
            last_ts: None,
            start_id: 1,
            since: Some(since_nsec),
        }
    }

    /// The highest id accounted for.
    pub fn last_id(&self) -> u64 {
        self.last_id
    }

    /// Reads the next page.
    pub fn next_page(&mut self) -> anyhow::Result<Page> {
        let since = match (self.last_ts, self.since) {
            (Some(ts), _) => ts.saturating_add(1),
            (None, Some(since)) => since,
            (None, None) => 0,
        };
        let page = self
            .client
            .query(Query {
                since_nsec: since,
                max_count: PAGE,
            })
            .map_err(super::logd_error)
            .context("querying logd")?;
        if page.total < self.last_id {
            eprintln!(
                "warning: the journal restarted (newest id {} < {}); reading it from the start",
                page.total, self.last_id
            );
            self.last_id = 0;
            self.last_ts = None;
            self.since = None;
            return Ok(Page {
                events: Vec::new(),
                total: page.total,
                caught_up: false,
            });
        }
        let mut events = Vec::new();
        let first = page.records.first().map(|r| r.record_id);
        if self.last_ts.is_none() && self.since.is_some() {
            // A time-based start: the ids before the first selected record (all of them
            // when none is selected) are not selected rather than dropped.
            let unselected = match first {
                Some(first) => first.saturating_sub(1),
                None => page.total,
            };
            self.last_id = self.last_id.max(unselected);
        }
        let missing_end = match first {
            Some(first) => first.saturating_sub(1),
            None => page.dropped,
        };
        if missing_end > self.last_id {
            let first_missing = (self.last_id + 1).max(self.start_id);
            if first_missing <= missing_end {
                events.push(Event::Gap(Gap {
                    first_id: first_missing,
                    last_id: missing_end,
                    dropped: page.dropped,
                }));
            }
            self.last_id = missing_end;
        }
        for record in page.records {
            self.last_id = record.record_id;
            self.last_ts = Some(record.timestamp_nsec);
            if record.record_id >= self.start_id {
                events.push(Event::Record(record));
            }
        }
        Ok(Page {
            events,
            total: page.total,
            caught_up: self.last_id >= page.total || first.is_none(),
        })
    }
}
