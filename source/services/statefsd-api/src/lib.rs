//! statefsd's IPC interface (the `state:` store service): its ops, wire layout, errors,
//! the subtree access table ([`access`]), the request handler ([`server`], sans-IO over
//! the `statefs` store, so host tests drive the code statefsd runs) and client stubs
//! ([`Client`]). Contract: docs/provisioning/statefs.md, "statefsd".
//!
//! Requests follow `abi::rpc` (an op byte, then the argument; replies a status byte, then
//! the body); integers little-endian; paths are store paths (`crash/1.nxcd`, the rules of
//! `statefs::check_path`) as the rest of the argument, without a terminator:
//!
//! | op | request argument | reply body |
//! | --- | --- | --- |
//! | 1 `Stat` | path | kind `u8` (1 file, 2 directory), size `u64` |
//! | 2 `Read` | offset `u64`, path | up to [`MAX_CHUNK`] bytes of the file from `offset` (fewer at its end) |
//! | 3 `List` | skip `u32`, path | total `u32`, then entries after the first `skip`, as many as fit: kind `u8`, size `u64`, name length `u8`, name |
//! | 4 `Create` | size `u64`, path | empty: begins the caller's write of a `size`-byte file (one per caller; a new `Create` drops the old) |
//! | 5 `Append` | data (1 to [`MAX_CHUNK`] bytes) | bytes received so far `u64` |
//! | 6 `Commit` | empty | empty: the file is replaced whole by what was appended (exactly `size` bytes) |
//! | 7 `Remove` | path | empty: a file or an empty directory |
//! | 8 `Rename` | source length `u16`, source, destination | empty |
//! | 9 `Usage` | empty | block size `u32`, blocks `u32`, used `u32`, header generation `u64` |
//!
//! Status codes: the `abi::SysError` codes for the request itself (`BadSyscall` an
//! unknown op; `BadLength` a malformed argument; `Denied` a path outside the caller's
//! grants; `NoMemory` a file over [`MAX_WRITE`]; `NotPermitted` an `Append` or `Commit`
//! with no `Create`, or appends that do not add up to the size), and from 64 the store's
//! own ([`StoreCode`]).
#![no_std]

extern crate alloc;

pub mod access;
pub mod server;

use abi::rpc::{self, Caller};
use abi::{ServiceId, SysError};
use alloc::string::String;
use alloc::vec::Vec;

/// The name statefsd registers under (and its boot-manifest program).
pub const SERVICE_NAME: &str = "statefsd";
/// Most file bytes one `Read` reply or `Append` request carries (a 4 KiB message less
/// the status or op byte).
pub const MAX_CHUNK: usize = abi::ipc::MAX_MSG - 1;
/// The largest file statefsd takes in one write: it holds the file in memory until
/// `Commit`. Larger files are refused with `NoMemory` at `Create`.
pub const MAX_WRITE: u64 = 256 << 10;
/// How many callers may have a write in progress at once; the oldest is dropped for a new
/// one (its `Commit` then fails with `NotPermitted`).
pub const MAX_PENDING: usize = 4;

/// statefsd's operations.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Kind and size of a path.
    Stat = 1,
    /// A chunk of a file.
    Read = 2,
    /// Entries of a directory.
    List = 3,
    /// Begin writing a file.
    Create = 4,
    /// Add bytes to the write in progress.
    Append = 5,
    /// Replace the file with what was written.
    Commit = 6,
    /// Remove a file or empty directory.
    Remove = 7,
    /// Rename a file or directory.
    Rename = 8,
    /// The store's space and generation.
    Usage = 9,
}

impl Op {
    /// The op with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<Op> {
        Some(match b {
            1 => Op::Stat,
            2 => Op::Read,
            3 => Op::List,
            4 => Op::Create,
            5 => Op::Append,
            6 => Op::Commit,
            7 => Op::Remove,
            8 => Op::Rename,
            9 => Op::Usage,
            _ => return None,
        })
    }
}

/// The store's own status codes (64 and up).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreCode {
    /// No such file or directory.
    NotFound = 64,
    /// Something exists at the path.
    Exists = 65,
    /// A directory where a file was expected.
    IsDir = 66,
    /// A file where a directory was expected.
    NotDir = 67,
    /// The directory is not empty.
    NotEmpty = 68,
    /// The store is full.
    NoSpace = 69,
    /// Over the store's file limit.
    TooLarge = 70,
    /// The store's metadata is damaged.
    Corrupt = 71,
    /// A path the store does not accept.
    BadPath = 72,
    /// The disk failed a request.
    Device = 73,
    /// Another store error.
    Other = 74,
}

impl StoreCode {
    /// The code with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<StoreCode> {
        use StoreCode::*;
        Some(match b {
            64 => NotFound,
            65 => Exists,
            66 => IsDir,
            67 => NotDir,
            68 => NotEmpty,
            69 => NoSpace,
            70 => TooLarge,
            71 => Corrupt,
            72 => BadPath,
            73 => Device,
            74 => Other,
            _ => return None,
        })
    }

    /// The code of a store error.
    pub fn of(e: &statefs::Error) -> StoreCode {
        use statefs::Error as E;
        match e {
            E::NotFound { .. } => StoreCode::NotFound,
            E::Exists { .. } => StoreCode::Exists,
            E::IsDir { .. } => StoreCode::IsDir,
            E::NotDir { .. } => StoreCode::NotDir,
            E::NotEmpty { .. } => StoreCode::NotEmpty,
            E::NoSpace { .. } => StoreCode::NoSpace,
            E::TooLarge { .. } => StoreCode::TooLarge,
            E::Corrupt { .. } => StoreCode::Corrupt,
            E::BadPath { .. } => StoreCode::BadPath,
            E::Device { .. } => StoreCode::Device,
            _ => StoreCode::Other,
        }
    }
}

/// Why a request failed, as the client sees it: a `SysError`, or the store's code
/// (`Error::Service`).
pub type Error = rpc::ServiceError<StoreCode>;

impl rpc::ServiceCode for StoreCode {
    fn from_byte(b: u8) -> Option<StoreCode> {
        StoreCode::from_byte(b)
    }

    fn byte(self) -> u8 {
        self as u8
    }
}

/// What [`Op::Stat`] and [`Op::List`] say of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name (in a listing) or the path (from `stat`).
    pub name: String,
    /// A directory.
    pub dir: bool,
    /// Size in bytes (files).
    pub size: u64,
}

/// The store's space and generation ([`Op::Usage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Bytes a block holds.
    pub block_size: u32,
    /// Blocks in the store.
    pub blocks: u32,
    /// Blocks in use.
    pub used: u32,
    /// The partition header's generation (formats).
    pub generation: u64,
}

/// The listing entries of a `List` reply body: the directory's total and the entries.
pub fn decode_list(body: &[u8]) -> Option<(u32, Vec<Entry>)> {
    let total = rpc::u32_at(body, 0).ok()?;
    let mut at = 4;
    let mut out = Vec::new();
    while at < body.len() {
        let kind = *body.get(at)?;
        let size = rpc::u64_at(body, at + 1).ok()?;
        let len = usize::from(*body.get(at + 9)?);
        let name = body.get(at + 10..at + 10 + len)?;
        out.push(Entry {
            name: String::from(core::str::from_utf8(name).ok()?),
            dir: kind == 2,
            size,
        });
        at += 10 + len;
    }
    Some((total, out))
}

/// A client of statefsd.
pub struct Client<'c, C: Caller + ?Sized> {
    caller: &'c mut C,
    statefsd: ServiceId,
}

impl<'c, C: Caller + ?Sized> Client<'c, C> {
    /// A client of the statefsd at `statefsd` (looked up with samgrd).
    pub fn new(caller: &'c mut C, statefsd: ServiceId) -> Self {
        Client { caller, statefsd }
    }

    fn call(&mut self, op: Op, arg: &[u8]) -> Result<Vec<u8>, Error> {
        rpc::service_rpc(self.caller, self.statefsd, op as u8, arg)
    }

    /// Kind and size of `path`.
    pub fn stat(&mut self, path: &str) -> Result<Entry, Error> {
        let b = self.call(Op::Stat, path.as_bytes())?;
        let kind = *b.first().ok_or(SysError::BadLength)?;
        Ok(Entry {
            name: String::from(path),
            dir: kind == 2,
            size: rpc::u64_at(&b, 1)?,
        })
    }

    /// The whole file at `path` (at most `max` bytes, checked from its size first).
    pub fn read_file(&mut self, path: &str, max: u64) -> Result<Vec<u8>, Error> {
        let size = self.stat(path)?.size;
        if size > max {
            return Err(Error::Service(StoreCode::TooLarge));
        }
        let mut out = Vec::with_capacity(size as usize);
        while (out.len() as u64) < size {
            let mut arg = (out.len() as u64).to_le_bytes().to_vec();
            arg.extend_from_slice(path.as_bytes());
            let chunk = self.call(Op::Read, &arg)?;
            if chunk.is_empty() {
                // Shorter than it was: replaced meanwhile; the caller may retry.
                return Err(Error::Service(StoreCode::NotFound));
            }
            out.extend_from_slice(&chunk);
        }
        out.truncate(size as usize);
        Ok(out)
    }

    /// Replaces (or creates) the file at `path` with `data`, whole or not at all.
    pub fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), Error> {
        let mut arg = (data.len() as u64).to_le_bytes().to_vec();
        arg.extend_from_slice(path.as_bytes());
        self.call(Op::Create, &arg)?;
        for chunk in data.chunks(MAX_CHUNK) {
            self.call(Op::Append, chunk)?;
        }
        self.call(Op::Commit, &[]).map(|_| ())
    }

    /// The entries of the directory at `path`.
    pub fn list(&mut self, path: &str) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        loop {
            let mut arg = (out.len() as u32).to_le_bytes().to_vec();
            arg.extend_from_slice(path.as_bytes());
            let b = self.call(Op::List, &arg)?;
            let (total, entries) = decode_list(&b).ok_or(Error::Sys(SysError::BadLength))?;
            if entries.is_empty() || out.len() + entries.len() >= total as usize {
                out.extend(entries);
                return Ok(out);
            }
            out.extend(entries);
        }
    }

    /// Removes the file or empty directory at `path`.
    pub fn remove(&mut self, path: &str) -> Result<(), Error> {
        self.call(Op::Remove, path.as_bytes()).map(|_| ())
    }

    /// Renames `from` to `to`.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let len = u16::try_from(from.len()).map_err(|_| Error::Sys(SysError::BadLength))?;
        let mut arg = len.to_le_bytes().to_vec();
        arg.extend_from_slice(from.as_bytes());
        arg.extend_from_slice(to.as_bytes());
        self.call(Op::Rename, &arg).map(|_| ())
    }

    /// The store's space and generation.
    pub fn usage(&mut self) -> Result<Usage, Error> {
        let b = self.call(Op::Usage, &[])?;
        Ok(Usage {
            block_size: rpc::u32_at(&b, 0)?,
            blocks: rpc::u32_at(&b, 4)?,
            used: rpc::u32_at(&b, 8)?,
            generation: rpc::u64_at(&b, 12)?,
        })
    }
}
