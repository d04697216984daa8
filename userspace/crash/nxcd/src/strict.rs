//! The JSON rules every section's reader applies beyond RFC 8259, checked in one walk
//! over the whole value before it is decoded into its type, so that they hold for keys a
//! reader ignores as much as for those it reads:
//!
//! - the keys of one object are distinct (RFC 8259 leaves repeats to the implementation;
//!   here a repeat is an error, so no two readers can take different values);
//! - every string, key or value, is valid Unicode: the bytes are UTF-8 and a `\u` escape
//!   never leaves a surrogate unpaired.
//!
//! Errors are raised inside the JSON decoder, so they carry the line and column.

use alloc::collections::BTreeSet;
use alloc::string::String;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Any JSON value that obeys the rules above; it keeps nothing.
pub(crate) struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(CheckVisitor)
    }
}

struct CheckVisitor;

impl<'de> Visitor<'de> for CheckVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut keys = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if keys.contains(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            map.next_value::<Checked>()?;
            keys.insert(key);
        }
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &[u8]) -> Result<(), String> {
        serde_json::from_slice::<Checked>(text)
            .map(|_| ())
            .map_err(|e| alloc::format!("{e}"))
    }

    #[test]
    fn accepts_valid_json_of_every_kind() {
        for ok in [
            &br#"{"a":[1,-2,3.5,true,null,"x"],"b":{"a":1}}"#[..],
            br#""\ud83d\ude00""#,
            b"-0",
        ] {
            assert_eq!(check(ok), Ok(()), "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn rejects_repeated_keys_at_any_depth() {
        let err = check(br#"{"x":{"k":1,"k":2}}"#).unwrap_err();
        assert!(
            err.starts_with("duplicate key `k` at line 1 column"),
            "{err}"
        );
        assert!(check(br#"{"k":1,"k":1}"#).is_err());
    }

    #[test]
    fn rejects_lone_surrogates_and_bad_utf8_in_keys_and_values() {
        for bad in [
            &br#"{"unknown":"\ud800"}"#[..],
            br#"{"\udc00":1}"#,
            b"{\"k\":\"\xff\"}",
            b"{\"\xc3\":1}",
        ] {
            assert!(check(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
