//! Building an image: the steps of [`build`], from the checks of its outputs to the staged
//! commit that puts the image, its signature and its manifest in place together.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::string::String;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::vec::Vec;
use std::{format, vec};

use durable::{Replace, Staged};
use sha2::Digest as _;
use signing::{SecretKey, Signature};

use super::error::io_err;
use super::outputs::check_outputs;
use super::{FsError, BUF_LEN};
use crate::layout::SECTOR;
use crate::{compose, Composition, Error, Layout, Manifest, Profile, SegmentName, SignatureKind};

/// What to build.
#[derive(Debug)]
pub struct BuildRequest {
    /// Board name.
    pub board: String,
    /// System version (semver).
    pub system_version: String,
    /// Profile.
    pub profile: Profile,
    /// Segment files (not state).
    pub segments: Vec<(SegmentName, PathBuf)>,
    /// State partition size, when the image gets one.
    pub state_len: Option<u64>,
    /// Signing key, when the manifest is signed.
    pub signer: Option<SecretKey>,
}

/// What a build produced.
#[derive(Debug)]
pub struct Built {
    /// The manifest.
    pub manifest: Manifest,
    /// Its canonical bytes (what the signature covers).
    pub manifest_bytes: Vec<u8>,
    /// The signature, when signed.
    pub signature: Option<Signature>,
}

/// Checks what a profile demands before any file is read.
pub fn check_profile(req: &BuildRequest) -> Result<(), FsError> {
    if req.profile == Profile::Release {
        for needed in [SegmentName::Kernel, SegmentName::Initrd] {
            if !req.segments.iter().any(|(n, _)| *n == needed) {
                return Err(FsError::Profile {
                    reason: format!(
                        "segment {needed}: required by the release profile (--{needed})"
                    ),
                });
            }
        }
        if req.state_len.is_none() {
            return Err(FsError::Profile {
                reason: "segment state: required by the release profile (--state-size)".into(),
            });
        }
        let Some(key) = &req.signer else {
            return Err(FsError::Profile {
                reason: "the release profile refuses to build unsigned: give --key KEY".into(),
            });
        };
        Profile::Release
            .key_policy()
            .check(&key.public_key())
            .map_err(|e| FsError::Profile {
                reason: format!("--key: {e}"),
            })?;
    }
    Ok(())
}

/// A segment file opened for the build, with the size the layout is planned from.
struct SegmentFile {
    name: SegmentName,
    path: PathBuf,
    file: File,
    size: u64,
}

/// Builds the image at `out`, its manifest at `manifest_path` and (when signed) the
/// signature at `sig_path`: all of them or none, each fsynced. Refuses, before reading
/// anything, outputs that share a path, replace a segment file or lack a directory.
/// `progress(done, total)` is called as bytes are processed.
pub fn build(
    req: &BuildRequest,
    out: &Path,
    manifest_path: &Path,
    sig_path: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Built, FsError> {
    check_profile(req)?;
    check_build_outputs(req, out, manifest_path, sig_path)?;
    let segments = open_segments(req)?;
    let layout = plan_layout(&segments, req.state_len, out)?;
    let total_work = layout.total_len() + segments.iter().map(|s| s.size).sum::<u64>();
    let image = Staged::new(out)?;
    image
        .file()
        .set_len(layout.total_len())
        .map_err(io_err(out))?;
    let digests = copy_segments(&segments, &layout, &image, &mut |n| progress(n, total_work))?;
    let copied = segments.iter().map(|s| s.size).sum::<u64>();
    let comp = compose(
        layout,
        &digests,
        &req.board,
        &req.system_version,
        req.profile,
    )
    .map_err(|source| FsError::Image {
        path: out.to_path_buf(),
        source,
    })?;
    write_tables(&image, &comp)?;
    let range_hashes = range_hashes(&comp, &digests);
    let image_digest = hash_and_sync(&image, comp.layout.total_len(), &mut |n| {
        progress(copied + n, total_work)
    })?;
    let signature_kind = if req.signer.is_some() {
        SignatureKind::Ed25519
    } else {
        SignatureKind::None
    };
    let manifest = Manifest::new(&comp, &range_hashes, image_digest, signature_kind);
    manifest.validate().map_err(|source| FsError::Image {
        path: manifest_path.to_path_buf(),
        source,
    })?;
    let manifest_bytes = manifest.encode();
    let signature = req.signer.as_ref().map(|k| k.sign(&manifest_bytes));
    commit_outputs(
        image,
        signature.as_ref().map(|sig| (sig_path, sig)),
        (manifest_path, &manifest_bytes),
    )?;
    Ok(Built {
        manifest,
        manifest_bytes,
        signature,
    })
}

/// Step 1: the outputs (image, manifest, signature when signing) have directories and
/// paths of their own, and none is a segment file.
fn check_build_outputs(
    req: &BuildRequest,
    out: &Path,
    manifest_path: &Path,
    sig_path: &Path,
) -> Result<(), FsError> {
    let mut outputs: Vec<(&str, &Path)> =
        vec![("image output", out), ("manifest output", manifest_path)];
    if req.signer.is_some() {
        outputs.push(("signature output", sig_path));
    }
    let inputs: Vec<(String, &Path)> = req
        .segments
        .iter()
        .map(|(n, p)| (format!("segment {n}"), p.as_path()))
        .collect();
    let inputs: Vec<(&str, &Path)> = inputs.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    check_outputs(&outputs, &inputs)
}

/// Step 2: every segment file is opened (a regular file) and its size taken.
fn open_segments(req: &BuildRequest) -> Result<Vec<SegmentFile>, FsError> {
    req.segments
        .iter()
        .map(|(name, path)| {
            let file = File::open(path).map_err(io_err(path))?;
            let meta = file.metadata().map_err(io_err(path))?;
            if !meta.is_file() {
                return Err(FsError::Io {
                    path: path.to_path_buf(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
                });
            }
            Ok(SegmentFile {
                name: *name,
                path: path.clone(),
                file,
                size: meta.len(),
            })
        })
        .collect()
}

/// Step 3: the layout from the segment sizes; an error about one segment names its
/// file, any other names the image.
fn plan_layout(
    segments: &[SegmentFile],
    state_len: Option<u64>,
    out: &Path,
) -> Result<Layout, FsError> {
    let sizes: Vec<(SegmentName, u64)> = segments.iter().map(|s| (s.name, s.size)).collect();
    Layout::plan(&sizes, state_len).map_err(|source| {
        let path = match &source {
            Error::SegmentTooLarge { segment, .. } | Error::EmptySegment { segment } => segments
                .iter()
                .find(|s| s.name == *segment)
                .map_or_else(|| out.to_path_buf(), |s| s.path.clone()),
            _ => out.to_path_buf(),
        };
        FsError::Image { path, source }
    })
}

/// Step 4: every segment is copied into the image at its offset and hashed, by two
/// workers (the caller's thread reports progress), each taking the next segment in
/// order. Returns the digests in segment order.
fn copy_segments(
    segments: &[SegmentFile],
    layout: &Layout,
    image: &Staged,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<(SegmentName, [u8; 32])>, FsError> {
    let next = AtomicUsize::new(0);
    let copied = AtomicU64::new(0);
    let worker = |report: &mut dyn FnMut(u64)| -> Vec<(usize, Result<[u8; 32], FsError>)> {
        let mut buf = vec![0u8; BUF_LEN];
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(segment) = segments.get(i) else {
                return done;
            };
            let offset = layout.segment(segment.name).map(|s| s.offset).unwrap_or(0);
            let r = copy_segment(segment, image, offset, &mut buf, &copied, report);
            let failed = r.is_err();
            done.push((i, r));
            if failed {
                return done;
            }
        }
    };
    let mut results = std::thread::scope(|scope| {
        let helper = scope.spawn(|| worker(&mut |_| {}));
        let mut mine = worker(progress);
        match helper.join() {
            Ok(theirs) => mine.extend(theirs),
            Err(_) => mine.push((
                usize::MAX,
                Err(FsError::Io {
                    path: image.dest().to_path_buf(),
                    source: io::Error::other("a copy worker panicked"),
                }),
            )),
        }
        mine
    });
    results.sort_by_key(|(i, _)| *i);
    let mut digests = Vec::new();
    for (i, r) in results {
        let name = segments.get(i).map_or(SegmentName::State, |s| s.name);
        digests.push((name, r?));
    }
    if digests.len() != segments.len() {
        return Err(FsError::Io {
            path: image.dest().to_path_buf(),
            source: io::Error::other("a segment was not copied"),
        });
    }
    Ok(digests)
}

/// Copies one segment file into the image at `offset`, hashing it on the way, and
/// checks that the file still has the size it had when the layout was planned.
fn copy_segment(
    segment: &SegmentFile,
    image: &Staged,
    offset: u64,
    buf: &mut [u8],
    copied: &AtomicU64,
    report: &mut dyn FnMut(u64),
) -> Result<[u8; 32], FsError> {
    let path = &segment.path;
    let mut reader = &segment.file;
    let mut hasher = sha2::Sha256::new();
    let mut at = offset;
    let mut read_total = 0u64;
    loop {
        let n = reader.read(buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        read_total += n as u64;
        if read_total > segment.size {
            return Err(FsError::Changed { path: path.clone() });
        }
        hasher.update(&buf[..n]);
        image
            .file()
            .write_all_at(&buf[..n], at)
            .map_err(io_err(image.dest()))?;
        at += n as u64;
        report(copied.fetch_add(n as u64, Ordering::Relaxed) + n as u64);
    }
    if read_total != segment.size {
        return Err(FsError::Changed { path: path.clone() });
    }
    Ok(hasher.finalize().into())
}

/// Step 5: the protective MBR, both GPT copies and the state header (when there is a
/// state partition) go to their places in the image.
fn write_tables(image: &Staged, comp: &Composition) -> Result<(), FsError> {
    let at = |bytes: &[u8], offset: u64| {
        image
            .file()
            .write_all_at(bytes, offset)
            .map_err(io_err(image.dest()))
    };
    at(&comp.mbr, 0)?;
    at(&comp.gpt_primary, SECTOR)?;
    if let Some(r) = comp.layout.ranges().last() {
        at(&comp.gpt_backup, r.offset)?;
    }
    if let (Some(seg), Some(header)) = (comp.layout.segment(SegmentName::State), &comp.state_header)
    {
        at(header, seg.offset)?;
    }
    Ok(())
}

/// Step 6: the SHA-256 of every range of the layout, in layout order: the tables' from
/// their bytes, the segments' from the copy.
fn range_hashes(comp: &Composition, digests: &[(SegmentName, [u8; 32])]) -> Vec<[u8; 32]> {
    comp.layout
        .ranges()
        .iter()
        .map(|r| match r.name {
            crate::layout::RANGE_MBR => crate::sha256(&comp.mbr),
            crate::layout::RANGE_GPT_PRIMARY => crate::sha256(&comp.gpt_primary),
            crate::layout::RANGE_GPT_BACKUP => crate::sha256(&comp.gpt_backup),
            "state" => crate::sha256(comp.state_header.as_ref().map(|h| &h[..]).unwrap_or(&[])),
            name => digests
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|d| d.1)
                .unwrap_or_default(),
        })
        .collect()
}

/// Step 7: the whole-image digest, read back sequentially (from the page cache) while
/// the data is written back to the disk; `progress(n)` gets the bytes hashed so far.
fn hash_and_sync(
    image: &Staged,
    len: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<[u8; 32], FsError> {
    let file = image.file();
    let (digest, synced) = std::thread::scope(|scope| {
        let syncer = scope.spawn(|| file.sync_data());
        let mut buf = vec![0u8; BUF_LEN];
        let mut hasher = sha2::Sha256::new();
        let mut at = 0u64;
        let mut result = Ok(());
        while at < len {
            let n = ((len - at) as usize).min(BUF_LEN);
            if let Err(e) = file.read_exact_at(&mut buf[..n], at) {
                result = Err(e);
                break;
            }
            hasher.update(&buf[..n]);
            at += n as u64;
            progress(at);
        }
        let synced = syncer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the sync worker panicked")));
        (result.map(|()| <[u8; 32]>::from(hasher.finalize())), synced)
    });
    let digest = digest.map_err(io_err(image.dest()))?;
    synced.map_err(io_err(image.dest()))?;
    Ok(digest)
}

/// Step 8: the signature and the manifest are staged beside the image, then all are put
/// in place together; the manifest goes last, so it never names a signature or an image
/// that is not there.
fn commit_outputs(
    image: Staged,
    signature: Option<(&Path, &Signature)>,
    (manifest_path, manifest_bytes): (&Path, &[u8]),
) -> Result<(), FsError> {
    let mut staged = vec![image];
    if let Some((sig_path, sig)) = signature {
        let mut s = Staged::new(sig_path)?;
        s.write_all(sig.as_bytes())?;
        staged.push(s);
    }
    let mut m = Staged::new(manifest_path)?;
    m.write_all(manifest_bytes)?;
    staged.push(m);
    Ok(durable::commit_all(staged, Replace::Allow)?)
}
