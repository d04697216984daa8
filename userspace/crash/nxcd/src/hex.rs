//! Hex text forms used in the JSON sections: addresses (`"0x1f00"`) and Build-IDs
//! (`"9c1e..."`). Writers emit lowercase; readers accept either case.
//!
//! [`BuildId`] is `symindex`'s (the index is keyed by it), re-exported here, so a dump's
//! module and its index entry are the same type; its JSON form is a hex string.

use alloc::string::String;

use serde::{de, Deserialize, Deserializer, Serializer};

pub use symindex::{BuildId, MAX_BUILD_ID_LEN};

/// Parses `0x` followed by 1 to 16 hex digits (either case; no sign, no spaces).
pub fn parse_address(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// Formats an address as `0x` followed by lowercase hex digits, without padding.
pub fn format_address(addr: u64) -> String {
    alloc::format!("{addr:#x}")
}

/// Serde adapter: a `u64` stored as an address string (`"0x80001f00"`).
pub mod address {
    use super::*;

    /// Serializes an address as a hex string.
    pub fn serialize<S: Serializer>(addr: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_address(*addr))
    }

    /// Deserializes an address from a hex string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        parse_address(&text).ok_or_else(|| {
            de::Error::custom("invalid address: expected \"0x\" and 1 to 16 hex digits")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_roundtrip_and_reject_bad_text() {
        assert_eq!(parse_address("0x0"), Some(0));
        assert_eq!(parse_address("0xFFFFFFFFFFFFFFFF"), Some(u64::MAX));
        assert_eq!(format_address(0x8000_1f00), "0x80001f00");
        for bad in ["", "0x", "12", "0x10000000000000000", "0xg", "0X1"] {
            assert_eq!(parse_address(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn addresses_refuse_signs_and_spaces() {
        for bad in ["0x+1", "0x-1", "0x 1", "0x1 "] {
            assert_eq!(parse_address(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn build_ids_are_json_hex_strings() {
        let id = BuildId::from_hex("00A1ff").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""00a1ff""#);
        assert_eq!(serde_json::from_str::<BuildId>(r#""00a1ff""#).unwrap(), id);
        let err = serde_json::from_str::<BuildId>(r#""abc""#).unwrap_err();
        assert!(
            alloc::format!("{err}")
                .starts_with("invalid build_id: must be an even number (2 to 128) of hex digits"),
            "{err}"
        );
    }
}
