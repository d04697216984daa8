//! `logs.jsonl`: logd records, one JSON object per line, in journal order.
//!
//! A record in memory is logd's own [`Record`] (re-exported as [`LogRecord`]): the crash
//! service copies journal records into a dump without converting them, and the record's
//! origin is logd's [`ServiceId`]. Only the file keys differ from the field names, and they
//! are fixed within a major version: `id` (`record_id`), `ts_ns` (`timestamp_nsec`),
//! `service_id`, `level`, `scope`, `message`, `fields`.
//!
//! Byte fields that may not be UTF-8 (`scope`, `message`, `fields`) follow the project's
//! one `_b64` rule, [`serialize_bytes_entry`]: JSON strings when they are valid UTF-8,
//! and otherwise standard base64 (with padding) under the same key with a `_b64` suffix
//! (`message_b64`). Exactly one of the two keys is present.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use serde::ser::SerializeMap;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

use logd::Record;
pub use logd::{Level, ServiceId};

/// One logd record, as a dump holds it: logd's [`Record`] itself.
pub type LogRecord = Record;

/// The level for a logd level number (1 to 5), as `logs.jsonl` stores it.
pub fn level_from_number(n: u64) -> Result<Level, Error> {
    u8::try_from(n)
        .ok()
        .and_then(Level::from_byte)
        .ok_or(Error::InvalidValue {
            field: "level",
            reason: "must be 1 (error) to 5 (trace)",
        })
}

/// Writes `bytes` under `key` as text when they are valid UTF-8, and otherwise as
/// standard base64 (padded) under `key` with a `_b64` suffix: the project's one rule for
/// bytes in JSON, used by `logs.jsonl` and by the tools' JSON output.
pub fn serialize_bytes_entry<M: SerializeMap>(
    map: &mut M,
    key: &str,
    bytes: &[u8],
) -> Result<(), M::Error> {
    match core::str::from_utf8(bytes) {
        Ok(text) => map.serialize_entry(key, text),
        Err(_) => map.serialize_entry(
            &alloc::format!("{key}_b64"),
            &base64::engine::general_purpose::STANDARD.encode(bytes),
        ),
    }
}

/// The `logs.jsonl` form of a record (keys in sorted order; a key and its `_b64` twin
/// sort the same relative to the rest).
pub(crate) struct LogLine<'a>(pub(crate) &'a Record);

impl Serialize for LogLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(Some(7))?;
        serialize_bytes_entry(&mut map, "fields", &r.fields)?;
        map.serialize_entry("id", &r.record_id)?;
        map.serialize_entry("level", &(r.level as u8))?;
        serialize_bytes_entry(&mut map, "message", &r.message)?;
        serialize_bytes_entry(&mut map, "scope", &r.scope)?;
        map.serialize_entry("service_id", &r.service_id.0)?;
        map.serialize_entry("ts_ns", &r.timestamp_nsec)?;
        map.end()
    }
}

#[derive(Deserialize)]
struct LogLineIn {
    #[serde(default)]
    fields: Option<String>,
    #[serde(default)]
    fields_b64: Option<String>,
    id: u64,
    #[serde(deserialize_with = "deserialize_level")]
    level: Level,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    message_b64: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scope_b64: Option<String>,
    service_id: u64,
    ts_ns: u64,
}

/// Reads a level number while parsing, so an error carries its position in the JSON.
fn deserialize_level<'de, D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
    level_from_number(u64::deserialize(d)?).map_err(de::Error::custom)
}

/// Reads one byte field from its text or base64 form; `None` if both are absent.
fn decode_bytes<E: de::Error>(
    key: &'static str,
    text: Option<String>,
    b64: Option<String>,
) -> Result<Option<Vec<u8>>, E> {
    match (text, b64) {
        (Some(_), Some(_)) => Err(E::custom(format_args!(
            "both `{key}` and `{key}_b64` are present"
        ))),
        (Some(text), None) => Ok(Some(text.into_bytes())),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map(Some)
            .map_err(|_| E::custom(format_args!("`{key}_b64` is not valid base64"))),
        (None, None) => Ok(None),
    }
}

/// Reads one `logs.jsonl` line into a record.
pub(crate) struct LogLineOwned(pub(crate) Record);

impl LogLineIn {
    fn into_record<E: de::Error>(self) -> Result<Record, E> {
        let missing = |key| E::custom(format_args!("missing `{key}` (or `{key}_b64`)"));
        Ok(Record {
            record_id: self.id,
            timestamp_nsec: self.ts_ns,
            service_id: ServiceId(self.service_id),
            level: self.level,
            scope: decode_bytes("scope", self.scope, self.scope_b64)?
                .ok_or_else(|| missing("scope"))?,
            message: decode_bytes("message", self.message, self.message_b64)?
                .ok_or_else(|| missing("message"))?,
            fields: decode_bytes("fields", self.fields, self.fields_b64)?.unwrap_or_default(),
        })
    }
}

/// Decodes the record inside the JSON decoder's map visit, so that an error in the
/// record (both keys of a pair, bad base64, a missing key) carries the line and column.
struct LogLineVisitor;

impl<'de> de::Visitor<'de> for LogLineVisitor {
    type Value = LogLineOwned;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a logd record object")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<LogLineOwned, A::Error> {
        let line = LogLineIn::deserialize(de::value::MapAccessDeserializer::new(map))?;
        line.into_record().map(LogLineOwned)
    }
}

impl<'de> Deserialize<'de> for LogLineOwned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LogLineOwned, D::Error> {
        d.deserialize_map(LogLineVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(message: &[u8]) -> Record {
        Record {
            record_id: 7,
            timestamp_nsec: 1_000,
            service_id: ServiceId(3),
            level: Level::Warn,
            scope: b"svc".to_vec(),
            message: message.to_vec(),
            fields: b"k=v\n".to_vec(),
        }
    }

    fn line(r: &Record) -> String {
        serde_json::to_string(&LogLine(r)).unwrap()
    }

    #[test]
    fn utf8_bytes_are_strings_and_others_base64() {
        let text = line(&record(b"hello"));
        assert_eq!(
            text,
            r#"{"fields":"k=v\n","id":7,"level":2,"message":"hello","scope":"svc","service_id":3,"ts_ns":1000}"#
        );
        let binary = line(&record(&[0xff, 0x00]));
        assert!(binary.contains(r#""message_b64":"/wA=""#), "{binary}");
        for t in [text, binary] {
            let back: LogLineOwned = serde_json::from_str(&t).unwrap();
            assert_eq!(line(&back.0), t);
        }
    }

    #[test]
    fn the_record_is_logd_s_own_type() {
        let r: logd::Record = record(b"m");
        let back: LogLineOwned = serde_json::from_str(&line(&r)).unwrap();
        assert_eq!(back.0, r);
    }

    #[test]
    fn rejects_bad_records() {
        let cases = [
            r#"{"id":1,"level":6,"message":"m","scope":"s","service_id":1,"ts_ns":1}"#,
            r#"{"id":1,"level":0,"message":"m","scope":"s","service_id":1,"ts_ns":1}"#,
            r#"{"id":1,"level":1,"scope":"s","service_id":1,"ts_ns":1}"#,
            r#"{"id":1,"level":1,"message":"m","message_b64":"bQ==","scope":"s","service_id":1,"ts_ns":1}"#,
            r#"{"id":1,"level":1,"message_b64":"!!","scope":"s","service_id":1,"ts_ns":1}"#,
        ];
        for case in cases {
            assert!(
                serde_json::from_str::<LogLineOwned>(case).is_err(),
                "{case}"
            );
        }
    }
}
