//! Rendering of records and gaps: one human line each, and the serialize-only JSON forms
//! of schemas `nx.log.query/1` and `nx.log.tail/1` (docs/devx/nx-cli.md). Bytes that may
//! not be UTF-8 (scope, message, fields) are strings when valid UTF-8, otherwise base64
//! under the same key with a `_b64` suffix.

use std::collections::BTreeMap;

use cli_support::style::{level as level_style, paint};
use logd::{Fields, Record};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::pager::Gap;
use super::service_text;
use crate::output::printable;
use nxcd::serialize_bytes_entry;

/// Schema of `nx log query --json`.
pub const QUERY_SCHEMA: &str = "nx.log.query/1";
/// Schema of each line of `nx log tail --json`.
pub const TAIL_SCHEMA: &str = "nx.log.tail/1";

/// A monotonic stamp as `seconds.nanoseconds`.
pub fn stamp_text(nsec: u64) -> String {
    format!("{}.{:09}", nsec / 1_000_000_000, nsec % 1_000_000_000)
}

/// `#ID  SECONDS  UID:PID  L  SCOPE: MESSAGE  [key=value ...]`.
pub fn record_line(r: &Record) -> String {
    let mut line = format!(
        "#{} {} {} {} {}: {}",
        r.record_id,
        stamp_text(r.timestamp_nsec),
        service_text(r.service_id),
        paint(level_style(r.level as u8), r.level.letter()),
        printable(&r.scope),
        printable(&r.message)
    );
    if !r.fields.is_empty() {
        let fields = match Fields::parse(&r.fields) {
            Ok(fields) => fields
                .iter()
                .map(|(k, v)| format!("{k}={}", printable(v.as_bytes())))
                .collect::<Vec<_>>()
                .join(" "),
            Err(_) => printable(&r.fields),
        };
        line.push_str(&format!(" [{fields}]"));
    }
    line
}

/// `-- gap: N records dropped (ids A..=B) --`.
pub fn gap_line(g: &Gap) -> String {
    format!(
        "-- gap: {} records dropped (ids {}..={}) --",
        g.count(),
        g.first_id,
        g.last_id
    )
}

/// A record in JSON; with `tail` set, it carries the tail schema and `"kind": "record"`.
pub struct RecordOut<'a> {
    /// The record.
    pub record: &'a Record,
    /// Whether this is a line of `nx log tail --json`.
    pub tail: bool,
}

impl Serialize for RecordOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.record;
        let mut map = s.serialize_map(None)?;
        if self.tail {
            map.serialize_entry("schema", TAIL_SCHEMA)?;
            map.serialize_entry("kind", "record")?;
        }
        map.serialize_entry("id", &r.record_id)?;
        map.serialize_entry("timestamp_nsec", &r.timestamp_nsec)?;
        map.serialize_entry("service_id", &r.service_id.0)?;
        map.serialize_entry("uid", &r.service_id.uid())?;
        map.serialize_entry("pid", &r.service_id.pid())?;
        map.serialize_entry("level", &(r.level as u8))?;
        map.serialize_entry("level_name", r.level.name())?;
        serialize_bytes_entry(&mut map, "scope", &r.scope)?;
        serialize_bytes_entry(&mut map, "message", &r.message)?;
        serialize_bytes_entry(&mut map, "fields", &r.fields)?;
        let kv: Option<BTreeMap<&str, &str>> = None;
        match Fields::parse(&r.fields) {
            Ok(fields) => {
                let kv: BTreeMap<&str, &str> = fields.iter().collect();
                map.serialize_entry("fields_kv", &kv)?;
            }
            Err(_) => map.serialize_entry("fields_kv", &kv)?,
        }
        map.end()
    }
}

/// A gap in JSON; with `tail` set, it carries the tail schema and `"kind": "gap"`.
pub struct GapOut {
    /// The gap.
    pub gap: Gap,
    /// Whether this is a line of `nx log tail --json`.
    pub tail: bool,
}

impl Serialize for GapOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = &self.gap;
        let mut map = s.serialize_map(None)?;
        if self.tail {
            map.serialize_entry("schema", TAIL_SCHEMA)?;
            map.serialize_entry("kind", "gap")?;
        }
        map.serialize_entry("first_id", &g.first_id)?;
        map.serialize_entry("last_id", &g.last_id)?;
        map.serialize_entry("count", &g.count())?;
        map.serialize_entry("dropped", &g.dropped)?;
        map.end()
    }
}

/// `nx log query --json`.
#[derive(Serialize)]
pub struct QueryOutput<'a> {
    /// Schema id.
    pub schema: &'static str,
    /// The journal's `total` when the query ended.
    pub total: u64,
    /// Records shown, oldest first.
    pub records: Vec<RecordOut<'a>>,
    /// Gaps met while paging.
    pub gaps: Vec<GapOut>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use logd::{Level, ServiceId};

    fn record(message: &[u8], fields: &[u8]) -> Record {
        Record {
            record_id: 7,
            timestamp_nsec: 12_000_000_345,
            service_id: ServiceId::from_uid_pid(1000, 42),
            level: Level::Warn,
            scope: b"netd".to_vec(),
            message: message.to_vec(),
            fields: fields.to_vec(),
        }
    }

    /// A line as a pipe receives it (the level letter's colour stripped).
    fn plain(line: &str) -> String {
        anstream::adapter::strip_str(line).to_string()
    }

    #[test]
    fn the_level_letter_is_painted_for_a_terminal() {
        let line = record_line(&record(b"m", b""));
        assert!(line.contains("\u{1b}["), "{line:?}");
    }

    #[test]
    fn record_lines_are_one_line_and_escaped() {
        assert_eq!(
            plain(&record_line(&record(b"link down", b"if=eth0\nspeed=10"))),
            "#7 12.000000345 1000:42 W netd: link down [if=eth0 speed=10]"
        );
        assert_eq!(
            plain(&record_line(&record(b"a\nb\xff", b""))),
            "#7 12.000000345 1000:42 W netd: a\\nb\\xff"
        );
        assert_eq!(
            plain(&record_line(&record(b"m", b"not fields"))),
            "#7 12.000000345 1000:42 W netd: m [not fields]"
        );
    }

    #[test]
    fn json_uses_b64_for_non_utf8_and_parses_fields() {
        let r = record(b"\xff", b"a=1");
        let v = serde_json::to_value(RecordOut {
            record: &r,
            tail: true,
        })
        .unwrap();
        assert_eq!(v["schema"], TAIL_SCHEMA);
        assert_eq!(v["kind"], "record");
        assert_eq!(v["message_b64"], "/w==");
        assert!(v.get("message").is_none());
        assert_eq!(v["fields_kv"]["a"], "1");
        assert_eq!(v["uid"], 1000);
        let gap = Gap {
            first_id: 3,
            last_id: 5,
            dropped: 5,
        };
        let v = serde_json::to_value(GapOut { gap, tail: false }).unwrap();
        assert_eq!(v["count"], 3);
        assert!(v.get("kind").is_none());
        assert_eq!(gap_line(&gap), "-- gap: 3 records dropped (ids 3..=5) --");
    }
}
