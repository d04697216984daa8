//! The request handler blkd runs, sans-IO: blkd gives it the disk's volumes once (from
//! the device and its GPT), then each request with the sender's program, and the handler
//! checks the request (layout, access, bounds) before it touches the [`Disk`].

use crate::access::{may_open, Grant};
use crate::volume::Extent;
use crate::{name_of, Request, Target, SECTOR};
use abi::rpc;
use abi::SysError;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The device under the volumes, in whole sectors from the disk's start.
pub trait Disk {
    /// Reads `buf.len() / 512` sectors from disk sector `lba`.
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), SysError>;
    /// Writes `data` (whole sectors) at disk sector `lba`.
    fn write(&mut self, lba: u64, data: &[u8]) -> Result<(), SysError>;
    /// Makes what was written durable.
    fn flush(&mut self) -> Result<(), SysError>;
}

/// A partition as the GPT lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionEntry {
    /// Its GPT name.
    pub name: String,
    /// First LBA.
    pub first_lba: u64,
    /// Last LBA (inclusive).
    pub last_lba: u64,
}

/// Why a disk's volumes cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupError {
    /// The partition at this GPT position has an empty or over-long name.
    BadName(usize),
    /// The named partition is empty or runs past the disk's end.
    OutsideDisk(String),
    /// Two partitions share the name.
    DuplicateName(String),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::BadName(i) => write!(
                f,
                "GPT partition {i}: name empty or over {} bytes",
                crate::MAX_NAME
            ),
            SetupError::OutsideDisk(n) => {
                write!(f, "GPT partition {n}: empty or past the disk's end")
            }
            SetupError::DuplicateName(n) => write!(f, "GPT partition name {n} used twice"),
        }
    }
}

impl core::error::Error for SetupError {}

/// A volume blkd serves.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Volume {
    name: String,
    whole_disk: bool,
    extent: Extent,
}

impl Volume {
    fn target(&self) -> Target<'_> {
        if self.whole_disk {
            Target::Disk(&self.name)
        } else {
            Target::Partition(&self.name)
        }
    }
}

/// One disk's volumes: handle 0 the whole disk, then its partitions in GPT order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volumes {
    list: Vec<Volume>,
    read_only: bool,
}

impl Volumes {
    /// The volumes of the disk with virtio-blk serial `serial`, `capacity` sectors and
    /// the GPT's `partitions`; every partition must be named (uniquely) and lie on the
    /// disk.
    pub fn new(
        serial: &str,
        capacity: u64,
        read_only: bool,
        partitions: &[PartitionEntry],
    ) -> Result<Volumes, SetupError> {
        let mut list = Vec::with_capacity(partitions.len() + 1);
        list.push(Volume {
            name: String::from(serial),
            whole_disk: true,
            extent: Extent::disk(capacity),
        });
        for (i, p) in partitions.iter().enumerate() {
            name_of(p.name.as_bytes()).map_err(|_| SetupError::BadName(i))?;
            let extent = Extent::partition(p.first_lba, p.last_lba, capacity)
                .ok_or_else(|| SetupError::OutsideDisk(p.name.clone()))?;
            if list.iter().any(|v| !v.whole_disk && v.name == p.name) {
                return Err(SetupError::DuplicateName(p.name.clone()));
            }
            list.push(Volume {
                name: p.name.clone(),
                whole_disk: false,
                extent,
            });
        }
        Ok(Volumes { list, read_only })
    }

    /// The disk's size in sectors.
    pub fn capacity(&self) -> u64 {
        self.list.first().map_or(0, |v| v.extent.sectors())
    }

    /// The partitions' names, in GPT order.
    pub fn partition_names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().skip(1).map(|v| v.name.as_str())
    }

    /// The volume behind `handle`, if `program` may use it.
    fn granted(
        &self,
        grants: &[Grant],
        program: Option<&str>,
        handle: u32,
    ) -> Result<&Volume, SysError> {
        let v = usize::try_from(handle)
            .ok()
            .and_then(|i| self.list.get(i))
            .ok_or(SysError::NoDevice)?;
        if may_open(grants, program, v.target()) {
            Ok(v)
        } else {
            Err(SysError::Denied)
        }
    }

    /// Answers `request` from `program` (the sender's boot-manifest program, `None` for
    /// any other sender) under `grants`; returns the whole reply (status byte, body).
    pub fn handle<D: Disk>(
        &self,
        grants: &[Grant],
        program: Option<&str>,
        request: &[u8],
        disk: &mut D,
    ) -> Vec<u8> {
        match self.answer(grants, program, request, disk) {
            Ok(reply) => reply,
            Err(e) => rpc::status(Err(e)),
        }
    }

    fn answer<D: Disk>(
        &self,
        grants: &[Grant],
        program: Option<&str>,
        request: &[u8],
        disk: &mut D,
    ) -> Result<Vec<u8>, SysError> {
        let ok = |body: &[u8]| rpc::status(Ok(body));
        match Request::decode(request)? {
            Request::Open(target) => {
                let (i, v) = self
                    .list
                    .iter()
                    .enumerate()
                    .find(|(_, v)| v.target() == target)
                    .ok_or(SysError::NoDevice)?;
                if !may_open(grants, program, target) {
                    return Err(SysError::Denied);
                }
                let mut body = Vec::with_capacity(12);
                body.extend_from_slice(&(i as u32).to_le_bytes());
                body.extend_from_slice(&v.extent.sectors().to_le_bytes());
                Ok(ok(&body))
            }
            Request::Read {
                handle,
                lba,
                sectors,
            } => {
                let v = self.granted(grants, program, handle)?;
                let at = v.extent.locate(lba, u64::from(sectors))?;
                let mut reply = alloc::vec![0u8; 1 + sectors as usize * SECTOR];
                disk.read(at, &mut reply[1..])?;
                Ok(reply)
            }
            Request::Write { handle, lba, data } => {
                let v = self.granted(grants, program, handle)?;
                let at = v.extent.locate(lba, (data.len() / SECTOR) as u64)?;
                if self.read_only {
                    return Err(SysError::NotPermitted);
                }
                disk.write(at, data)?;
                Ok(ok(&[]))
            }
            Request::Flush { handle } => {
                self.granted(grants, program, handle)?;
                disk.flush()?;
                Ok(ok(&[]))
            }
            Request::Size { handle } => {
                let v = self.granted(grants, program, handle)?;
                Ok(ok(&v.extent.sectors().to_le_bytes()))
            }
        }
    }
}
