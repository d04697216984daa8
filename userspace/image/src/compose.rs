//! Composition: from a planned layout and the segments' digests to everything that is
//! derived from content — the disk and partition GUIDs, the partition entries, the
//! protective MBR, the primary and backup GPT regions and the state header.

use alloc::borrow::ToOwned as _;
use alloc::string::String;
use alloc::vec::Vec;

use crate::gpt::{self, GptPartition, LINUX_DATA_TYPE};
use crate::state::StateHeader;
use crate::{validate_board, validate_system_version, Error, Layout, Profile, SegmentName};

/// Everything about an image that is not segment data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composition {
    /// The layout.
    pub layout: Layout,
    /// Board name.
    pub board: String,
    /// System version.
    pub system_version: String,
    /// Build profile.
    pub profile: Profile,
    /// Disk GUID (on-disk order).
    pub disk_guid: [u8; 16],
    /// Partition entries, in disk order.
    pub partitions: Vec<GptPartition>,
    /// LBA 0.
    pub mbr: [u8; 512],
    /// LBAs 1..=33.
    pub gpt_primary: Vec<u8>,
    /// The last 33 LBAs.
    pub gpt_backup: Vec<u8>,
    /// The state partition header, when the image has a state partition.
    pub state_header: Option<[u8; crate::state::HEADER_LEN]>,
}

/// Composes an image: `digests` holds the SHA-256 of every present file segment (the
/// state header's digest is computed here).
pub fn compose(
    layout: Layout,
    digests: &[(SegmentName, [u8; 32])],
    board: &str,
    system_version: &str,
    profile: Profile,
) -> Result<Composition, Error> {
    validate_board(board)?;
    validate_system_version(system_version)?;
    let state_header = layout.segment(SegmentName::State).map(|s| {
        StateHeader {
            size: s.partition_len,
            generation: 0,
        }
        .encode()
    });
    let mut seg_digests: Vec<(SegmentName, [u8; 32], u64)> = Vec::new();
    for seg in layout.segments() {
        let digest = if seg.name == SegmentName::State {
            crate::sha256(state_header.as_ref().map(|h| &h[..]).unwrap_or(&[]))
        } else {
            digests
                .iter()
                .find(|(n, _)| *n == seg.name)
                .map(|(_, d)| *d)
                .ok_or(Error::MissingSegment { segment: seg.name })?
        };
        seg_digests.push((seg.name, digest, seg.data_len));
    }
    let mut disk_parts: Vec<Vec<u8>> = Vec::new();
    disk_parts.push(board.as_bytes().to_owned());
    disk_parts.push(system_version.as_bytes().to_owned());
    disk_parts.push(profile.as_str().as_bytes().to_owned());
    for (name, digest, len) in &seg_digests {
        disk_parts.push(name.as_str().as_bytes().to_owned());
        disk_parts.push(digest.to_vec());
        disk_parts.push(len.to_le_bytes().to_vec());
    }
    let refs: Vec<&[u8]> = disk_parts.iter().map(|p| p.as_slice()).collect();
    let disk_guid = gpt::derive_guid("nx-image disk guid v1", &refs);
    let partitions: Vec<GptPartition> = layout
        .segments()
        .iter()
        .zip(&seg_digests)
        .map(|(seg, (name, digest, _))| GptPartition {
            type_guid: LINUX_DATA_TYPE,
            guid: gpt::derive_guid(
                "nx-image partition guid v1",
                &[&disk_guid, name.as_str().as_bytes(), digest],
            ),
            first_lba: seg.first_lba(),
            last_lba: seg.last_lba(),
            name: name.as_str().to_owned(),
        })
        .collect();
    let (gpt_primary, gpt_backup) = gpt::regions(&layout, &disk_guid, &partitions);
    Ok(Composition {
        mbr: gpt::protective_mbr(layout.total_sectors()),
        layout,
        board: board.to_owned(),
        system_version: system_version.to_owned(),
        profile,
        disk_guid,
        partitions,
        gpt_primary,
        gpt_backup,
        state_header,
    })
}

/// Builds a whole image in memory (for tests, simulators and small images): the image
/// bytes and the manifest. The signature, if any, is made by the caller over
/// [`crate::Manifest::encode`].
pub fn build_in_memory(
    segments: &[(SegmentName, &[u8])],
    state_len: Option<u64>,
    board: &str,
    system_version: &str,
    profile: Profile,
    signature: crate::SignatureKind,
) -> Result<(Vec<u8>, crate::Manifest), Error> {
    let sizes: Vec<(SegmentName, u64)> =
        segments.iter().map(|(n, d)| (*n, d.len() as u64)).collect();
    let layout = Layout::plan(&sizes, state_len)?;
    let digests: Vec<(SegmentName, [u8; 32])> = segments
        .iter()
        .map(|(n, d)| (*n, crate::sha256(d)))
        .collect();
    let comp = compose(layout, &digests, board, system_version, profile)?;
    let total = usize::try_from(comp.layout.total_len()).map_err(|_| Error::ImageTooLarge {
        size: comp.layout.total_len(),
    })?;
    let mut img = alloc::vec![0u8; total];
    let mut put = |offset: u64, bytes: &[u8]| {
        let at = offset as usize;
        img[at..at + bytes.len()].copy_from_slice(bytes);
    };
    put(0, &comp.mbr);
    put(crate::SECTOR, &comp.gpt_primary);
    let ranges = comp.layout.ranges();
    if let Some(last) = ranges.last() {
        put(last.offset, &comp.gpt_backup);
    }
    for seg in comp.layout.segments() {
        if seg.name == SegmentName::State {
            if let Some(h) = &comp.state_header {
                put(seg.offset, h);
            }
        } else if let Some((_, d)) = segments.iter().find(|(n, _)| *n == seg.name) {
            put(seg.offset, d);
        }
    }
    let hashes: Vec<[u8; 32]> = ranges
        .iter()
        .map(|r| crate::sha256(&img[r.offset as usize..(r.offset + r.len) as usize]))
        .collect();
    let manifest = crate::Manifest::new(&comp, &hashes, crate::sha256(&img), signature);
    manifest.validate()?;
    Ok((img, manifest))
}
