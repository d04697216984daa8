//! Hex text forms used in the JSON sections: addresses (`"0x1f00"`) and Build-IDs
//! (`"9c1e..."`). Writers emit lowercase; readers accept either case.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{de, Deserialize, Deserializer, Serializer};

use crate::error::Error;

/// Longest Build-ID accepted, in bytes (GNU build-ids are 20; SHA-256 ones 32).
pub const MAX_BUILD_ID_LEN: usize = 64;

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses `0x` followed by 1 to 16 hex digits.
pub fn parse_address(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    digits
        .bytes()
        .try_fold(0u64, |acc, c| Some((acc << 4) | u64::from(hex_digit(c)?)))
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

/// A module's Build-ID: 1 to [`MAX_BUILD_ID_LEN`] bytes, written as lowercase hex.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildId(Vec<u8>);

impl BuildId {
    /// Wraps raw Build-ID bytes.
    pub fn new(bytes: &[u8]) -> Result<BuildId, Error> {
        if bytes.is_empty() || bytes.len() > MAX_BUILD_ID_LEN {
            return Err(Error::InvalidValue {
                field: "build_id",
                reason: "must be 1 to 64 bytes",
            });
        }
        Ok(BuildId(bytes.to_vec()))
    }

    /// Parses the hex form (an even number of hex digits, 2 to 128 of them).
    pub fn from_hex(text: &str) -> Result<BuildId, Error> {
        let invalid = Error::InvalidValue {
            field: "build_id",
            reason: "must be an even number (2 to 128) of hex digits",
        };
        if text.is_empty() || !text.len().is_multiple_of(2) || text.len() > 2 * MAX_BUILD_ID_LEN {
            return Err(invalid);
        }
        let mut out = Vec::with_capacity(text.len() / 2);
        for pair in text.as_bytes().chunks_exact(2) {
            match pair {
                [hi, lo] => match (hex_digit(*hi), hex_digit(*lo)) {
                    (Some(hi), Some(lo)) => out.push((hi << 4) | lo),
                    _ => return Err(invalid),
                },
                _ => return Err(invalid),
            }
        }
        Ok(BuildId(out))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The lowercase hex form.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            // Writing to a String cannot fail.
            let _ = fmt::Write::write_fmt(&mut out, format_args!("{b:02x}"));
        }
        out
    }
}

impl fmt::Display for BuildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for BuildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BuildId({self})")
    }
}

impl serde::Serialize for BuildId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for BuildId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BuildId, D::Error> {
        let text = String::deserialize(d)?;
        BuildId::from_hex(&text).map_err(de::Error::custom)
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
    fn build_ids_roundtrip_and_reject_bad_hex() {
        let id = BuildId::from_hex("00A1ff").unwrap();
        assert_eq!(id.as_bytes(), &[0x00, 0xa1, 0xff]);
        assert_eq!(id.to_hex(), "00a1ff");
        for bad in ["", "0", "zz", "abc"] {
            assert!(BuildId::from_hex(bad).is_err(), "{bad:?}");
        }
        assert!(BuildId::from_hex(&"ab".repeat(65)).is_err());
        assert!(BuildId::new(&[]).is_err());
    }
}
