//! Validated names shared by manifests, indexes and archive entries: [`BundleName`],
//! [`BoardName`], and semver parsing for [`Version`] fields.
//!
//! This module owns the project's shared vocabulary of a system: board names
//! ([`BoardName`]) and system versions ([`parse_system_version`]). Both appear in the
//! system-set index (the candidate) and in the OS image's manifest (the running system);
//! the `image` crate checks its manifest with these same rules rather than its own, so a
//! candidate can always be compared with the system it would replace. They live here,
//! not in `image`, because updates is where the two are compared (board match,
//! anti-rollback) and `updates` depends on nothing of `image`'s.
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
/// Longest system version in bytes.
pub const MAX_SYSTEM_VERSION_LEN: usize = 64;

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

/// Parses semver text, refusing anything whose canonical spelling differs (so a field
/// round-trips byte for byte); the error names the reason.
fn parse_canonical(text: &str) -> Result<Version, &'static str> {
    let version = Version::parse(text).map_err(|_| "not a semver 2.0.0 version")?;
    if version.to_string() != text {
        return Err("not in canonical semver form");
    }
    Ok(version)
}

/// Parses a system version (the version of a whole system, in a system-set index or an
/// image manifest): canonical semver 2.0.0, at most [`MAX_SYSTEM_VERSION_LEN`] bytes. The
/// error names the reason.
pub fn parse_system_version(text: &str) -> Result<Version, &'static str> {
    if text.len() > MAX_SYSTEM_VERSION_LEN {
        return Err("longer than 64 bytes");
    }
    parse_canonical(text)
}

/// Parses a semver field of a document (see [`parse_canonical`]).
pub(crate) fn parse_version(
    text: &str,
    document: Document,
    field: &'static str,
) -> Result<Version, Error> {
    parse_canonical(text).map_err(|reason| Error::InvalidField {
        document,
        field,
        reason,
    })
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
    fn system_versions_are_canonical_semver_of_at_most_64_bytes() {
        assert!(parse_system_version("1.2.3").is_ok());
        assert!(parse_system_version("1.2.3-rc.1+b5").is_ok());
        let longest = alloc::format!("1.0.0-{}", "a".repeat(58));
        assert_eq!(longest.len(), 64);
        assert!(parse_system_version(&longest).is_ok());
        assert_eq!(
            parse_system_version(&alloc::format!("{longest}a")),
            Err("longer than 64 bytes")
        );
        for bad in ["1.2", "v1.2.3", "01.2.3", " 1.2.3", ""] {
            assert!(parse_system_version(bad).is_err(), "{bad}");
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
