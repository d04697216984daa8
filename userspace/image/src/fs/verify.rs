//! Verifying: a manifest's signature against trusted keys, and an image file against its
//! manifest (size, partition table, every range's SHA-256, the whole image's).

use std::format;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::string::String;
use std::vec;
use std::vec::Vec;

use sha2::Digest as _;
use signing::{PublicKey, TrustedKeys};

use super::error::io_err;
use super::read::{open_image, read_gpt, read_signature};
use super::{FsError, SizeBasis, BUF_LEN};
use crate::{Manifest, SignatureKind, SECTOR};

/// Checks a manifest's signature against trusted keys under its profile's key policy,
/// returning the key that signed it.
pub fn check_signature(
    manifest: &Manifest,
    manifest_bytes: &[u8],
    sig_path: &Path,
    trusted: &[PublicKey],
) -> Result<PublicKey, FsError> {
    if manifest.signature != SignatureKind::Ed25519 {
        return Err(FsError::Signature {
            path: sig_path.to_path_buf(),
            reason: "the manifest is unsigned (dev profile)".into(),
        });
    }
    let sig = read_signature(sig_path)?;
    let keys =
        TrustedKeys::new(trusted.iter().copied(), manifest.profile.key_policy()).map_err(|e| {
            FsError::Signature {
                path: sig_path.to_path_buf(),
                reason: format!("trusted keys: {e}"),
            }
        })?;
    keys.verify(manifest_bytes, &sig)
        .map_err(|e| FsError::Signature {
            path: sig_path.to_path_buf(),
            reason: format!("{e}"),
        })
}

/// The result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Ranges checked, in image order.
    pub ranges: Vec<String>,
    /// The state partition differs from the manifest (the device's store, formatted and
    /// written by the OS or `nx state`, lives there): every other range matches and every
    /// byte outside the ranges and the state partition is zero, as built.
    pub state_changed: bool,
}

/// Verifies an image file against a parsed manifest: size, the partition table, every
/// range's SHA-256 (naming the first that differs), then the whole image's SHA-256.
/// The state partition is the device's to write: a state range that differs, or a whole
/// image that differs only inside the state partition (every gap outside it zero), is
/// reported as [`VerifyReport::state_changed`] rather than an error.
/// `progress(done, total)` is called as bytes are hashed.
pub fn verify_image(
    image: &Path,
    manifest: &Manifest,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<VerifyReport, FsError> {
    let (mut file, len) = open_image(image)?;
    if len != manifest.image.size {
        return Err(FsError::Size {
            path: image.to_path_buf(),
            expected: manifest.image.size,
            found: len,
            basis: SizeBasis::Manifest,
        });
    }
    let gpt = read_gpt(&file, image)?;
    for name in manifest.present_segments() {
        if !gpt.partitions.iter().any(|p| p.name == name) {
            return Err(FsError::MissingSegment {
                segment: name.into(),
            });
        }
    }
    let state = gpt
        .partitions
        .iter()
        .find(|p| p.name == crate::SegmentName::State.as_str())
        .map(|p| (p.first_lba * SECTOR, (p.last_lba + 1) * SECTOR));
    let in_state = |offset: u64, size: u64| {
        state.is_some_and(|(start, end)| offset >= start && offset + size <= end)
    };
    let mut state_changed = false;
    let total = manifest.ranges.iter().map(|r| r.size).sum::<u64>() + manifest.image.size;
    let mut done = 0u64;
    let mut buf = vec![0u8; BUF_LEN];
    for r in &manifest.ranges {
        let mut hasher = sha2::Sha256::new();
        let mut at = r.offset;
        let end = r.offset + r.size;
        while at < end {
            let n = ((end - at) as usize).min(BUF_LEN);
            file.read_exact_at(&mut buf[..n], at)
                .map_err(io_err(image))?;
            hasher.update(&buf[..n]);
            at += n as u64;
            done += n as u64;
            progress(done, total);
        }
        if <[u8; 32]>::from(hasher.finalize()) != r.sha256.0 {
            if in_state(r.offset, r.size) {
                state_changed = true;
                continue;
            }
            return Err(FsError::RangeMismatch {
                range: r.name.clone(),
            });
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(io_err(image))?;
    let mut hasher = sha2::Sha256::new();
    loop {
        let n = file.read(&mut buf).map_err(io_err(image))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        progress(done, total);
    }
    if <[u8; 32]>::from(hasher.finalize()) != manifest.image.sha256.0 {
        let Some(state) = state else {
            return Err(FsError::ImageMismatch);
        };
        if !gaps_are_zero(&file, image, manifest, state, &mut buf)? {
            return Err(FsError::ImageMismatch);
        }
        state_changed = true;
    }
    Ok(VerifyReport {
        ranges: manifest.ranges.iter().map(|r| r.name.clone()).collect(),
        state_changed,
    })
}

/// Whether every byte of the image outside the manifest's ranges and the state partition
/// `[state.0, state.1)` is zero, as `build` writes the gaps.
fn gaps_are_zero(
    file: &std::fs::File,
    image: &Path,
    manifest: &Manifest,
    state: (u64, u64),
    buf: &mut [u8],
) -> Result<bool, FsError> {
    let mut covered: Vec<(u64, u64)> = manifest
        .ranges
        .iter()
        .map(|r| (r.offset, r.offset + r.size))
        .chain([state])
        .collect();
    covered.sort_unstable();
    let mut at = 0u64;
    let mut gaps = Vec::new();
    for (start, end) in covered {
        if start > at {
            gaps.push((at, start));
        }
        at = at.max(end);
    }
    if manifest.image.size > at {
        gaps.push((at, manifest.image.size));
    }
    for (mut start, end) in gaps {
        while start < end {
            let n = ((end - start) as usize).min(buf.len());
            file.read_exact_at(&mut buf[..n], start)
                .map_err(io_err(image))?;
            if buf[..n].iter().any(|b| *b != 0) {
                return Ok(false);
            }
            start += n as u64;
        }
    }
    Ok(true)
}
