//! blkd's IPC interface (the virtio-blk driver service): its ops, wire layout, errors,
//! the access table, the bound check and client stubs, used by blkd and by every
//! client, so the two sides cannot drift. The request handler itself ([`server`]) is
//! here too, sans-IO over a [`server::Disk`], so host tests drive the code blkd runs.
//!
//! blkd serves *volumes*: each GPT partition of its disk, by partition name, and the
//! whole disk, by the disk's virtio-blk serial. A client opens a volume by name and gets
//! a handle (the volume's index: 0 the disk, then the partitions in GPT order) and its
//! size; every later request names the handle and is checked again, against the
//! **kernel-stamped sender id**, never a payload: the sender's program (its boot-manifest
//! line) must be granted that volume in [`access::ACCESS`], and every sector must lie
//! inside the volume. Sectors are 512 bytes; LBAs count from the volume's start.
//!
//! Requests follow `abi::rpc` (an op byte, then the argument; replies a status byte, then
//! the body); integers little-endian:
//!
//! | op | request argument | reply body |
//! | --- | --- | --- |
//! | 1 `Open` | kind `u8` (0 partition, 1 whole disk), name (1 to [`MAX_NAME`] bytes of UTF-8) | handle `u32`, sectors `u64` |
//! | 2 `Read` | handle `u32`, lba `u64`, sectors `u32` (1 to [`MAX_SECTORS`]) | the sectors' bytes |
//! | 3 `Write` | handle `u32`, lba `u64`, data (1 to [`MAX_SECTORS`] whole sectors) | empty |
//! | 4 `Flush` | handle `u32` | empty |
//! | 5 `Size` | handle `u32` | sectors `u64` |
//!
//! Errors (the status byte, `abi::SysError` codes): `BadSyscall` an unknown op;
//! `BadLength` a malformed request (wrong argument length, unknown kind, bad name, a
//! sector count of 0 or over [`MAX_SECTORS`], data not whole sectors); `NoDevice` no
//! volume of that name or handle; `Denied` the sender may not use that volume;
//! `BadAddress` a sector outside the volume; `NotPermitted` a write to a read-only disk;
//! `Io` the device failed the request.
#![no_std]

extern crate alloc;

pub mod access;
#[doc(hidden)]
pub mod fuzz;
pub mod server;
pub mod volume;

use abi::ipc::MAX_MSG;
use abi::rpc::{self, Caller};
use abi::{ServiceId, SysError};
use alloc::vec::Vec;

/// The name blkd registers itself under (and its boot-manifest program).
pub const SERVICE_NAME: &str = "blkd";
/// Sector size in bytes.
pub const SECTOR: usize = 512;
/// Most sectors one `Read` or `Write` moves: a write request (13 bytes of header) and a
/// read reply (1 status byte) stay within one 4 KiB message.
pub const MAX_SECTORS: u32 = ((MAX_MSG - 13) / SECTOR) as u32;
/// Longest volume name: a GPT partition name holds 36 UTF-16 units (a virtio-blk serial
/// at most 20 bytes).
pub const MAX_NAME: usize = 36;

/// blkd's operations.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Open a volume by name: its handle and size.
    Open = 1,
    /// Read sectors of a volume.
    Read = 2,
    /// Write sectors of a volume.
    Write = 3,
    /// Make the volume's written sectors durable on the device.
    Flush = 4,
    /// The volume's size in sectors.
    Size = 5,
}

impl Op {
    /// The op with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<Op> {
        Some(match b {
            1 => Op::Open,
            2 => Op::Read,
            3 => Op::Write,
            4 => Op::Flush,
            5 => Op::Size,
            _ => return None,
        })
    }
}

/// A volume, by name: a GPT partition, or a whole disk by its virtio-blk serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The partition with this GPT name.
    Partition(&'a str),
    /// The whole disk with this virtio-blk serial.
    Disk(&'a str),
}

impl<'a> Target<'a> {
    /// The name the target carries.
    pub fn name(&self) -> &'a str {
        match self {
            Target::Partition(n) | Target::Disk(n) => n,
        }
    }

    fn kind(&self) -> u8 {
        match self {
            Target::Partition(_) => 0,
            Target::Disk(_) => 1,
        }
    }
}

/// A decoded request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `Open`.
    Open(Target<'a>),
    /// `Read` of `sectors` sectors from `lba`.
    Read {
        /// The volume's handle.
        handle: u32,
        /// First sector, from the volume's start.
        lba: u64,
        /// How many sectors.
        sectors: u32,
    },
    /// `Write` of `data` (whole sectors) at `lba`.
    Write {
        /// The volume's handle.
        handle: u32,
        /// First sector, from the volume's start.
        lba: u64,
        /// The bytes, a whole number of sectors.
        data: &'a [u8],
    },
    /// `Flush`.
    Flush {
        /// The volume's handle.
        handle: u32,
    },
    /// `Size`.
    Size {
        /// The volume's handle.
        handle: u32,
    },
}

/// A sector count within one request's limits (1 to [`MAX_SECTORS`]).
fn check_sectors(sectors: u32) -> Result<u32, SysError> {
    if sectors == 0 || sectors > MAX_SECTORS {
        return Err(SysError::BadLength);
    }
    Ok(sectors)
}

/// Whole sectors within one request's limits.
fn check_data(data: &[u8]) -> Result<u32, SysError> {
    if !data.len().is_multiple_of(SECTOR) {
        return Err(SysError::BadLength);
    }
    check_sectors(u32::try_from(data.len() / SECTOR).map_err(|_| SysError::BadLength)?)
}

/// A volume name: 1 to [`MAX_NAME`] bytes of UTF-8 (else `BadLength`).
pub fn name_of(bytes: &[u8]) -> Result<&str, SysError> {
    if bytes.is_empty() || bytes.len() > MAX_NAME {
        return Err(SysError::BadLength);
    }
    core::str::from_utf8(bytes).map_err(|_| SysError::BadLength)
}

impl<'a> Request<'a> {
    /// Decodes a whole request (op byte included); the error is the reply's status.
    pub fn decode(msg: &'a [u8]) -> Result<Request<'a>, SysError> {
        let (&op, arg) = msg.split_first().ok_or(SysError::BadLength)?;
        let op = Op::from_byte(op).ok_or(SysError::BadSyscall)?;
        let exact = |n: usize| {
            if arg.len() == n {
                Ok(())
            } else {
                Err(SysError::BadLength)
            }
        };
        Ok(match op {
            Op::Open => {
                let (&kind, name) = arg.split_first().ok_or(SysError::BadLength)?;
                let name = name_of(name)?;
                Request::Open(match kind {
                    0 => Target::Partition(name),
                    1 => Target::Disk(name),
                    _ => return Err(SysError::BadLength),
                })
            }
            Op::Read => {
                exact(16)?;
                Request::Read {
                    handle: rpc::u32_at(arg, 0)?,
                    lba: rpc::u64_at(arg, 4)?,
                    sectors: check_sectors(rpc::u32_at(arg, 12)?)?,
                }
            }
            Op::Write => {
                let data = arg.get(12..).ok_or(SysError::BadLength)?;
                check_data(data)?;
                Request::Write {
                    handle: rpc::u32_at(arg, 0)?,
                    lba: rpc::u64_at(arg, 4)?,
                    data,
                }
            }
            Op::Flush => {
                exact(4)?;
                Request::Flush {
                    handle: rpc::u32_at(arg, 0)?,
                }
            }
            Op::Size => {
                exact(4)?;
                Request::Size {
                    handle: rpc::u32_at(arg, 0)?,
                }
            }
        })
    }

    /// The request's bytes (op byte included).
    pub fn encode(&self) -> Vec<u8> {
        let mut m = Vec::new();
        match self {
            Request::Open(t) => {
                m.push(Op::Open as u8);
                m.push(t.kind());
                m.extend_from_slice(t.name().as_bytes());
            }
            Request::Read {
                handle,
                lba,
                sectors,
            } => {
                m.push(Op::Read as u8);
                m.extend_from_slice(&handle.to_le_bytes());
                m.extend_from_slice(&lba.to_le_bytes());
                m.extend_from_slice(&sectors.to_le_bytes());
            }
            Request::Write { handle, lba, data } => {
                m.push(Op::Write as u8);
                m.extend_from_slice(&handle.to_le_bytes());
                m.extend_from_slice(&lba.to_le_bytes());
                m.extend_from_slice(data);
            }
            Request::Flush { handle } => {
                m.push(Op::Flush as u8);
                m.extend_from_slice(&handle.to_le_bytes());
            }
            Request::Size { handle } => {
                m.push(Op::Size as u8);
                m.extend_from_slice(&handle.to_le_bytes());
            }
        }
        m
    }
}

/// An opened volume: its handle and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// The handle later requests name.
    pub handle: u32,
    /// Its size in sectors.
    pub sectors: u64,
}

/// A client of blkd at `server`, calling through `caller`.
pub struct Client<C> {
    caller: C,
    server: ServiceId,
}

impl<C: Caller> Client<C> {
    /// A client of the blkd whose service id is `server`.
    pub fn new(caller: C, server: ServiceId) -> Client<C> {
        Client { caller, server }
    }

    fn rpc(&mut self, request: &Request<'_>) -> Result<Vec<u8>, SysError> {
        let mut reply = alloc::vec![0u8; MAX_MSG];
        let n = self
            .caller
            .call(self.server, &request.encode(), &mut reply)?;
        reply.truncate(n);
        rpc::reply_body(&reply).map(<[u8]>::to_vec)
    }

    /// Opens `target`: its handle and size.
    pub fn open(&mut self, target: Target<'_>) -> Result<Opened, SysError> {
        name_of(target.name().as_bytes())?;
        let body = self.rpc(&Request::Open(target))?;
        if body.len() != 12 {
            return Err(SysError::BadLength);
        }
        Ok(Opened {
            handle: rpc::u32_at(&body, 0)?,
            sectors: rpc::u64_at(&body, 4)?,
        })
    }

    /// Reads `buf.len() / 512` sectors (1 to [`MAX_SECTORS`]) at `lba` into `buf`.
    pub fn read(&mut self, handle: u32, lba: u64, buf: &mut [u8]) -> Result<(), SysError> {
        let sectors = check_data(buf)?;
        let body = self.rpc(&Request::Read {
            handle,
            lba,
            sectors,
        })?;
        if body.len() != buf.len() {
            return Err(SysError::BadLength);
        }
        buf.copy_from_slice(&body);
        Ok(())
    }

    /// Writes `data` (1 to [`MAX_SECTORS`] whole sectors) at `lba`.
    pub fn write(&mut self, handle: u32, lba: u64, data: &[u8]) -> Result<(), SysError> {
        check_data(data)?;
        self.rpc(&Request::Write { handle, lba, data }).map(|_| ())
    }

    /// Makes what was written durable on the device.
    pub fn flush(&mut self, handle: u32) -> Result<(), SysError> {
        self.rpc(&Request::Flush { handle }).map(|_| ())
    }

    /// The volume's size in sectors.
    pub fn size(&mut self, handle: u32) -> Result<u64, SysError> {
        rpc::u64_of(&self.rpc(&Request::Size { handle })?)
    }
}
