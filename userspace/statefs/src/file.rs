//! The state partition of an image file as a [`BlockDevice`] (feature `std`): the host
//! tools' way into an image's store. Writes go to the image in place (the store is
//! power-safe there as on a device) and [`BlockDevice::flush`] syncs the file.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::string::String;

use image::fs::{check_gpt_extent, open_image, read_gpt, FsError};
use image::layout::SECTOR;

use crate::device::range;
use crate::{BlockDevice, DeviceError};

/// The name of the state partition in an image's GPT.
pub const STATE_PARTITION: &str = "state";

/// Why an image's state partition could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// The image itself could not be read (the error names the file).
    Image(FsError),
    /// The image has no `state` partition.
    NoStatePartition {
        /// The image file.
        path: PathBuf,
    },
    /// The image could not be opened for writing.
    Io {
        /// The image file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Image(e) => write!(f, "{e}"),
            OpenError::NoStatePartition { path } => write!(
                f,
                "{}: the image has no partition named \"{STATE_PARTITION}\"",
                path.display()
            ),
            OpenError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Image(e) => Some(e),
            OpenError::Io { source, .. } => Some(source),
            OpenError::NoStatePartition { .. } => None,
        }
    }
}

/// The `state` partition of an image file.
#[derive(Debug)]
pub struct PartitionFile {
    file: File,
    path: PathBuf,
    base: u64,
    size: u64,
    writable: bool,
    dirty: bool,
}

impl PartitionFile {
    /// Opens the `state` partition of the image at `path` (found in its GPT, which must
    /// describe the whole file), for reading, or also for writing.
    pub fn open(path: &Path, writable: bool) -> Result<PartitionFile, OpenError> {
        let (file, _) = open_image(path).map_err(OpenError::Image)?;
        let gpt = read_gpt(&file, path).map_err(OpenError::Image)?;
        check_gpt_extent(&file, path, &gpt).map_err(OpenError::Image)?;
        let part = gpt
            .partitions
            .iter()
            .find(|p| p.name == STATE_PARTITION)
            .ok_or_else(|| OpenError::NoStatePartition {
                path: path.to_path_buf(),
            })?;
        let base = part.first_lba * SECTOR;
        let size = (part.last_lba + 1 - part.first_lba) * SECTOR;
        let file = if writable {
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|source| OpenError::Io {
                    path: path.to_path_buf(),
                    source,
                })?
        } else {
            file
        };
        Ok(PartitionFile {
            file,
            path: path.to_path_buf(),
            base,
            size,
            writable,
            dirty: false,
        })
    }

    /// The image file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the partition starts in the image, in bytes.
    pub fn offset(&self) -> u64 {
        self.base
    }

    /// A description for messages: `IMAGE:state:/PATH`.
    pub fn describe(&self, store_path: &str) -> String {
        std::format!("{}:state:/{store_path}", self.path.display())
    }
}

impl BlockDevice for PartitionFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        range(offset, buf.len(), self.size)?;
        self.file
            .read_exact_at(buf, self.base + offset)
            .map_err(|_| DeviceError::Io)
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        if !self.writable {
            return Err(DeviceError::ReadOnly);
        }
        range(offset, data.len(), self.size)?;
        self.dirty = true;
        self.file
            .write_all_at(data, self.base + offset)
            .map_err(|_| DeviceError::Io)
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        if self.dirty {
            self.file.sync_data().map_err(|_| DeviceError::Io)?;
            self.dirty = false;
        }
        Ok(())
    }
}
