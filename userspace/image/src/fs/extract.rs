//! Extracting one segment of an image to a file, written atomically and durably.

use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::vec;

use sha2::Digest as _;

use super::error::io_err;
use super::outputs::check_outputs;
use super::read::{open_image, read_gpt};
use super::{FsError, SizeBasis, BUF_LEN};
use crate::layout::SECTOR;
use crate::{Manifest, SegmentName};

/// Copies segment `name` of `image` to `out` (atomically). With a manifest, exactly the
/// segment's bytes are copied and their SHA-256 checked; without, the whole partition the
/// GPT names is copied.
pub fn extract(
    image: &Path,
    name: SegmentName,
    manifest: Option<&Manifest>,
    out: &Path,
) -> Result<u64, FsError> {
    check_outputs(&[("output", out)], &[("image", image)])?;
    let (file, len) = open_image(image)?;
    let (offset, size, digest, basis) = match manifest {
        Some(m) => {
            let r = m
                .range(name.as_str())
                .ok_or_else(|| FsError::MissingSegment {
                    segment: name.as_str().into(),
                })?;
            (
                r.offset,
                r.size,
                Some(r.sha256.0),
                SizeBasis::ManifestRange(r.name.clone()),
            )
        }
        None => {
            let gpt = read_gpt(&file, image)?;
            let p = gpt
                .partitions
                .iter()
                .find(|p| p.name == name.as_str())
                .ok_or_else(|| FsError::MissingSegment {
                    segment: name.as_str().into(),
                })?;
            let size = p
                .last_lba
                .checked_sub(p.first_lba)
                .map(|d| (d + 1) * SECTOR)
                .unwrap_or(0);
            (
                p.first_lba.saturating_mul(SECTOR),
                size,
                None,
                SizeBasis::Partition(p.name.clone()),
            )
        }
    };
    if offset.checked_add(size).is_none_or(|end| end > len) {
        return Err(FsError::Size {
            path: image.to_path_buf(),
            expected: offset.saturating_add(size),
            found: len,
            basis,
        });
    }
    let mut staged = durable::Staged::new(out)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; BUF_LEN];
    let mut at = offset;
    while at < offset + size {
        let n = ((offset + size - at) as usize).min(BUF_LEN);
        file.read_exact_at(&mut buf[..n], at)
            .map_err(io_err(image))?;
        hasher.update(&buf[..n]);
        staged.write_all(&buf[..n])?;
        at += n as u64;
    }
    if let Some(d) = digest {
        if <[u8; 32]>::from(hasher.finalize()) != d {
            return Err(FsError::RangeMismatch {
                range: name.as_str().into(),
            });
        }
    }
    staged.commit()?;
    Ok(size)
}
