//! Reading an image's files: the manifest and the detached signature (sizes capped), the
//! image file itself, and its partition table.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::vec::Vec;
use std::{format, vec};

use signing::Signature;

use super::error::io_err;
use super::{FsError, SizeBasis};
use crate::gpt::{parse_primary, ParsedGpt};
use crate::layout::{FIRST_USABLE_LBA, SECTOR};
use crate::{Error, Manifest};

/// Largest detached signature file read (a signature is 64 bytes).
const MAX_SIGNATURE_FILE_LEN: u64 = 4096;

/// Where the signature of `manifest` goes by default: beside it, named after the image
/// (`os.manifest.json` → `os.sig`; any other name gets `.sig` appended).
pub fn default_signature_path(manifest: &Path) -> PathBuf {
    let name = manifest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".manifest.json").unwrap_or(&name);
    manifest.with_file_name(format!("{stem}.sig"))
}

/// Reads and parses a manifest file, returning the manifest and its exact bytes.
pub fn read_manifest(path: &Path) -> Result<(Manifest, Vec<u8>), FsError> {
    let bytes = durable::read_capped(path, crate::MAX_MANIFEST_LEN as u64)?;
    let manifest = Manifest::parse(&bytes).map_err(|source| FsError::Image {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((manifest, bytes))
}

/// Reads a detached signature file (exactly 64 bytes).
pub fn read_signature(path: &Path) -> Result<Signature, FsError> {
    let bytes = durable::read_capped(path, MAX_SIGNATURE_FILE_LEN).map_err(|e| {
        if e.is_not_found() {
            FsError::Signature {
                path: path.to_path_buf(),
                reason: "signature file not found (the manifest says it is signed)".into(),
            }
        } else {
            FsError::from(e)
        }
    })?;
    Signature::from_slice(&bytes).map_err(|e| FsError::Signature {
        path: path.to_path_buf(),
        reason: format!("{e}"),
    })
}

/// Opens an image file for reading and returns it with its length; a directory or any
/// other file that is not a regular file is refused as such.
pub fn open_image(path: &Path) -> Result<(File, u64), FsError> {
    let file = File::open(path).map_err(io_err(path))?;
    let meta = file.metadata().map_err(io_err(path))?;
    let refuse = |kind, what: &str| FsError::Io {
        path: path.to_path_buf(),
        source: io::Error::new(kind, what),
    };
    if meta.is_dir() {
        return Err(refuse(
            io::ErrorKind::IsADirectory,
            "is a directory, not an image file",
        ));
    }
    if !meta.is_file() {
        return Err(refuse(
            io::ErrorKind::InvalidInput,
            "is not a regular file, not an image file",
        ));
    }
    Ok((file, meta.len()))
}

/// Checks that the image file holds everything its primary GPT describes: it ends
/// exactly after the backup header the primary header points to, that header is there,
/// and every partition lies within the usable LBAs.
pub fn check_gpt_extent(file: &File, path: &Path, gpt: &ParsedGpt) -> Result<(), FsError> {
    let len = file.metadata().map_err(io_err(path))?.len();
    let expected = gpt
        .backup_lba
        .checked_add(1)
        .and_then(|n| n.checked_mul(SECTOR))
        .unwrap_or(u64::MAX);
    if len != expected {
        let past_end = gpt
            .partitions
            .iter()
            .filter(|p| {
                p.last_lba
                    .checked_add(1)
                    .and_then(|n| n.checked_mul(SECTOR))
                    .is_none_or(|end| end > len)
            })
            .map(|p| p.name.clone())
            .collect();
        return Err(FsError::Size {
            path: path.to_path_buf(),
            expected,
            found: len,
            basis: SizeBasis::BackupHeader { past_end },
        });
    }
    let last_usable = gpt
        .backup_lba
        .saturating_sub(crate::layout::GPT_ENTRY_SECTORS + 1);
    for p in &gpt.partitions {
        if p.first_lba < FIRST_USABLE_LBA || p.last_lba < p.first_lba || p.last_lba > last_usable {
            return Err(FsError::Partition {
                path: path.to_path_buf(),
                name: p.name.clone(),
                reason: format!(
                    "LBAs {}..={} are outside the usable LBAs {FIRST_USABLE_LBA}..={last_usable}",
                    p.first_lba, p.last_lba
                ),
            });
        }
    }
    let mut backup = [0u8; 512];
    file.read_exact_at(&mut backup, gpt.backup_lba * SECTOR)
        .map_err(io_err(path))?;
    if &backup[0..8] != b"EFI PART" || backup[24..32] != gpt.backup_lba.to_le_bytes() {
        return Err(FsError::Image {
            path: path.to_path_buf(),
            source: Error::Gpt {
                what: "no backup GPT header at the last LBA the primary header names",
            },
        });
    }
    Ok(())
}

/// Reads and checks the protective MBR and primary GPT of an image file.
pub fn read_gpt(file: &File, path: &Path) -> Result<ParsedGpt, FsError> {
    let mut head = vec![0u8; ((FIRST_USABLE_LBA) * SECTOR) as usize];
    let len = file.metadata().map_err(io_err(path))?.len();
    if len < head.len() as u64 {
        return Err(FsError::Image {
            path: path.to_path_buf(),
            source: Error::Gpt {
                what: "image too short for a protective MBR and primary GPT",
            },
        });
    }
    file.read_exact_at(&mut head, 0).map_err(io_err(path))?;
    parse_primary(&head).map_err(|source| FsError::Image {
        path: path.to_path_buf(),
        source,
    })
}
