//! [`BuildId`]: the one Build-ID type of the crash pipeline. The symbol index is keyed by
//! it, and `.nxcd` dumps (through `nxcd`, which re-exports it) name their modules with
//! it, so a dump's module and its index entry are compared as the same value.
//!
//! It lives here, the lowest crate of the pipeline (`nxcd` depends on `symindex`, never
//! the reverse). Its text form is lowercase hex (readers accept either case); with the
//! `serde` feature it is a JSON string in that form.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Longest Build-ID accepted, in bytes (GNU build-ids are 20; SHA-256 ones 32).
pub const MAX_BUILD_ID_LEN: usize = 64;

/// Why bytes or text are not a Build-ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildIdError {
    /// The raw bytes are empty or longer than [`MAX_BUILD_ID_LEN`].
    Length,
    /// The text is not an even number (2 to 128) of hex digits.
    Hex,
}

impl BuildIdError {
    /// Why the value is invalid, as a phrase that follows "invalid build_id: ".
    pub fn reason(self) -> &'static str {
        match self {
            BuildIdError::Length => "must be 1 to 64 bytes",
            BuildIdError::Hex => "must be an even number (2 to 128) of hex digits",
        }
    }
}

impl fmt::Display for BuildIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid build_id: {}", self.reason())
    }
}

impl core::error::Error for BuildIdError {}

/// A module's Build-ID: 1 to [`MAX_BUILD_ID_LEN`] bytes, written as lowercase hex.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildId(Vec<u8>);

impl BuildId {
    /// Wraps raw Build-ID bytes.
    pub fn new(bytes: &[u8]) -> Result<BuildId, BuildIdError> {
        if bytes.is_empty() || bytes.len() > MAX_BUILD_ID_LEN {
            return Err(BuildIdError::Length);
        }
        Ok(BuildId(bytes.to_vec()))
    }

    /// Parses the hex form (an even number of hex digits, 2 to 128 of them, either case).
    pub fn from_hex(text: &str) -> Result<BuildId, BuildIdError> {
        if text.is_empty() || text.len() > 2 * MAX_BUILD_ID_LEN {
            return Err(BuildIdError::Hex);
        }
        hex::decode(text)
            .map(BuildId)
            .map_err(|_| BuildIdError::Hex)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The lowercase hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl fmt::Display for BuildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BuildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BuildId({self})")
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for BuildId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for BuildId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<BuildId, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        BuildId::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_ids_roundtrip_and_reject_bad_hex() {
        let id = BuildId::from_hex("00A1ff").unwrap();
        assert_eq!(id.as_bytes(), &[0x00, 0xa1, 0xff]);
        assert_eq!(id.to_hex(), "00a1ff");
        assert_eq!(alloc::format!("{id} {id:?}"), "00a1ff BuildId(00a1ff)");
        for bad in ["", "0", "zz", "abc", " 00"] {
            assert_eq!(BuildId::from_hex(bad), Err(BuildIdError::Hex), "{bad:?}");
        }
        assert!(BuildId::from_hex(&"ab".repeat(64)).is_ok());
        assert_eq!(BuildId::from_hex(&"ab".repeat(65)), Err(BuildIdError::Hex));
    }

    #[test]
    fn build_ids_are_1_to_64_bytes() {
        assert_eq!(BuildId::new(&[]), Err(BuildIdError::Length));
        assert!(BuildId::new(&[7; 64]).is_ok());
        assert_eq!(BuildId::new(&[7; 65]), Err(BuildIdError::Length));
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        assert_eq!(
            alloc::string::ToString::to_string(&BuildIdError::Hex),
            "invalid build_id: must be an even number (2 to 128) of hex digits"
        );
    }
}
