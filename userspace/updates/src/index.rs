//! `system.nxsindex`: the index of a system-set ([`SystemSetIndex`]), in canonical
//! Cap'n Proto (`tools/nexus-idl/schemas/system-set.capnp`,
//! `docs/packaging/system-set.md`).
//!
//! Decoding accepts only the canonical encoding of a valid index: format version 1,
//! semver versions, a valid board name and publisher key, bundles sorted by name with
//! unique names, 32-byte digests.

use alloc::string::ToString;
use alloc::vec::Vec;

use signing::PublicKey;

use crate::canonical;
use crate::names::{parse_system_version, parse_version};
use crate::schema::system_set_capnp::{bundle_entry, system_set_index};
use crate::{BoardName, BundleName, Document, Error, Version};

/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest `system.nxsindex` accepted or written.
pub const MAX_INDEX_LEN: usize = 1024 * 1024;
/// Most bundles a system-set may hold.
pub const MAX_BUNDLES: usize = 1024;

const DOC: Document = Document::Index;

/// One bundle of a system-set, as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleEntry {
    /// The bundle's name; its archive member is `<name>.nxb`.
    pub name: BundleName,
    /// The bundle's version (as in its manifest).
    pub version: Version,
    /// SHA-256 of the whole `.nxb` member.
    pub sha256: [u8; 32],
    /// Length of the `.nxb` member in bytes.
    pub size: u64,
}

/// The content of `system.nxsindex`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemSetIndex {
    /// Version of the whole system.
    pub system_version: Version,
    /// Build time in seconds since the Unix epoch; every member's mtime.
    pub timestamp: u64,
    /// The publisher's public key: the key that signs the index.
    pub publisher: PublicKey,
    /// The board the system-set is built for.
    pub board: BoardName,
    /// The bundles, sorted by name (names unique).
    pub bundles: Vec<BundleEntry>,
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    Error::InvalidField {
        document: DOC,
        field,
        reason,
    }
}

fn decode_err(field: &'static str) -> impl Fn(capnp::Error) -> Error {
    move |_| Error::Decode {
        document: DOC,
        field,
    }
}

impl SystemSetIndex {
    /// Sorts the bundles by name (the canonical order).
    pub fn normalize(&mut self) {
        self.bundles.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// The canonical bytes: `system.nxsindex` as stored and signed.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        if self.bundles.len() > MAX_BUNDLES {
            return Err(invalid("bundles", "more than 1024 bundles"));
        }
        if self.bundles.windows(2).any(|w| w[0].name >= w[1].name) {
            return Err(invalid("bundles", "names must be sorted and unique"));
        }
        let system_version = self.system_version.to_string();
        parse_system_version(&system_version).map_err(|reason| invalid("systemVersion", reason))?;
        let mut message = capnp::message::Builder::new_default();
        {
            let mut root = message.init_root::<system_set_index::Builder<'_>>();
            root.set_format_version(FORMAT_VERSION);
            root.set_system_version(system_version.as_str());
            root.set_timestamp(self.timestamp);
            root.set_publisher(self.publisher.as_bytes());
            root.set_board(self.board.as_str());
            let mut list = root.init_bundles(self.bundles.len() as u32);
            for (i, b) in self.bundles.iter().enumerate() {
                let mut e: bundle_entry::Builder<'_> = list.reborrow().get(i as u32);
                e.set_name(b.name.as_str());
                e.set_version(b.version.to_string().as_str());
                e.set_sha256(&b.sha256);
                e.set_size(b.size);
            }
        }
        canonical::encode(message, DOC, MAX_INDEX_LEN)
    }

    /// Decodes `system.nxsindex` bytes, refusing anything but the canonical encoding of
    /// a valid index. Call it only on bytes whose signature has been verified.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let index = canonical::decode(bytes, DOC, MAX_INDEX_LEN, |message| {
            let root: system_set_index::Reader<'_> =
                message.get_root().map_err(decode_err("message"))?;
            if root.get_format_version() != FORMAT_VERSION {
                return Err(invalid("formatVersion", "unsupported format version"));
            }
            let text = |r, field| canonical::text(r, DOC, field);
            let system_version =
                parse_system_version(&text(root.get_system_version(), "systemVersion")?)
                    .map_err(|reason| invalid("systemVersion", reason))?;
            let publisher = canonical::public_key(root.get_publisher(), DOC, "publisher")?;
            let board = text(root.get_board(), "board")?;
            let board = BoardName::new(&board).map_err(|reason| invalid("board", reason))?;
            let list = root.get_bundles().map_err(decode_err("bundles"))?;
            if list.len() as usize > MAX_BUNDLES {
                return Err(invalid("bundles", "more than 1024 bundles"));
            }
            let mut bundles = Vec::with_capacity(list.len() as usize);
            for e in list.iter() {
                let name = text(e.get_name(), "bundles.name")?;
                let name =
                    BundleName::new(&name).map_err(|reason| invalid("bundles.name", reason))?;
                let version = parse_version(
                    &text(e.get_version(), "bundles.version")?,
                    DOC,
                    "bundles.version",
                )?;
                let sha256: [u8; 32] = e
                    .get_sha256()
                    .map_err(decode_err("bundles.sha256"))?
                    .try_into()
                    .map_err(|_| invalid("bundles.sha256", "not 32 bytes"))?;
                bundles.push(BundleEntry {
                    name,
                    version,
                    sha256,
                    size: e.get_size(),
                });
            }
            Ok(SystemSetIndex {
                system_version,
                timestamp: root.get_timestamp(),
                publisher,
                board,
                bundles,
            })
        })?;
        if index.encode()? != bytes {
            return Err(Error::NotCanonical { document: DOC });
        }
        Ok(index)
    }

    /// The SHA-256 of the canonical index bytes: the identity of the system-set.
    pub fn digest_of(index_bytes: &[u8]) -> crate::SystemSetDigest {
        use sha2::Digest;
        crate::SystemSetDigest(sha2::Sha256::digest(index_bytes).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use signing::SecretKey;

    fn sample() -> SystemSetIndex {
        SystemSetIndex {
            system_version: Version::parse("1.0.0").unwrap(),
            timestamp: 1_700_000_000,
            publisher: SecretKey::from_seed([4; 32]).public_key(),
            board: BoardName::new("qemu-virt").unwrap(),
            bundles: vec![
                BundleEntry {
                    name: BundleName::new("a").unwrap(),
                    version: Version::parse("0.1.0").unwrap(),
                    sha256: [1; 32],
                    size: 10,
                },
                BundleEntry {
                    name: BundleName::new("b").unwrap(),
                    version: Version::parse("2.0.0-rc.1").unwrap(),
                    sha256: [2; 32],
                    size: 20,
                },
            ],
        }
    }

    #[test]
    fn roundtrips() {
        let bytes = sample().encode().unwrap();
        assert_eq!(SystemSetIndex::decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn refuses_unsorted_or_duplicate_bundles() {
        let mut i = sample();
        i.bundles.swap(0, 1);
        assert!(i.encode().is_err());
        let mut i = sample();
        i.bundles[1].name = i.bundles[0].name.clone();
        assert!(i.encode().is_err());
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = sample().encode().unwrap();
        for len in 0..bytes.len() {
            assert!(SystemSetIndex::decode(&bytes[..len]).is_err(), "{len}");
        }
    }
}
