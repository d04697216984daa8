//! The store: mount or format a state partition, then read, write (atomically), rename,
//! remove and list its files.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ffi::c_int;

use image::state::{StateHeader, HEADER_LEN};

use crate::lfs::{self, Failure, Lfs};
use crate::path::{c_path, check_path, escape, parent, CPath, TMP_NAME};
use crate::{BlockDevice, Error, BLOCK_SIZE, DISK_VERSION, MAX_FILE, MIN_BLOCKS, STORE_OFFSET};

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
}

/// One file or directory of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path from the store's root, without a leading `/`.
    pub path: String,
    /// File or directory.
    pub kind: Kind,
    /// Size in bytes (0 for a directory).
    pub size: u64,
}

/// How [`Store::open_or_format`] found the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// It held a store, now mounted.
    Mounted,
    /// It held none (a new image): it was formatted.
    Formatted,
}

/// Space in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Bytes a block holds.
    pub block_size: u32,
    /// Blocks in the store.
    pub blocks: u32,
    /// Blocks in use (littlefs's count, which may overstate when files share blocks).
    pub used: u32,
}

/// A mounted store over a device.
pub struct Store<D: BlockDevice> {
    lfs: Lfs<D>,
    header: StateHeader,
}

impl<D: BlockDevice> core::fmt::Debug for Store<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("header", &self.header)
            .field("blocks", &self.lfs.blocks())
            .finish()
    }
}

fn device_error(op: &'static str, offset: u64, reason: crate::DeviceError) -> Error {
    Error::Device { op, offset, reason }
}

/// Reads and checks the partition's header and derives the store's block count.
fn geometry<D: BlockDevice>(dev: &mut D) -> Result<(StateHeader, u32), Error> {
    let mut head = [0u8; HEADER_LEN];
    dev.read(0, &mut head)
        .map_err(|r| device_error("read", 0, r))?;
    let header = StateHeader::decode(&head).map_err(|e| match e {
        image::Error::StateHeader { what } => Error::Header { what },
        _ => Error::Header {
            what: "not a state partition header",
        },
    })?;
    let size = dev.size();
    if header.size != size {
        return Err(Error::Geometry {
            what: format!(
                "the header says {} bytes but the partition holds {size}",
                header.size
            ),
        });
    }
    let blocks = size.saturating_sub(STORE_OFFSET) / u64::from(BLOCK_SIZE);
    let blocks = u32::try_from(blocks).map_err(|_| Error::Geometry {
        what: format!("{size} bytes is more blocks than littlefs addresses"),
    })?;
    if blocks < MIN_BLOCKS {
        return Err(Error::Geometry {
            what: format!(
                "{size} bytes leaves {blocks} blocks of {BLOCK_SIZE} bytes; the store needs {MIN_BLOCKS}"
            ),
        });
    }
    Ok((header, blocks))
}

impl<D: BlockDevice> Store<D> {
    /// Mounts the store of a state partition; [`Error::NotFormatted`] when it holds none.
    pub fn mount(dev: D) -> Result<Store<D>, Error> {
        let mut store = Store::unmounted(dev)?;
        store.mount_checked()?;
        Ok(store)
    }

    /// The store of a checked partition, not yet mounted or formatted.
    fn unmounted(mut dev: D) -> Result<Store<D>, Error> {
        let (header, blocks) = geometry(&mut dev)?;
        Ok(Store {
            lfs: Lfs::new(dev, blocks),
            header,
        })
    }

    /// Formats the partition (whatever it held), bumps the header's generation, and
    /// mounts the new, empty store.
    pub fn format(dev: D) -> Result<Store<D>, Error> {
        let mut store = Store::unmounted(dev)?;
        store.format_here()?;
        Ok(store)
    }

    /// Mounts the store, formatting the partition first when it holds none (what
    /// statefsd does at boot). A store that is there but damaged is an error, never
    /// formatted over.
    pub fn open_or_format(dev: D) -> Result<(Store<D>, Opened), Error> {
        let mut store = Store::unmounted(dev)?;
        match store.mount_checked() {
            Ok(()) => Ok((store, Opened::Mounted)),
            Err(Error::NotFormatted) => {
                store.format_here()?;
                Ok((store, Opened::Formatted))
            }
            Err(e) => Err(e),
        }
    }

    fn mount_checked(&mut self) -> Result<(), Error> {
        let rc = self.lfs.mount();
        if rc == lfs::ERR_CORRUPT && self.store_area_blank()? {
            // A new image's partition: its header and zeros.
            return Err(Error::NotFormatted);
        }
        if rc == lfs::ERR_INVAL {
            return Err(Error::Geometry {
                what: String::from(
                    "its littlefs superblock has another block size, block count or disk \
                     version than the store's (4096-byte blocks, disk version 2.1)",
                ),
            });
        }
        self.check(rc, "mount", "")?;
        let (version, blocks) = self
            .lfs
            .fs_stat()
            .map_err(|rc| self.error(rc, "mount", ""))?;
        if version != DISK_VERSION || blocks != self.lfs.blocks() {
            return Err(Error::Geometry {
                what: format!(
                    "its store is littlefs {}.{} with {blocks} blocks; expected 2.1 with {}",
                    version >> 16,
                    version & 0xffff,
                    self.lfs.blocks()
                ),
            });
        }
        Ok(())
    }

    /// Whether the two superblock blocks are all zeros (a partition never formatted, as
    /// opposed to a damaged store, which is never formatted over implicitly).
    fn store_area_blank(&mut self) -> Result<bool, Error> {
        let mut block = [0u8; BLOCK_SIZE as usize];
        for b in 0..2u64 {
            let at = STORE_OFFSET + b * u64::from(BLOCK_SIZE);
            self.lfs
                .dev()
                .read(at, &mut block)
                .map_err(|r| device_error("read", at, r))?;
            if block.iter().any(|x| *x != 0) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn format_here(&mut self) -> Result<(), Error> {
        let rc = self.lfs.format();
        self.check(rc, "format", "")?;
        let rc = self.lfs.mount();
        self.check(rc, "mount", "")?;
        let header = StateHeader {
            size: self.header.size,
            generation: self.header.generation.wrapping_add(1),
        };
        let bytes = header.encode();
        let dev = self.lfs.dev();
        dev.write(0, &bytes)
            .map_err(|r| device_error("write", 0, r))?;
        dev.flush().map_err(|r| device_error("flush", 0, r))?;
        self.header = header;
        Ok(())
    }

    /// The partition's header (its generation counts the formats).
    pub fn header(&self) -> StateHeader {
        self.header
    }

    /// Space in the store.
    pub fn usage(&mut self) -> Result<Usage, Error> {
        let used = self
            .lfs
            .fs_size()
            .map_err(|rc| self.error(rc, "usage", ""))?;
        Ok(Usage {
            block_size: BLOCK_SIZE,
            blocks: self.lfs.blocks(),
            used,
        })
    }

    /// The entry at `path`.
    pub fn stat(&mut self, path: &str) -> Result<Entry, Error> {
        let rel = check_path(path)?;
        let info = self
            .lfs
            .stat(&c_path(rel, None))
            .map_err(|rc| self.error(rc, "stat", rel))?;
        Ok(Entry {
            path: String::from(rel),
            kind: if info.dir { Kind::Dir } else { Kind::File },
            size: if info.dir { 0 } else { info.size },
        })
    }

    /// The checked path of a regular file, its littlefs path and its entry.
    fn file<'p>(&mut self, path: &'p str) -> Result<(&'p str, CPath, crate::lfs::Info), Error> {
        let rel = check_path(path)?;
        let cp = c_path(rel, None);
        let info = self
            .lfs
            .stat(&cp)
            .map_err(|rc| self.error(rc, "stat", rel))?;
        if info.dir {
            return Err(Error::IsDir { path: rel.into() });
        }
        Ok((rel, cp, info))
    }

    /// The whole file at `path` (at most [`MAX_FILE`] bytes, checked before reading).
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, Error> {
        let (rel, cp, info) = self.file(path)?;
        if info.size > MAX_FILE {
            return Err(Error::TooLarge {
                path: rel.into(),
                size: info.size,
                max: MAX_FILE,
            });
        }
        self.lfs
            .read_file(&cp, info.size as usize)
            .map_err(|rc| self.error(rc, "read", rel))
    }

    /// Reads up to `buf.len()` bytes of the file at `path` from byte `offset` (fewer at its
    /// end, none past it); returns how many.
    pub fn read_at(&mut self, path: &str, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let (rel, cp, info) = self.file(path)?;
        if offset >= info.size {
            return Ok(0);
        }
        let want = buf.len().min((info.size - offset) as usize);
        let offset = u32::try_from(offset).map_err(|_| Error::TooLarge {
            path: rel.into(),
            size: info.size,
            max: MAX_FILE,
        })?;
        self.lfs
            .read_range(&cp, offset, &mut buf[..want])
            .map_err(|rc| self.error(rc, "read", rel))
    }

    /// Writes `data` as the file at `path`, creating its parent directories: afterwards
    /// the file is `data` whole; if the write fails or is cut, the file is what it was.
    pub fn write(&mut self, path: &str, data: &[u8]) -> Result<(), Error> {
        let rel = check_path(path)?;
        if rel.is_empty() {
            return Err(Error::IsDir { path: rel.into() });
        }
        if data.len() as u64 > MAX_FILE {
            return Err(Error::TooLarge {
                path: rel.into(),
                size: data.len() as u64,
                max: MAX_FILE,
            });
        }
        let dir = parent(rel);
        self.make_dirs(dir)?;
        let target = c_path(rel, None);
        match self.lfs.stat(&target) {
            Ok(info) if info.dir => return Err(Error::IsDir { path: rel.into() }),
            Ok(_) => {}
            Err(lfs::ERR_NOENT) => {}
            Err(rc) => return Err(self.error(rc, "stat", rel)),
        }
        let tmp = c_path(dir, Some(TMP_NAME));
        self.remove_tmp(&tmp, rel)?;
        let rc = self.lfs.write_file(&tmp, data);
        if rc < 0 {
            let err = self.error(rc, "write", rel);
            let _ = self.lfs.remove(&tmp);
            return Err(err);
        }
        let rc = self.lfs.rename(&tmp, &target);
        if rc < 0 {
            let err = self.error(rc, "rename", rel);
            let _ = self.lfs.remove(&tmp);
            return Err(err);
        }
        self.flush()
    }

    fn remove_tmp(&mut self, tmp: &CPath, rel: &str) -> Result<(), Error> {
        match self.lfs.remove(tmp) {
            0 | lfs::ERR_NOENT => Ok(()),
            rc => Err(self.error(rc, "remove stale temporary file", rel)),
        }
    }

    /// Creates the directory `path` and its parents (existing directories are fine).
    pub fn create_dir(&mut self, path: &str) -> Result<(), Error> {
        let rel = check_path(path)?;
        self.make_dirs(rel)?;
        self.flush()
    }

    fn make_dirs(&mut self, rel: &str) -> Result<(), Error> {
        if rel.is_empty() {
            return Ok(());
        }
        let mut end = 0;
        while end < rel.len() {
            end = rel[end..].find('/').map_or(rel.len(), |i| end + i);
            let prefix = &rel[..end];
            let cp = c_path(prefix, None);
            match self.lfs.mkdir(&cp) {
                0 => {}
                lfs::ERR_EXIST => match self.lfs.stat(&cp) {
                    Ok(info) if info.dir => {}
                    Ok(_) => {
                        return Err(Error::NotDir {
                            path: prefix.into(),
                        })
                    }
                    Err(rc) => return Err(self.error(rc, "stat", prefix)),
                },
                rc => return Err(self.error(rc, "mkdir", prefix)),
            }
            end += 1;
        }
        Ok(())
    }

    /// Removes the file or empty directory at `path`.
    pub fn remove(&mut self, path: &str) -> Result<(), Error> {
        let rel = check_path(path)?;
        if rel.is_empty() {
            return Err(Error::BadPath {
                path: escape(path),
                why: "the root cannot be removed",
            });
        }
        let rc = self.lfs.remove(&c_path(rel, None));
        self.check(rc, "remove", rel)?;
        self.flush()
    }

    /// Renames `from` to `to`, atomically replacing a file (or empty directory) at `to`.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let a = check_path(from)?;
        let b = check_path(to)?;
        if a.is_empty() || b.is_empty() {
            return Err(Error::BadPath {
                path: escape(if a.is_empty() { from } else { to }),
                why: "the root cannot be renamed",
            });
        }
        self.make_dirs(parent(b))?;
        let rc = self.lfs.rename(&c_path(a, None), &c_path(b, None));
        self.check(rc, "rename", a)?;
        self.flush()
    }

    /// The entries of the directory at `path`, sorted by name (the store's temporary
    /// files left out).
    pub fn list(&mut self, path: &str) -> Result<Vec<Entry>, Error> {
        let rel = check_path(path)?;
        let cp = c_path(rel, None);
        let info = self
            .lfs
            .stat(&cp)
            .map_err(|rc| self.error(rc, "stat", rel))?;
        if !info.dir {
            return Err(Error::NotDir { path: rel.into() });
        }
        let raw = self
            .lfs
            .read_dir(&cp)
            .map_err(|rc| self.error(rc, "list", rel))?;
        let mut out: Vec<Entry> = raw
            .into_iter()
            .filter(|(name, _)| !name.starts_with(crate::RESERVED_PREFIX))
            .map(|(name, info)| Entry {
                path: if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                },
                kind: if info.dir { Kind::Dir } else { Kind::File },
                size: if info.dir { 0 } else { info.size },
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Every entry below `path` (the root for ""), each directory before what it holds,
    /// in name order.
    pub fn walk(&mut self, path: &str) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        let mut stack = alloc::vec![String::from(check_path(path)?)];
        while let Some(dir) = stack.pop() {
            let entries = self.list(&dir)?;
            for e in entries.iter().rev() {
                if e.kind == Kind::Dir {
                    stack.push(e.path.clone());
                }
            }
            out.extend(entries);
        }
        out.sort_by(|a, b| a.path.split('/').cmp(b.path.split('/')));
        Ok(out)
    }

    /// Flushes the device, if anything was written to it since its last flush (littlefs
    /// syncs at the end of every commit, so after an operation this is usually nothing).
    pub fn flush(&mut self) -> Result<(), Error> {
        self.lfs
            .flush()
            .map_err(|f| device_error(f.op, f.offset, f.reason))
    }

    /// Unmounts the store and gives the device back.
    pub fn into_device(self) -> D {
        self.lfs.into_dev()
    }

    fn check(&mut self, rc: c_int, op: &'static str, rel: &str) -> Result<(), Error> {
        if rc < 0 {
            Err(self.error(rc, op, rel))
        } else {
            Ok(())
        }
    }

    /// The error for littlefs's `rc` from `op` on `rel`.
    fn error(&mut self, rc: c_int, op: &'static str, rel: &str) -> Error {
        let path = rel.to_string();
        match rc {
            lfs::ERR_IO => match self.lfs.take_failure() {
                Some(Failure { op, offset, reason }) => Error::Device { op, offset, reason },
                None => Error::Littlefs { op, path, code: rc },
            },
            lfs::ERR_NOENT => Error::NotFound { path },
            lfs::ERR_EXIST => Error::Exists { path },
            lfs::ERR_NOTDIR => Error::NotDir { path },
            lfs::ERR_ISDIR => Error::IsDir { path },
            lfs::ERR_NOTEMPTY => Error::NotEmpty { path },
            lfs::ERR_NOSPC => Error::NoSpace { path },
            lfs::ERR_CORRUPT => Error::Corrupt { path },
            code => Error::Littlefs { op, path, code },
        }
    }
}
