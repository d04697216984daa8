//! File adapters (feature `std`): building an image file from segment files, verifying an
//! image against its manifest and signature, extracting a segment, and writing outputs
//! atomically and durably.
//!
//! Building first checks the outputs (each has an existing directory and a path of its
//! own, none is an input), then streams each segment once into a fresh temporary image
//! (gaps stay holes and read as zeros) while hashing it, writes the GPT regions derived
//! from the digests and hashes the whole image. The signature and the manifest are
//! written to temporaries too; only when all are written and fsynced are they renamed
//! into place (image, signature, manifest last), undoing the earlier renames if a later
//! one fails. A failure leaves no partial output.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::string::String;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::vec::Vec;
use std::{fmt, format, vec};

use sha2::Digest as _;
use signing::{PublicKey, SecretKey, Signature, TrustedKeys};

use crate::gpt::{parse_primary, ParsedGpt};
use crate::layout::{FIRST_USABLE_LBA, SECTOR};
use crate::{compose, Error, Layout, Manifest, Profile, SegmentName, SignatureKind};

/// Size of the read buffer used for streaming.
const BUF_LEN: usize = 1 << 20;

/// Why a file operation on an image failed; each variant names the file or range.
#[derive(Debug)]
#[non_exhaustive]
pub enum FsError {
    /// The operating system reported an error for `path`.
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The image format rejected an input or the manifest.
    Image {
        /// The file at fault (a segment file or the manifest).
        path: PathBuf,
        /// What is wrong.
        source: Error,
    },
    /// A segment file changed size or content while the image was built.
    Changed {
        /// The segment file.
        path: PathBuf,
    },
    /// The profile forbids what was asked (unsigned release, test key in release, ...).
    Profile {
        /// What is wrong.
        reason: String,
    },
    /// The signature is missing, malformed or not made by a trusted key.
    Signature {
        /// The signature file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The image is shorter or longer than the manifest or its partition table says.
    Size {
        /// The image file.
        path: PathBuf,
        /// Bytes expected.
        expected: u64,
        /// Bytes found.
        found: u64,
        /// Where the expected size comes from.
        basis: SizeBasis,
    },
    /// A partition of the image's table is out of range.
    Partition {
        /// The image file.
        path: PathBuf,
        /// The partition's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An output path cannot be used (same as another output or an input, no such
    /// directory, a directory itself).
    Output {
        /// The output path as given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A byte range's SHA-256 differs from the manifest's.
    RangeMismatch {
        /// The range (segment or GPT region) that differs.
        range: String,
    },
    /// Every range matches but the whole image's SHA-256 differs (a gap is not zero).
    ImageMismatch,
    /// The manifest is for another board.
    WrongBoard {
        /// The board expected.
        expected: String,
        /// The board the manifest names.
        found: String,
    },
    /// A segment the manifest lists is not in the image's partition table, or the
    /// segment asked for is not in the image.
    MissingSegment {
        /// The segment.
        segment: String,
    },
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FsError::Image { path, source } => write!(f, "{}: {source}", path.display()),
            FsError::Changed { path } => {
                write!(f, "{}: changed while the image was being built", path.display())
            }
            FsError::Profile { reason } => f.write_str(reason),
            FsError::Signature { path, reason } => write!(f, "{}: {reason}", path.display()),
            FsError::Size {
                path,
                expected,
                found,
                basis,
            } => {
                let what = if found < expected { "truncated" } else { "too long" };
                write!(f, "{}: image {what}: {found} bytes, ", path.display())?;
                match basis {
                    SizeBasis::Manifest => write!(f, "manifest says {expected}"),
                    SizeBasis::ManifestRange(r) => {
                        write!(f, "the manifest's range {r} ends at byte {expected}")
                    }
                    SizeBasis::BackupHeader { past_end } => {
                        write!(
                            f,
                            "the partition table's backup GPT header ends at byte {expected}"
                        )?;
                        if !past_end.is_empty() {
                            write!(
                                f,
                                "; partitions past the end of the file: {}",
                                past_end.join(", ")
                            )?;
                        }
                        Ok(())
                    }
                    SizeBasis::Partition(p) => write!(
                        f,
                        "the partition table says partition {p} ends at byte {expected}"
                    ),
                }
            }
            FsError::Output { path, reason } => write!(f, "{}: {reason}", path.display()),
            FsError::Partition { path, name, reason } => {
                write!(f, "{}: partition {name}: {reason}", path.display())
            }
            FsError::RangeMismatch { range } => {
                write!(f, "segment {range}: SHA-256 does not match the manifest")
            }
            FsError::ImageMismatch => f.write_str(
                "image: every range matches but the whole-image SHA-256 does not (a gap is not zero)",
            ),
            FsError::WrongBoard { expected, found } => {
                write!(f, "manifest is for board {found}, expected {expected}")
            }
            FsError::MissingSegment { segment } => {
                write!(f, "segment {segment}: missing from the image")
            }
        }
    }
}

/// Where the size an image is expected to have comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeBasis {
    /// The manifest's image size.
    Manifest,
    /// The end of a range of the manifest.
    ManifestRange(String),
    /// The backup GPT header's LBA in the primary header (the disk's last sector).
    BackupHeader {
        /// The partitions that run past the end of the file.
        past_end: Vec<String>,
    },
    /// The end of a partition in the partition table.
    Partition(String),
}

// `Display` already includes the underlying error, so `source` is not given: a cause
// chain printer would otherwise print the cause twice.
impl std::error::Error for FsError {}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FsError + '_ {
    move |source| FsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

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
                reason: "the release profile refuses to build unsigned: give --sign KEY".into(),
            });
        };
        Profile::Release
            .key_policy()
            .check(&key.public_key())
            .map_err(|e| FsError::Profile {
                reason: format!("--sign: {e}"),
            })?;
    }
    Ok(())
}

fn open_segment(path: &Path) -> Result<(File, u64), FsError> {
    let file = File::open(path).map_err(io_err(path))?;
    let meta = file.metadata().map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(FsError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
        });
    }
    Ok((file, meta.len()))
}

/// Builds the image at `out`, its manifest at `manifest_path` and (when signed) the
/// signature at `sig_path`: all of them or none, each fsynced. Refuses, before reading
/// anything, outputs that share a path, replace a segment file or lack a directory. `progress(done, total)` is
/// called as bytes are processed.
pub fn build(
    req: &BuildRequest,
    out: &Path,
    manifest_path: &Path,
    sig_path: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Built, FsError> {
    check_profile(req)?;
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
    check_outputs(&outputs, &inputs)?;
    let mut files = Vec::new();
    let mut sizes = Vec::new();
    for (name, path) in &req.segments {
        let (file, size) = open_segment(path)?;
        files.push((*name, path.clone(), file, size));
        sizes.push((*name, size));
    }
    let layout = Layout::plan(&sizes, req.state_len).map_err(|source| {
        let path = match &source {
            Error::SegmentTooLarge { segment, .. } | Error::EmptySegment { segment } => files
                .iter()
                .find(|f| f.0 == *segment)
                .map(|f| f.1.clone())
                .unwrap_or_default(),
            _ => PathBuf::from("(layout)"),
        };
        FsError::Image { path, source }
    })?;
    let total_work = layout.total_len() + sizes.iter().map(|s| s.1).sum::<u64>();

    let tmp = TempFile::new(out)?;
    tmp.file
        .set_len(layout.total_len())
        .map_err(io_err(&tmp.dest))?;
    // Segments are copied and hashed by two workers (the caller's thread reports
    // progress), each taking the next segment in order.
    let next = AtomicUsize::new(0);
    let copied = AtomicU64::new(0);
    let worker = |report: &mut dyn FnMut(u64)| -> Vec<(usize, Result<[u8; 32], FsError>)> {
        let mut buf = vec![0u8; BUF_LEN];
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((name, path, file, size)) = files.get(i) else {
                return out;
            };
            let offset = layout.segment(*name).map(|s| s.offset).unwrap_or(0);
            let r = copy_segment(file, path, *size, &tmp, offset, &mut buf, &copied, report);
            let failed = r.is_err();
            out.push((i, r));
            if failed {
                return out;
            }
        }
    };
    let mut results = std::thread::scope(|scope| {
        let helper = scope.spawn(|| worker(&mut |_| {}));
        let mut mine = worker(&mut |n| progress(n, total_work));
        match helper.join() {
            Ok(theirs) => mine.extend(theirs),
            Err(_) => mine.push((
                usize::MAX,
                Err(FsError::Io {
                    path: tmp.dest.clone(),
                    source: io::Error::other("a copy worker panicked"),
                }),
            )),
        }
        mine
    });
    results.sort_by_key(|(i, _)| *i);
    let mut digests = Vec::new();
    for (i, r) in results {
        let name = files.get(i).map(|f| f.0).unwrap_or(SegmentName::State);
        digests.push((name, r?));
    }
    if digests.len() != files.len() {
        return Err(FsError::Io {
            path: tmp.dest.clone(),
            source: io::Error::other("a segment was not copied"),
        });
    }
    let mut done = copied.load(Ordering::Relaxed);
    let mut buf = vec![0u8; BUF_LEN];
    let comp = compose(
        layout,
        &digests,
        &req.board,
        &req.system_version,
        req.profile,
    )
    .map_err(|source| FsError::Image {
        path: PathBuf::from("(arguments)"),
        source,
    })?;
    let ranges = comp.layout.ranges();
    tmp.file
        .write_all_at(&comp.mbr, 0)
        .map_err(io_err(&tmp.dest))?;
    tmp.file
        .write_all_at(&comp.gpt_primary, SECTOR)
        .map_err(io_err(&tmp.dest))?;
    if let Some(r) = ranges.last() {
        tmp.file
            .write_all_at(&comp.gpt_backup, r.offset)
            .map_err(io_err(&tmp.dest))?;
    }
    if let (Some(seg), Some(header)) = (comp.layout.segment(SegmentName::State), &comp.state_header)
    {
        tmp.file
            .write_all_at(header, seg.offset)
            .map_err(io_err(&tmp.dest))?;
    }
    let mut range_hashes = Vec::with_capacity(ranges.len());
    for r in &ranges {
        let h = match r.name {
            crate::layout::RANGE_MBR => crate::sha256(&comp.mbr),
            crate::layout::RANGE_GPT_PRIMARY => crate::sha256(&comp.gpt_primary),
            crate::layout::RANGE_GPT_BACKUP => crate::sha256(&comp.gpt_backup),
            "state" => crate::sha256(comp.state_header.as_ref().map(|h| &h[..]).unwrap_or(&[])),
            name => digests
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|d| d.1)
                .unwrap_or_default(),
        };
        range_hashes.push(h);
    }
    // The whole-image digest, read back sequentially (from the page cache) while the
    // data is written back to the disk.
    let (image_digest, synced) = std::thread::scope(|scope| {
        let syncer = scope.spawn(|| tmp.file.sync_data());
        let mut hasher = sha2::Sha256::new();
        let mut at = 0u64;
        let mut result = Ok(());
        while at < comp.layout.total_len() {
            let n = ((comp.layout.total_len() - at) as usize).min(BUF_LEN);
            if let Err(e) = tmp.file.read_exact_at(&mut buf[..n], at) {
                result = Err(e);
                break;
            }
            hasher.update(&buf[..n]);
            at += n as u64;
            done += n as u64;
            progress(done, total_work);
        }
        let synced = syncer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the sync worker panicked")));
        (result.map(|()| <[u8; 32]>::from(hasher.finalize())), synced)
    });
    let image_digest = image_digest.map_err(io_err(&tmp.dest))?;
    synced.map_err(io_err(&tmp.dest))?;
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
    // Every output is written to its temporary first; the manifest goes into place
    // last, so it never names a signature or an image that is not there.
    let mut staged = vec![tmp];
    if let Some(sig) = &signature {
        let mut t = TempFile::new(sig_path)?;
        t.file.write_all(sig.as_bytes()).map_err(io_err(sig_path))?;
        staged.push(t);
    }
    let mut t = TempFile::new(manifest_path)?;
    t.file
        .write_all(&manifest_bytes)
        .map_err(io_err(manifest_path))?;
    staged.push(t);
    commit_all(staged)?;
    Ok(Built {
        manifest,
        manifest_bytes,
        signature,
    })
}

/// Copies one segment file into the image at `offset`, hashing it on the way, and
/// checks that the file still has the size it had when the layout was planned.
#[allow(clippy::too_many_arguments)]
fn copy_segment(
    file: &File,
    path: &Path,
    size: u64,
    image: &TempFile,
    offset: u64,
    buf: &mut [u8],
    copied: &AtomicU64,
    report: &mut dyn FnMut(u64),
) -> Result<[u8; 32], FsError> {
    let mut reader = file;
    let mut hasher = sha2::Sha256::new();
    let mut at = offset;
    let mut read_total = 0u64;
    loop {
        let n = reader.read(buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        read_total += n as u64;
        if read_total > size {
            return Err(FsError::Changed {
                path: path.to_path_buf(),
            });
        }
        hasher.update(&buf[..n]);
        image
            .file
            .write_all_at(&buf[..n], at)
            .map_err(io_err(&image.dest))?;
        at += n as u64;
        report(copied.fetch_add(n as u64, Ordering::Relaxed) + n as u64);
    }
    if read_total != size {
        return Err(FsError::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok(hasher.finalize().into())
}

/// A temporary file beside its destination, removed on drop unless committed.
struct TempFile {
    path: PathBuf,
    dest: PathBuf,
    file: File,
    committed: bool,
}

/// A hidden file beside `dest`: `.NAME.TAG-PID`.
fn sibling(dest: &Path, tag: &str) -> Result<PathBuf, FsError> {
    let name = dest
        .file_name()
        .ok_or_else(|| FsError::Io {
            path: dest.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"),
        })?
        .to_string_lossy()
        .into_owned();
    Ok(dest.with_file_name(format!(".{name}.{tag}-{}", std::process::id())))
}

impl TempFile {
    fn new(dest: &Path) -> Result<TempFile, FsError> {
        let path = sibling(dest, "tmp")?;
        // Errors name the destination: the temporary is an implementation detail.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(io_err(dest))?;
        Ok(TempFile {
            path,
            dest: dest.to_path_buf(),
            file,
            committed: false,
        })
    }

    fn commit(mut self) -> Result<(), FsError> {
        self.file.sync_all().map_err(io_err(&self.dest))?;
        fs::rename(&self.path, &self.dest).map_err(io_err(&self.dest))?;
        self.committed = true;
        sync_parent(&self.dest)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the file is ours and incomplete.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Moves every staged file into place, in order, after fsyncing them all. When a rename
/// fails, the files already moved are undone: an earlier file is put back from a hard
/// link taken before it was replaced, and a file that did not exist before is removed.
fn commit_all(mut staged: Vec<TempFile>) -> Result<(), FsError> {
    for t in &staged {
        t.file.sync_all().map_err(io_err(&t.dest))?;
    }
    // (destination, existed before, hard link to the earlier file)
    let mut moved: Vec<(PathBuf, bool, Option<PathBuf>)> = Vec::new();
    for t in &mut staged {
        let existed = t.dest.symlink_metadata().is_ok();
        let backup = if existed {
            let b = sibling(&t.dest, "old")?;
            let _ = fs::remove_file(&b);
            fs::hard_link(&t.dest, &b).ok().map(|()| b)
        } else {
            None
        };
        if let Err(source) = fs::rename(&t.path, &t.dest) {
            if let Some(b) = &backup {
                let _ = fs::remove_file(b);
            }
            for (dest, existed, backup) in moved.iter().rev() {
                // Best effort: the rename error below is what is reported.
                match backup {
                    Some(b) => {
                        let _ = fs::rename(b, dest);
                    }
                    None if !existed => {
                        let _ = fs::remove_file(dest);
                    }
                    None => {}
                }
            }
            return Err(FsError::Io {
                path: t.dest.clone(),
                source,
            });
        }
        t.committed = true;
        moved.push((t.dest.clone(), existed, backup));
    }
    for (_, _, backup) in &moved {
        if let Some(b) = backup {
            let _ = fs::remove_file(b);
        }
    }
    for (dest, _, _) in &moved {
        sync_parent(dest)?;
    }
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Where an output will be: its directory, canonicalized, joined with its file name
/// (the file itself need not exist). Fails when the directory does not exist or is not
/// a directory, or when the path names a directory.
fn output_location(option: &str, path: &Path) -> Result<PathBuf, FsError> {
    let refuse = |reason: String| FsError::Output {
        path: path.to_path_buf(),
        reason,
    };
    let Some(name) = path.file_name() else {
        return Err(refuse(format!("{option}: the path has no file name")));
    };
    let dir = parent_dir(path);
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(refuse(format!(
                "{option}: {} is not a directory",
                dir.display()
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(refuse(format!(
                "{option}: directory {} does not exist",
                dir.display()
            )))
        }
        Err(e) => {
            return Err(refuse(format!(
                "{option}: directory {}: {e}",
                dir.display()
            )))
        }
    }
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(refuse(format!("{option}: is a directory")));
    }
    let canon = fs::canonicalize(dir)
        .map_err(|e| refuse(format!("{option}: directory {}: {e}", dir.display())))?;
    Ok(canon.join(name))
}

/// Checks a command's outputs before any work: each one's directory exists, no output is
/// a directory, no two outputs are the same file, and no output is one of the inputs
/// (same location, or the same file through another name). Each path comes with the
/// option that named it, for the message.
pub fn check_outputs(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<(), FsError> {
    use std::os::unix::fs::MetadataExt as _;
    let mut seen: Vec<(&str, &Path, PathBuf)> = Vec::new();
    for (option, path) in outputs {
        let at = output_location(option, path)?;
        if let Some((other, other_path, _)) = seen.iter().find(|s| s.2 == at) {
            return Err(FsError::Output {
                path: path.to_path_buf(),
                reason: format!(
                    "{option} is the same file as {other} ({}); each output needs its own path",
                    other_path.display()
                ),
            });
        }
        let out_meta = fs::metadata(path).ok();
        for (input, input_path) in inputs {
            let same_file = match (&out_meta, fs::metadata(input_path)) {
                (Some(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            let same_place = input_path.file_name().is_some_and(|n| {
                fs::canonicalize(parent_dir(input_path)).is_ok_and(|d| d.join(n) == at)
            }) || fs::canonicalize(input_path).is_ok_and(|c| c == at);
            if same_file || same_place {
                return Err(FsError::Output {
                    path: path.to_path_buf(),
                    reason: format!(
                        "{option} is also the input {input} ({}); refusing to replace an input",
                        input_path.display()
                    ),
                });
            }
        }
        seen.push((option, path, at));
    }
    Ok(())
}

fn sync_parent(path: &Path) -> Result<(), FsError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Directories cannot be opened everywhere; where they can, make the rename durable.
    if let Ok(d) = File::open(dir) {
        d.sync_all().map_err(io_err(dir))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically and durably (temporary file, fsync, rename, fsync
/// of the directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let mut tmp = TempFile::new(path)?;
    tmp.file.write_all(bytes).map_err(io_err(&tmp.dest))?;
    tmp.commit()
}

/// Reads at most `limit` bytes of `path`, failing when the file is larger.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FsError> {
    let file = File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    if len > limit {
        return Err(FsError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{len} bytes is over the limit of {limit} bytes"),
            ),
        });
    }
    let mut out = Vec::with_capacity(len as usize);
    file.take(limit)
        .read_to_end(&mut out)
        .map_err(io_err(path))?;
    Ok(out)
}

/// Reads and parses a manifest file, returning the manifest and its exact bytes.
pub fn read_manifest(path: &Path) -> Result<(Manifest, Vec<u8>), FsError> {
    let bytes = read_capped(path, crate::MAX_MANIFEST_LEN as u64)?;
    let manifest = Manifest::parse(&bytes).map_err(|source| FsError::Image {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((manifest, bytes))
}

/// Reads a detached signature file (exactly 64 bytes).
pub fn read_signature(path: &Path) -> Result<Signature, FsError> {
    let bytes = read_capped(path, 4096).map_err(|e| match e {
        FsError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound => {
            FsError::Signature {
                path: path.to_path_buf(),
                reason: "signature file not found (the manifest says it is signed)".into(),
            }
        }
        other => other,
    })?;
    Signature::from_slice(&bytes).map_err(|e| FsError::Signature {
        path: path.to_path_buf(),
        reason: format!("{e}"),
    })
}

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
    let mut tmp = TempFile::new(out)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; BUF_LEN];
    let mut at = offset;
    while at < offset + size {
        let n = ((offset + size - at) as usize).min(BUF_LEN);
        file.read_exact_at(&mut buf[..n], at)
            .map_err(io_err(image))?;
        hasher.update(&buf[..n]);
        tmp.file.write_all(&buf[..n]).map_err(io_err(&tmp.dest))?;
        at += n as u64;
    }
    if let Some(d) = digest {
        if <[u8; 32]>::from(hasher.finalize()) != d {
            return Err(FsError::RangeMismatch {
                range: name.as_str().into(),
            });
        }
    }
    tmp.commit()?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn staged(dest: &Path, bytes: &[u8]) -> TempFile {
        let mut t = TempFile::new(dest).unwrap();
        t.file.write_all(bytes).unwrap();
        t
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_failed_rename_undoes_the_outputs_already_in_place() {
        let d = tempfile::tempdir().unwrap();
        let old = d.path().join("old.img");
        let new = d.path().join("new.sig");
        let blocked = d.path().join("m.json");
        fs::write(&old, b"earlier image").unwrap();
        // A non-empty directory where the last output goes: its rename fails.
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("x"), b"x").unwrap();
        let err = commit_all(vec![
            staged(&old, b"new image"),
            staged(&new, b"signature"),
            staged(&blocked, b"manifest"),
        ])
        .unwrap_err();
        assert!(
            matches!(&err, FsError::Io { path, .. } if *path == blocked),
            "{err}"
        );
        assert_eq!(fs::read(&old).unwrap(), b"earlier image");
        assert!(!new.exists(), "a new output is removed again");
        assert_eq!(listing(d.path()), ["m.json", "old.img"]);
    }

    #[test]
    fn all_outputs_go_into_place_together() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.img");
        let b = d.path().join("a.json");
        fs::write(&a, b"earlier").unwrap();
        commit_all(vec![staged(&a, b"image"), staged(&b, b"manifest")]).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"image");
        assert_eq!(fs::read(&b).unwrap(), b"manifest");
        assert_eq!(listing(d.path()), ["a.img", "a.json"]);
    }
}
