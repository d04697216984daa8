//! `logs.jsonl`: logd records, one JSON object per line, in journal order.
//!
//! Byte fields that may not be UTF-8 (`scope`, `message`, `fields`) are JSON strings
//! when they are valid UTF-8, and otherwise standard base64 (with padding) under the same
//! key with a `_b64` suffix (`message_b64`). Exactly one of the two keys is present.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use serde::ser::SerializeMap;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

pub use logd::Level;

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

/// One logd record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Record id (monotonic per boot, from 1).
    pub id: u64,
    /// Timestamp in nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// The sender's service id, as the kernel reported it to logd.
    pub service_id: u64,
    /// Severity.
    pub level: Level,
    /// Scope bytes (usually UTF-8).
    pub scope: Vec<u8>,
    /// Message bytes (usually UTF-8).
    pub message: Vec<u8>,
    /// The opaque fields blob (by convention `key=value` lines).
    pub fields: Vec<u8>,
}

/// Writes `bytes` under `key` as text, or under `key_b64` as base64 when not UTF-8.
fn serialize_bytes<M: SerializeMap>(
    map: &mut M,
    key: &'static str,
    key_b64: &'static str,
    bytes: &[u8],
) -> Result<(), M::Error> {
    match core::str::from_utf8(bytes) {
        Ok(text) => map.serialize_entry(key, text),
        Err(_) => map.serialize_entry(
            key_b64,
            &base64::engine::general_purpose::STANDARD.encode(bytes),
        ),
    }
}

impl Serialize for LogRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Keys in sorted order; a key and its `_b64` twin sort the same relative to the rest.
        let mut map = s.serialize_map(Some(7))?;
        serialize_bytes(&mut map, "fields", "fields_b64", &self.fields)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("level", &(self.level as u8))?;
        serialize_bytes(&mut map, "message", "message_b64", &self.message)?;
        serialize_bytes(&mut map, "scope", "scope_b64", &self.scope)?;
        map.serialize_entry("service_id", &self.service_id)?;
        map.serialize_entry("ts_ns", &self.ts_ns)?;
        map.end()
    }
}

#[derive(Deserialize)]
struct LogRecordIn {
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

impl<'de> Deserialize<'de> for LogRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LogRecord, D::Error> {
        let r = LogRecordIn::deserialize(d)?;
        let missing = |key| de::Error::custom(format_args!("missing `{key}` (or `{key}_b64`)"));
        Ok(LogRecord {
            id: r.id,
            ts_ns: r.ts_ns,
            service_id: r.service_id,
            level: r.level,
            scope: decode_bytes("scope", r.scope, r.scope_b64)?.ok_or_else(|| missing("scope"))?,
            message: decode_bytes("message", r.message, r.message_b64)?
                .ok_or_else(|| missing("message"))?,
            fields: decode_bytes("fields", r.fields, r.fields_b64)?.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(message: &[u8]) -> LogRecord {
        LogRecord {
            id: 7,
            ts_ns: 1_000,
            service_id: 3,
            level: Level::Warn,
            scope: b"svc".to_vec(),
            message: message.to_vec(),
            fields: b"k=v\n".to_vec(),
        }
    }

    #[test]
    fn utf8_bytes_are_strings_and_others_base64() {
        let text = serde_json::to_string(&record(b"hello")).unwrap();
        assert_eq!(
            text,
            r#"{"fields":"k=v\n","id":7,"level":2,"message":"hello","scope":"svc","service_id":3,"ts_ns":1000}"#
        );
        let binary = serde_json::to_string(&record(&[0xff, 0x00])).unwrap();
        assert!(binary.contains(r#""message_b64":"/wA=""#), "{binary}");
        for t in [text, binary] {
            let back: LogRecord = serde_json::from_str(&t).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), t);
        }
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
            assert!(serde_json::from_str::<LogRecord>(case).is_err(), "{case}");
        }
    }
}
