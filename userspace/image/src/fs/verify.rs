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
use crate::{Manifest, SignatureKind};

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
}

/// Verifies an image file against a parsed manifest: size, the partition table, every
/// range's SHA-256 (naming the first that differs), then the whole image's SHA-256.
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
        return Err(FsError::ImageMismatch);
    }
    Ok(VerifyReport {
        ranges: manifest.ranges.iter().map(|r| r.name.clone()).collect(),
    })
}
