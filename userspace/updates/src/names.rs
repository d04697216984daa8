//! Validated names shared by manifests, indexes and archive entries: [`BundleName`],
//! [`BoardName`], and semver parsing for [`Version`] fields.
//!
//! A bundle name can never name a path (no separator, no leading dot, no `..`), so the
//! member name `<name>.nxb` is always a plain file name.

use alloc::string::{String, ToString};
use core::fmt;

pub use semver::Version;

use crate::{Document, Error};

/// Longest bundle name in bytes.
pub const MAX_BUNDLE_NAME_LEN: usize = 64;
/// Longest board name in bytes.
pub const MAX_BOARD_NAME_LEN: usize = 32;

/// A bundle name: 1 to 64 bytes of `[a-z0-9._-]`, starting with `[a-z0-9]`, without
/// `..`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BundleName(String);

impl BundleName {
    /// Checks `name` against the rule above; the error names the reason.
    pub fn new(name: &str) -> Result<Self, &'static str> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_BUNDLE_NAME_LEN {
            return Err("must be 1 to 64 characters");
        }
        if !bytes[0].is_ascii_lowercase() && !bytes[0].is_ascii_digit() {
            return Err("must start with a-z or 0-9");
        }
        if !bytes.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        }) {
            return Err("may contain only a-z, 0-9, '.', '_' and '-'");
        }
        if name.contains("..") {
            return Err("must not contain \"..\"");
        }
        Ok(BundleName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The archive member name of this bundle in a system-set: `<name>.nxb`.
    pub fn member_name(&self) -> String {
        let mut s = self.0.clone();
        s.push_str(".nxb");
        s
    }
}

impl fmt::Display for BundleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A board name: 1 to 32 bytes of `[a-z0-9-]` (the project's shared vocabulary).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BoardName(String);

impl BoardName {
    /// Checks `name` against the rule above; the error names the reason.
    pub fn new(name: &str) -> Result<Self, &'static str> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_BOARD_NAME_LEN {
            return Err("must be 1 to 32 characters");
        }
        if !bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err("may contain only a-z, 0-9 and '-'");
        }
        Ok(BoardName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BoardName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a semver field of a document, refusing anything whose canonical spelling
/// differs (so the field round-trips byte for byte).
pub(crate) fn parse_version(
    text: &str,
    document: Document,
    field: &'static str,
) -> Result<Version, Error> {
    let invalid = |reason| Error::InvalidField {
        document,
        field,
        reason,
    };
    let version = Version::parse(text).map_err(|_| invalid("not a semver 2.0.0 version"))?;
    if version.to_string() != text {
        return Err(invalid("not in canonical semver form"));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_names_follow_the_rule() {
        for ok in ["a", "samgrd", "com.example.app", "x_1-2", "9lives"] {
            assert!(BundleName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "A",
            "a/b",
            "a..b",
            "a b",
            "ü",
            &"a".repeat(65),
        ] {
            assert!(BundleName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn board_names_follow_the_rule() {
        assert!(BoardName::new("qemu-virt").is_ok());
        for bad in ["", "Qemu", "qemu_virt", "a.b", &"b".repeat(33)] {
            assert!(BoardName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_must_be_canonical_semver() {
        assert!(parse_version("1.2.3-rc.1+build.5", Document::Index, "v").is_ok());
        for bad in ["1.2", "v1.2.3", "01.2.3", " 1.2.3"] {
            assert!(parse_version(bad, Document::Index, "v").is_err(), "{bad}");
        }
    }
}
