//! I/O adapters (feature `std`): verifying and reading files in a stream with the size
//! bound checked before reading (`durable::open_capped`), packing a directory of bundles into a system-set
//! (written atomically and durably through the `durable` crate), the BootCtrl record
//! file, and atomic staging into a slot directory.
//!
//! Memory stays bounded whatever the archive size: files are read in [`CHUNK`]-sized
//! pieces and fed to the sans-IO readers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;
use std::{fmt, format, vec};

use sha2::{Digest, Sha256};
use signing::{SecretKey, TrustedKeys};

use crate::bootrecord::{self, Loaded, RECORD_LEN};
use crate::index::BundleEntry;
use crate::nxb::{BundleReader, ReadBundle};
use crate::pack::{PackPlan, SystemSetMeta};
use crate::{
    BootState, Error, SlotId, SystemSetDigest, SystemSetVerifier, VerifiedSystemSet, VerifyPolicy,
};

/// Size of the read buffer used for streaming.
pub const CHUNK: usize = 256 * 1024;
/// Largest `.nxb` file `pack_dir` and `read_bundle_file` accept by default.
pub const DEFAULT_MAX_BUNDLE_SIZE: u64 = 100 * 1024 * 1024;

/// Why a file operation failed; every variant names the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// The operating system reported an error.
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is larger than the bound (checked before reading it).
    TooLarge {
        /// The file at fault.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The bound in effect.
        limit: u64,
    },
    /// The content is invalid.
    Format {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong.
        source: Error,
    },
    /// A bundle file changed between hashing it and copying it into the archive.
    Changed {
        /// The file at fault.
        path: PathBuf,
    },
    /// The input directory holds no `.nxb` file.
    NoBundles {
        /// The directory.
        dir: PathBuf,
    },
    /// Two bundle files carry the same bundle name.
    DuplicateBundle {
        /// The bundle name.
        name: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// The system-set would be larger than the bound its readers apply; nothing was
    /// written.
    SetTooLarge {
        /// The output.
        path: PathBuf,
        /// The size the set would have.
        size: u64,
        /// The bound in effect.
        limit: u64,
    },
    /// An output could not be written or an input not read (see [`durable::Error`]).
    Durable(durable::Error),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FileError::TooLarge { path, size, limit } => write!(
                f,
                "{}: {size} bytes exceeds the bound of {limit} bytes",
                path.display()
            ),
            FileError::Format { path, source } => write!(f, "{}: {source}", path.display()),
            FileError::Changed { path } => {
                write!(
                    f,
                    "{}: the file changed while it was being packed",
                    path.display()
                )
            }
            FileError::NoBundles { dir } => {
                write!(f, "{}: no .nxb bundle in the directory", dir.display())
            }
            FileError::DuplicateBundle {
                name,
                first,
                second,
            } => write!(
                f,
                "bundle {name:?} is in both {} and {}",
                first.display(),
                second.display()
            ),
            FileError::SetTooLarge { path, size, limit } => write!(
                f,
                "{}: the system-set would be {size} bytes, over the bound of {limit} bytes \
                 that verifying and inspecting it apply (nothing was written)",
                path.display()
            ),
            FileError::Durable(e) => write!(f, "{e}"),
        }
    }
}

// Display already includes the underlying error (so `{}` alone says everything);
// `source` stays empty to keep error chains from printing it twice.
impl std::error::Error for FileError {}

impl From<durable::Error> for FileError {
    fn from(e: durable::Error) -> Self {
        match e {
            durable::Error::Io { path, cause } => FileError::Io {
                path,
                source: cause,
            },
            durable::Error::TooLarge { path, size, limit } => {
                FileError::TooLarge { path, size, limit }
            }
            other => FileError::Durable(other),
        }
    }
}

impl FileError {
    /// The format error, when the content was at fault.
    pub fn format_error(&self) -> Option<&Error> {
        match self {
            FileError::Format { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn format_at(path: &Path) -> impl FnOnce(Error) -> FileError + '_ {
    move |source| FileError::Format {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads `file` to its end in [`CHUNK`] pieces, handing each to `sink`.
fn stream(
    path: &Path,
    file: &mut File,
    mut sink: impl FnMut(&[u8]) -> Result<(), FileError>,
) -> Result<(), FileError> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_at(path)(e)),
        };
        sink(buf.get(..n).unwrap_or_default())?;
    }
}

/// Verifies a system-set file under `policy`. The file size is checked against the
/// policy's bound before reading; the file is then streamed through the verifier.
pub fn verify_file(path: &Path, policy: VerifyPolicy) -> Result<VerifiedSystemSet, FileError> {
    let (mut file, _) = durable::open_capped(path, policy.max_archive_size())?;
    let mut verifier = SystemSetVerifier::new(policy);
    stream(path, &mut file, |chunk| {
        verifier.push(chunk).map_err(format_at(path))
    })?;
    verifier.finish().map_err(format_at(path))
}

/// Reads a `.nxb` file in a stream (structure, manifest, payload digest; the manifest
/// signature too when `trusted` is given).
pub fn read_bundle_file(
    path: &Path,
    trusted: Option<&TrustedKeys>,
    limit: u64,
) -> Result<ReadBundle, FileError> {
    let (mut file, _) = durable::open_capped(path, limit)?;
    let mut reader = BundleReader::new(trusted);
    stream(path, &mut file, |chunk| {
        reader.push(chunk).map_err(format_at(path))
    })?;
    reader.finish().map_err(format_at(path))
}

/// One bundle file found by [`plan_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// The file.
    pub path: PathBuf,
    /// Its index entry.
    pub entry: BundleEntry,
}

/// Lists the `.nxb` files of `dir` (not recursive; other files and names starting with
/// `.`, such as temporary files of atomic writes, are ignored) and reads
/// each completely, giving their index entries sorted by bundle name.
pub fn plan_dir(dir: &Path, max_bundle_size: u64) -> Result<Vec<BundleFile>, FileError> {
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_at(dir))? {
        let entry = entry.map_err(io_at(dir))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && path.extension().is_some_and(|e| e == "nxb") {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(FileError::NoBundles {
            dir: dir.to_path_buf(),
        });
    }
    paths.sort();
    let mut files: Vec<BundleFile> = Vec::with_capacity(paths.len());
    for path in paths {
        let read = read_bundle_file(&path, None, max_bundle_size)?;
        files.push(BundleFile {
            entry: BundleEntry {
                name: read.manifest.name,
                version: read.manifest.version,
                sha256: read.sha256,
                size: read.len,
            },
            path,
        });
    }
    files.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
    if let Some(w) = files
        .windows(2)
        .find(|w| w[0].entry.name == w[1].entry.name)
    {
        return Err(FileError::DuplicateBundle {
            name: w[0].entry.name.to_string(),
            first: w[0].path.clone(),
            second: w[1].path.clone(),
        });
    }
    Ok(files)
}

/// Packs the `.nxb` files of `dir` into a system-set at `output`, written atomically.
/// Each bundle is hashed while it is copied and compared with the index, so a bundle
/// changed meanwhile fails the pack instead of producing a set that does not verify.
/// A set that would exceed `max_archive_size` (the bound verifying it applies,
/// [`crate::DEFAULT_MAX_ARCHIVE_SIZE`] by default) is refused before anything is written.
pub fn pack_dir(
    dir: &Path,
    meta: &SystemSetMeta,
    key: &SecretKey,
    output: &Path,
    max_bundle_size: u64,
    max_archive_size: u64,
) -> Result<PackPlan, FileError> {
    let files = plan_dir(dir, max_bundle_size)?;
    let plan = PackPlan::new(meta, files.iter().map(|f| f.entry.clone()).collect(), key)
        .map_err(format_at(dir))?;
    if plan.archive_len() > max_archive_size {
        return Err(FileError::SetTooLarge {
            path: output.to_path_buf(),
            size: plan.archive_len(),
            limit: max_archive_size,
        });
    }
    durable::write_atomic_with(output, |out| {
        let head = plan.head().map_err(format_at(output))?;
        out.write_all(&head).map_err(io_at(output))?;
        for (i, f) in files.iter().enumerate() {
            let header = plan.bundle_header(i).map_err(format_at(&f.path))?;
            out.write_all(&header).map_err(io_at(output))?;
            let (mut file, _) = durable::open_capped(&f.path, f.entry.size)?;
            let mut hasher = Sha256::new();
            let mut copied = 0u64;
            stream(&f.path, &mut file, |chunk| {
                copied += chunk.len() as u64;
                if copied > f.entry.size {
                    return Err(FileError::Changed {
                        path: f.path.clone(),
                    });
                }
                hasher.update(chunk);
                out.write_all(chunk).map_err(io_at(output))
            })?;
            let digest: [u8; 32] = hasher.finalize().into();
            if copied != f.entry.size || digest != f.entry.sha256 {
                return Err(FileError::Changed {
                    path: f.path.clone(),
                });
            }
            out.write_all(&plan.bundle_padding(i))
                .map_err(io_at(output))?;
        }
        out.write_all(plan.tail()).map_err(io_at(output))
    })?;
    Ok(plan)
}

/// The BootCtrl record in a file of [`RECORD_LEN`] bytes (two copies; see
/// [`crate::bootrecord`]). Each save overwrites one copy in place and fsyncs.
#[derive(Debug)]
pub struct BootStore {
    path: PathBuf,
    loaded: Option<Loaded>,
}

impl BootStore {
    /// Opens the record at `path`. A missing or blank file, or one where neither copy
    /// is valid, starts from [`BootState::factory`].
    pub fn open(path: &Path) -> Result<(Self, BootState), FileError> {
        let mut record = [0u8; RECORD_LEN];
        match File::open(path) {
            Ok(mut f) => {
                let mut buf = Vec::new();
                (&mut f)
                    .take(RECORD_LEN as u64)
                    .read_to_end(&mut buf)
                    .map_err(io_at(path))?;
                if let Some(dst) = record.get_mut(..buf.len()) {
                    dst.copy_from_slice(&buf);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(path)(e)),
        }
        let loaded = bootrecord::load(&record).ok();
        let state = loaded.map_or_else(BootState::factory, |l| l.state);
        Ok((
            BootStore {
                path: path.to_path_buf(),
                loaded,
            },
            state,
        ))
    }

    /// Persists `state`: overwrites the older copy in place and fsyncs it.
    pub fn save(&mut self, state: &BootState) -> Result<(), FileError> {
        let (offset, bytes) = bootrecord::next_write(self.loaded.as_ref(), state);
        let path = &self.path;
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_at(path))?;
        f.set_len(RECORD_LEN as u64).map_err(io_at(path))?;
        f.seek(SeekFrom::Start(offset as u64))
            .map_err(io_at(path))?;
        f.write_all(&bytes).map_err(io_at(path))?;
        f.sync_all().map_err(io_at(path))?;
        let copy = offset / bootrecord::COPY_LEN;
        let seq = self.loaded.map_or(1, |l| l.seq.wrapping_add(1));
        self.loaded = Some(Loaded {
            state: *state,
            seq,
            copy,
        });
        Ok(())
    }
}

/// An update root directory on the host, laid out as the device's `state:/boot/`:
/// `bootctl` (the record) and `slots/<a|b>/<digest>.nxs` (staged system-sets).
#[derive(Debug, Clone)]
pub struct UpdateRoot {
    root: PathBuf,
}

impl UpdateRoot {
    /// An update root at `root` (created on first use).
    pub fn new(root: &Path) -> Self {
        UpdateRoot {
            root: root.to_path_buf(),
        }
    }

    /// The BootCtrl record file.
    pub fn record_path(&self) -> PathBuf {
        self.root.join("bootctl")
    }

    /// The directory of `slot`.
    pub fn slot_dir(&self, slot: SlotId) -> PathBuf {
        self.root.join("slots").join(slot.name())
    }

    /// Where a system-set with `digest` is kept in `slot`.
    pub fn set_path(&self, slot: SlotId, digest: &SystemSetDigest) -> PathBuf {
        self.slot_dir(slot).join(format!("{digest}.nxs"))
    }

    /// Stages the system-set at `source`: it is verified under `policy` while it is
    /// copied into the inactive slot under a temporary name, renamed to
    /// `<digest>.nxs` only once verified, and only then recorded in the BootCtrl
    /// record (one copy written; see [`BootStore`]). A failure or interruption at any
    /// point leaves the record, and so the previously staged set, as it was; a file left
    /// by an interrupted stage is not referenced by the record and is removed by the
    /// next successful stage.
    pub fn stage(
        &self,
        source: &Path,
        policy: VerifyPolicy,
    ) -> Result<(VerifiedSystemSet, BootState), FileError> {
        let record = self.record_path();
        fs::create_dir_all(&self.root).map_err(io_at(&self.root))?;
        let (mut store, state) = BootStore::open(&record)?;
        // Refuse early (before copying anything) when staging is not allowed now.
        state
            .stage(SystemSetDigest([0; 32]))
            .map_err(format_at(&record))?;
        let slot = state.active.other();
        let dir = self.slot_dir(slot);
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let (mut file, _) = durable::open_capped(source, policy.max_archive_size())?;
        let incoming = dir.join(format!(".incoming-{}.nxs", std::process::id()));
        let mut verified = None;
        durable::write_atomic_with::<FileError>(&incoming, |out| {
            let mut verifier = SystemSetVerifier::new(policy);
            stream(source, &mut file, |chunk| {
                verifier.push(chunk).map_err(format_at(source))?;
                out.write_all(chunk).map_err(io_at(&incoming))
            })?;
            verified = Some(verifier.finish().map_err(format_at(source))?);
            Ok(())
        })
        .inspect_err(|_: &FileError| {
            let _ = fs::remove_file(&incoming);
        })?;
        let Some(verified) = verified else {
            let _ = fs::remove_file(&incoming);
            return Err(FileError::Changed {
                path: source.to_path_buf(),
            });
        };
        let target = self.set_path(slot, &verified.digest);
        fs::rename(&incoming, &target).map_err(io_at(&target))?;
        sync_dir(&dir)?;
        let (next, _) = state.stage(verified.digest).map_err(format_at(&record))?;
        store.save(&next)?;
        // Only now is anything else in the slot unreferenced.
        self.remove_unreferenced(slot, &target);
        Ok((verified, next))
    }

    fn remove_unreferenced(&self, slot: SlotId, keep: &Path) {
        let Ok(entries) = fs::read_dir(self.slot_dir(slot)) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path != keep && path.extension().is_some_and(|e| e == "nxs") {
                // Best effort: a leftover is harmless, the record never names it.
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// Fsyncs `dir` so that a rename into it is durable (where directories can be opened).
fn sync_dir(dir: &Path) -> Result<(), FileError> {
    if let Ok(d) = File::open(dir) {
        d.sync_all().map_err(io_at(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_atomic_write_names_the_output_and_leaves_nothing() {
        use durable::write_atomic_with as write_atomic;
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir").join("out.nxs");
        let e = write_atomic(&missing, |_| Ok::<(), FileError>(())).unwrap_err();
        assert!(
            matches!(&e, FileError::Io { path, .. } if *path == missing),
            "{e}"
        );
        assert!(!e.to_string().contains(".tmp-"), "{e}");

        let out = dir.path().join("out.nxs");
        let e = write_atomic(&out, |w: &mut std::io::BufWriter<&File>| {
            w.write_all(b"partial").map_err(io_at(&out))?;
            Err(FileError::Changed { path: out.clone() })
        })
        .unwrap_err();
        assert!(matches!(e, FileError::Changed { .. }), "{e}");
        // Neither the output nor a temporary file is left.
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
