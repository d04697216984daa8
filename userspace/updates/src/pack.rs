//! Writing system-sets: [`PackPlan`] turns metadata, bundle entries and a key into the
//! signed index and every byte around the bundles, so a streaming writer (the std
//! adapter, `nxs-pack`) and [`pack_system_set`] (in memory) produce the same archive.
//!
//! Layout (`docs/packaging/system-set.md`): `system.nxsindex`, `system.sig.ed25519`,
//! then `<name>.nxb` for each bundle sorted by name, every member with mtime = the
//! index's timestamp, then two zero blocks.

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};
use signing::{SecretKey, Signature};

use crate::index::BundleEntry;
use crate::nxb::read_bundle;
use crate::tar::{header, member_len, padding_len, BLOCK, END_BLOCKS};
use crate::verify::{INDEX_MEMBER, SIGNATURE_MEMBER};
use crate::{BoardName, Error, SystemSetIndex, Version};

/// What the system-set metadata file (`system-set.toml`) provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemSetMeta {
    /// Version of the whole system.
    pub system_version: Version,
    /// The board it is built for.
    pub board: BoardName,
    /// Seconds since the Unix epoch (`SOURCE_DATE_EPOCH`, else 0).
    pub timestamp: u64,
}

/// Everything of a system-set except the bundle bytes themselves.
#[derive(Debug, Clone)]
pub struct PackPlan {
    /// The index, bundles sorted by name.
    pub index: SystemSetIndex,
    /// Its canonical bytes.
    pub index_bytes: Vec<u8>,
    /// The signature over `index_bytes`.
    pub signature: Signature,
}

impl PackPlan {
    /// Builds and signs the index. `bundles` may come in any order; a name given twice
    /// is refused.
    pub fn new(
        meta: &SystemSetMeta,
        mut bundles: Vec<BundleEntry>,
        key: &SecretKey,
    ) -> Result<Self, Error> {
        bundles.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = bundles.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(Error::DuplicateEntry {
                entry: w[0].name.member_name(),
            });
        }
        let index = SystemSetIndex {
            system_version: meta.system_version.clone(),
            timestamp: meta.timestamp,
            publisher: key.public_key(),
            board: meta.board.clone(),
            bundles,
        };
        let index_bytes = index.encode()?;
        let signature = key.sign(&index_bytes);
        Ok(PackPlan {
            index,
            index_bytes,
            signature,
        })
    }

    /// The first two members: index and signature.
    pub fn head(&self) -> Result<Vec<u8>, Error> {
        let mtime = self.index.timestamp;
        let mut out = Vec::with_capacity(4 * BLOCK + self.index_bytes.len());
        out.extend_from_slice(&header(INDEX_MEMBER, self.index_bytes.len() as u64, mtime)?);
        out.extend_from_slice(&self.index_bytes);
        out.resize(out.len() + padding_len(self.index_bytes.len() as u64), 0);
        let sig = self.signature.as_bytes();
        out.extend_from_slice(&header(SIGNATURE_MEMBER, sig.len() as u64, mtime)?);
        out.extend_from_slice(sig);
        out.resize(out.len() + padding_len(sig.len() as u64), 0);
        Ok(out)
    }

    /// The header of bundle `i`'s member.
    pub fn bundle_header(&self, i: usize) -> Result<[u8; BLOCK], Error> {
        let entry = self.index.bundles.get(i).ok_or(Error::MissingBundle {
            bundle: String::new(),
        })?;
        header(&entry.name.member_name(), entry.size, self.index.timestamp)
    }

    /// The padding after bundle `i`'s data.
    pub fn bundle_padding(&self, i: usize) -> Vec<u8> {
        let size = self.index.bundles.get(i).map_or(0, |e| e.size);
        alloc::vec![0u8; padding_len(size)]
    }

    /// The two end blocks.
    pub fn tail(&self) -> &'static [u8] {
        &END_BLOCKS
    }

    /// Length of the whole archive.
    pub fn archive_len(&self) -> u64 {
        let head = member_len(self.index_bytes.len() as u64) + member_len(64);
        let bundles: u64 = self.index.bundles.iter().map(|b| member_len(b.size)).sum();
        head + bundles + END_BLOCKS.len() as u64
    }
}

/// The index entry of a `.nxb` held in memory: name and version from its manifest,
/// SHA-256 and size of its bytes. The bundle is read completely (structure, manifest,
/// payload digest), but its signature is not checked.
pub fn bundle_entry(nxb: &[u8]) -> Result<BundleEntry, Error> {
    let read = read_bundle(nxb, None)?;
    Ok(BundleEntry {
        name: read.manifest.name,
        version: read.manifest.version,
        sha256: Sha256::digest(nxb).into(),
        size: nxb.len() as u64,
    })
}

/// Packs a system-set in memory from `.nxb` bundles given in any order.
pub fn pack_system_set(
    meta: &SystemSetMeta,
    bundles: &[&[u8]],
    key: &SecretKey,
) -> Result<Vec<u8>, Error> {
    let mut entries = Vec::with_capacity(bundles.len());
    for b in bundles {
        entries.push((bundle_entry(b)?, *b));
    }
    entries.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let plan = PackPlan::new(meta, entries.iter().map(|(e, _)| e.clone()).collect(), key)?;
    let mut out = plan.head()?;
    for (i, (_, bytes)) in entries.iter().enumerate() {
        out.extend_from_slice(&plan.bundle_header(i)?);
        out.extend_from_slice(bytes);
        out.extend_from_slice(&plan.bundle_padding(i));
    }
    out.extend_from_slice(plan.tail());
    Ok(out)
}
