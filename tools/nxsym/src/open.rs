//! Opening an index file: memory-mapped read-only, so a lookup touches only the pages
//! it reads and process start to answer stays short.

use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context, Result};
use memmap2::Mmap;

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
