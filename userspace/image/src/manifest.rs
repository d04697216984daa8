//! The image manifest: canonical JSON (keys sorted, no whitespace, one trailing newline)
//! naming the board, system version and profile, every byte range of the image (GPT
//! regions and segments) with offset, size and SHA-256, each segment's partition, and the
//! whole image's size and SHA-256. `os.sig` is an Ed25519 signature over these exact
//! bytes (see the `signing` crate).
//!
//! [`Manifest::parse`] accepts only the canonical encoding (re-encoding must give the
//! same bytes), so one manifest has exactly one signed form.

use alloc::borrow::ToOwned as _;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::compose::Composition;
use crate::layout::{RANGE_GPT_BACKUP, RANGE_GPT_PRIMARY, RANGE_MBR};
use crate::{
    parse_sha256_hex, to_hex, validate_board, validate_system_version, Error, SegmentName,
};

/// The `format` value of this manifest version.
pub const MANIFEST_FORMAT: &str = "nx-image-manifest/1";
/// Largest manifest accepted (64 KiB).
pub const MAX_MANIFEST_LEN: usize = 64 << 10;

/// A SHA-256 digest, serialized as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256(pub [u8; 32]);

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("sha256 must be lowercase hex"));
        }
        parse_sha256_hex(&text)
            .map(Sha256)
            .ok_or_else(|| serde::de::Error::custom("sha256 must be 64 hex digits"))
    }
}

/// Build profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Development: may be unsigned, may use the committed test keys.
    Dev,
    /// Release: signed, never with a test key; kernel, initrd and state required.
    Release,
}

impl Profile {
    /// The name used in the manifest and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Dev => "dev",
            Profile::Release => "release",
        }
    }

    /// The key policy that signing and verification apply under this profile.
    pub fn key_policy(self) -> signing::KeyPolicy {
        match self {
            Profile::Dev => signing::KeyPolicy::Development,
            Profile::Release => signing::KeyPolicy::Release,
        }
    }
}

/// How the manifest is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureKind {
    /// A detached Ed25519 signature over the manifest bytes accompanies it.
    Ed25519,
    /// Unsigned (dev profile only).
    None,
}

/// The whole image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageDigest {
    /// SHA-256 of every byte of the image.
    pub sha256: Sha256,
    /// Image size in bytes.
    pub size: u64,
}

/// A named byte range of the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// A segment name, or `protective-mbr`, `gpt-primary`, `gpt-backup`.
    pub name: String,
    /// Byte offset in the image.
    pub offset: u64,
    /// SHA-256 of the range's bytes.
    pub sha256: Sha256,
    /// Length in bytes.
    pub size: u64,
}

/// A segment's partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// First LBA.
    pub first_lba: u64,
    /// Unique partition GUID (text form).
    pub guid: String,
    /// Last LBA (inclusive).
    pub last_lba: u64,
    /// Partition size in bytes.
    pub size: u64,
}

/// One of the six segments, present or absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentEntry {
    /// Segment name.
    pub name: String,
    /// Its partition when present.
    pub partition: Option<Partition>,
    /// Whether the image holds the segment.
    pub present: bool,
}

/// The image manifest. Fields are declared in sorted order: serialization is canonical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Board name.
    pub board: String,
    /// Disk GUID (text form).
    pub disk_guid: String,
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// The whole image.
    pub image: ImageDigest,
    /// Build profile.
    pub profile: Profile,
    /// Every byte range, sorted by offset.
    pub ranges: Vec<Range>,
    /// All six segments in disk order.
    pub segments: Vec<SegmentEntry>,
    /// Whether a signature accompanies the manifest.
    pub signature: SignatureKind,
    /// System version (semver).
    pub system_version: String,
}

fn field(field: &str, reason: &'static str) -> Error {
    Error::ManifestField {
        field: field.to_owned(),
        reason,
    }
}

fn range_err(range: &str, reason: &'static str) -> Error {
    Error::ManifestRange {
        range: range.to_owned(),
        reason,
    }
}

impl Manifest {
    /// Builds the manifest of a composed image, given each range's SHA-256 (in the order
    /// of [`crate::Layout::ranges`]) and the whole image's.
    pub fn new(
        comp: &Composition,
        range_hashes: &[[u8; 32]],
        image_sha256: [u8; 32],
        signature: SignatureKind,
    ) -> Manifest {
        let ranges = comp
            .layout
            .ranges()
            .iter()
            .zip(range_hashes)
            .map(|(r, h)| Range {
                name: r.name.to_owned(),
                offset: r.offset,
                sha256: Sha256(*h),
                size: r.len,
            })
            .collect();
        let segments = SegmentName::ALL
            .iter()
            .map(|name| {
                let part = comp
                    .layout
                    .segment(*name)
                    .zip(comp.partitions.iter().find(|p| p.name == name.as_str()));
                SegmentEntry {
                    name: name.as_str().to_owned(),
                    partition: part.map(|(seg, p)| Partition {
                        first_lba: seg.first_lba(),
                        guid: crate::gpt::guid_to_string(&p.guid),
                        last_lba: seg.last_lba(),
                        size: seg.partition_len,
                    }),
                    present: part.is_some(),
                }
            })
            .collect();
        Manifest {
            board: comp.board.clone(),
            disk_guid: crate::gpt::guid_to_string(&comp.disk_guid),
            format: MANIFEST_FORMAT.to_owned(),
            image: ImageDigest {
                sha256: Sha256(image_sha256),
                size: comp.layout.total_len(),
            },
            profile: comp.profile,
            ranges,
            segments,
            signature,
            system_version: comp.system_version.clone(),
        }
    }

    /// The canonical bytes: compact JSON with sorted keys and a trailing newline.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing plain structs, strings and integers cannot fail.
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parses and validates a manifest; only the canonical encoding is accepted.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, Error> {
        if bytes.len() > MAX_MANIFEST_LEN {
            return Err(Error::ManifestTooLarge { size: bytes.len() });
        }
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| Error::ManifestSyntax {
            detail: format!("{e}"),
        })?;
        m.validate()?;
        if m.encode() != bytes {
            return Err(Error::ManifestSyntax {
                detail: "not in canonical form (compact JSON, sorted keys, one trailing newline)"
                    .to_owned(),
            });
        }
        Ok(m)
    }

    /// Checks every field: format, board, version, signature against profile, ranges
    /// (known names, unique, sorted, inside the image, not overlapping) and segments (all
    /// six in order, present exactly when a range holds them, partitions inside the disk).
    pub fn validate(&self) -> Result<(), Error> {
        if self.format != MANIFEST_FORMAT {
            return Err(field("format", "unsupported manifest format"));
        }
        validate_board(&self.board).map_err(|_| field("board", "not a valid board name"))?;
        validate_system_version(&self.system_version)
            .map_err(|_| field("system_version", "not semver"))?;
        if self.profile == Profile::Release && self.signature != SignatureKind::Ed25519 {
            return Err(field("signature", "a release manifest must be signed"));
        }
        if self.ranges.len() > SegmentName::ALL.len() + 3 {
            return Err(field("ranges", "too many ranges"));
        }
        let mut end = 0u64;
        for (i, r) in self.ranges.iter().enumerate() {
            let known = [RANGE_MBR, RANGE_GPT_PRIMARY, RANGE_GPT_BACKUP].contains(&r.name.as_str())
                || r.name.parse::<SegmentName>().is_ok();
            if !known {
                return Err(range_err(&r.name, "unknown range name"));
            }
            if self.ranges[..i].iter().any(|o| o.name == r.name) {
                return Err(range_err(&r.name, "listed twice"));
            }
            if r.size == 0 {
                return Err(range_err(&r.name, "empty"));
            }
            if r.offset < end {
                return Err(range_err(
                    &r.name,
                    "overlaps the previous range or is out of order",
                ));
            }
            end = r
                .offset
                .checked_add(r.size)
                .ok_or_else(|| range_err(&r.name, "offset + size overflows"))?;
            if end > self.image.size {
                return Err(range_err(&r.name, "extends past the end of the image"));
            }
        }
        for needed in [RANGE_MBR, RANGE_GPT_PRIMARY, RANGE_GPT_BACKUP] {
            if self.range(needed).is_none() {
                return Err(range_err(needed, "missing"));
            }
        }
        if self.segments.len() != SegmentName::ALL.len() {
            return Err(field("segments", "must list all six segments"));
        }
        for (entry, name) in self.segments.iter().zip(SegmentName::ALL) {
            if entry.name != name.as_str() {
                return Err(field("segments", "segments out of order or misnamed"));
            }
            let range = self.range(name.as_str());
            if entry.present != range.is_some() || entry.present != entry.partition.is_some() {
                return Err(range_err(
                    name.as_str(),
                    "present flag, partition and range disagree",
                ));
            }
            if let (Some(r), Some(p)) = (range, &entry.partition) {
                let start = p.first_lba.checked_mul(crate::SECTOR);
                let len_ok = p
                    .last_lba
                    .checked_sub(p.first_lba)
                    .and_then(|d| d.checked_add(1))
                    .and_then(|n| n.checked_mul(crate::SECTOR))
                    == Some(p.size);
                if start != Some(r.offset) || !len_ok || r.size > p.size {
                    return Err(range_err(name.as_str(), "range and partition disagree"));
                }
            }
        }
        Ok(())
    }

    /// The range called `name`.
    pub fn range(&self, name: &str) -> Option<&Range> {
        self.ranges.iter().find(|r| r.name == name)
    }

    /// The names of the segments the image holds, in disk order.
    pub fn present_segments(&self) -> impl Iterator<Item = &str> {
        self.segments
            .iter()
            .filter(|s| s.present)
            .map(|s| s.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::compose;
    use crate::Layout;

    fn sample() -> Manifest {
        let layout = Layout::plan(&[(SegmentName::Kernel, 100)], Some(64 << 10)).unwrap();
        let comp = compose(
            layout,
            &[(SegmentName::Kernel, [1; 32])],
            "qemu-virt",
            "1.0.0",
            Profile::Dev,
        )
        .unwrap();
        let n = comp.layout.ranges().len();
        Manifest::new(
            &comp,
            &alloc::vec![[7; 32]; n],
            [9; 32],
            SignatureKind::None,
        )
    }

    #[test]
    fn encoding_is_canonical_and_parses_back() {
        let m = sample();
        let bytes = m.encode();
        assert_eq!(Manifest::parse(&bytes).unwrap(), m);
        let text = core::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with("{\"board\":\"qemu-virt\",\"disk_guid\":"));
        assert!(text.ends_with("}\n"));
        let pretty = serde_json::to_vec_pretty(&m).unwrap();
        assert!(Manifest::parse(&pretty).is_err());
    }

    #[test]
    fn rejects_bad_fields_naming_them() {
        let mut m = sample();
        m.board = "Bad Board".to_owned();
        assert!(
            matches!(m.validate(), Err(Error::ManifestField { field, .. }) if field == "board")
        );
        let mut m = sample();
        m.ranges[2].offset = 0;
        assert!(
            matches!(m.validate(), Err(Error::ManifestRange { range, .. }) if range == "kernel")
        );
        let mut m = sample();
        m.profile = Profile::Release;
        assert!(m.validate().is_err());
        let mut m = sample();
        m.image.size = 10;
        assert!(m.validate().is_err());
        assert!(matches!(
            Manifest::parse(&alloc::vec![b' '; MAX_MANIFEST_LEN + 1]),
            Err(Error::ManifestTooLarge { .. })
        ));
    }
}
