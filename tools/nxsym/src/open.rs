//! Opening index files: memory-mapped read-only, so a lookup touches only the pages it
//! reads and process start to answer stays short; and joining the files of `--sym` and
//! `--sym-dir` into one symbol store.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cli_support::symbols::SymArgs;
use memmap2::Mmap;
use symindex::IndexSet;

/// Largest index accepted: 16 GiB.
const MAX_INDEX_BYTES: u64 = 16 << 30;

/// A mapped index file.
pub struct IndexFile {
    map: Mmap,
}

impl IndexFile {
    pub fn open(path: &Path) -> Result<IndexFile> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let meta = file
            .metadata()
            .with_context(|| format!("cannot stat {}", path.display()))?;
        if meta.is_dir() {
            bail!("{} is a directory, not an index file", path.display());
        }
        if !meta.is_file() {
            bail!(
                "{} is not a regular file, so not an index file",
                path.display()
            );
        }
        let len = meta.len();
        if len > MAX_INDEX_BYTES {
            bail!(
                "{}: {len} bytes is over the index limit of {MAX_INDEX_BYTES}",
                path.display()
            );
        }
        // SAFETY: the map is read-only and private to this process; the index is opened
        // only for the duration of one command. If another process truncates the file
        // meanwhile, reads past the new end fault (SIGBUS) rather than corrupt memory;
        // index files are written by rename, never truncated in place.
        let map = unsafe { Mmap::map(&file) }
            .with_context(|| format!("cannot map {}", path.display()))?;
        Ok(IndexFile { map })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }
}

/// The mapped files of a symbol store, in lookup order.
pub struct IndexFiles {
    files: Vec<(PathBuf, IndexFile)>,
}

impl IndexFiles {
    /// Maps every index of `--sym` and `--sym-dir`; giving neither is a usage error, and
    /// so is a `--sym-dir` with no index in it when nothing else is given.
    pub fn open(sym: &SymArgs) -> Result<IndexFiles> {
        if sym.is_empty() {
            return Err(cli_support::usage(
                "no symbol index: give --sym FILE or --sym-dir DIR",
            ));
        }
        let paths = sym.paths()?;
        if paths.is_empty() {
            return Err(cli_support::usage(
                "no symbol index: the --sym-dir directories hold no *.nxsym file",
            ));
        }
        let files = paths
            .into_iter()
            .map(|p| IndexFile::open(&p).map(|f| (p, f)))
            .collect::<Result<_>>()?;
        Ok(IndexFiles { files })
    }

    /// The indexes as one set; a bad index or one Build-ID with two contents is an error
    /// naming the files.
    pub fn set(&self) -> Result<IndexSet<'_>> {
        let mut set = IndexSet::new();
        for (path, file) in &self.files {
            set.add(&path.display().to_string(), file.bytes())?;
        }
        Ok(set)
    }

    /// The files, in lookup order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(p, _)| p.as_path())
    }
}
