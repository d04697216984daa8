//! The block device under the store: byte offsets from the start of the state partition.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// Why a block device refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceError {
    /// The request reaches past the end of the partition.
    OutOfRange,
    /// The device failed the request.
    Io,
    /// The device was opened read-only.
    ReadOnly,
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceError::OutOfRange => "past the end of the partition",
            DeviceError::Io => "I/O error",
            DeviceError::ReadOnly => "opened read-only",
        })
    }
}

/// A state partition as the store sees it. Writes are in order: a write that returned is
/// ahead of every later one; [`BlockDevice::flush`] returns once every earlier write is
/// durable (the store flushes at each of littlefs's sync points).
pub trait BlockDevice {
    /// Size of the partition in bytes.
    fn size(&self) -> u64;
    /// Reads `buf.len()` bytes at `offset`.
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError>;
    /// Writes `data` at `offset`.
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError>;
    /// Makes every earlier write durable.
    fn flush(&mut self) -> Result<(), DeviceError>;
}

/// Checks `[offset, offset + len)` against a device of `size` bytes; returns the start as
/// an index.
pub(crate) fn range(offset: u64, len: usize, size: u64) -> Result<usize, DeviceError> {
    let end = offset
        .checked_add(len as u64)
        .ok_or(DeviceError::OutOfRange)?;
    if end > size {
        return Err(DeviceError::OutOfRange);
    }
    usize::try_from(offset).map_err(|_| DeviceError::OutOfRange)
}

/// A partition in memory (tests, and the host building a store before writing it out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemDevice {
    /// The partition's bytes.
    pub bytes: Vec<u8>,
}

impl MemDevice {
    /// A zeroed partition of `size` bytes.
    pub fn zeroed(size: usize) -> MemDevice {
        MemDevice {
            bytes: vec![0; size],
        }
    }

    /// A new image's state partition of `size` bytes: its header (generation 0), then
    /// zeros, as `nx image build` writes it.
    pub fn new_state_partition(size: usize) -> MemDevice {
        let mut dev = MemDevice::zeroed(size);
        let header = image::state::StateHeader {
            size: size as u64,
            generation: 0,
        }
        .encode();
        let n = header.len().min(size);
        dev.bytes[..n].copy_from_slice(&header[..n]);
        dev
    }
}

impl BlockDevice for MemDevice {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let at = range(offset, buf.len(), self.size())?;
        buf.copy_from_slice(&self.bytes[at..at + buf.len()]);
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        let at = range(offset, data.len(), self.size())?;
        self.bytes[at..at + data.len()].copy_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
}
