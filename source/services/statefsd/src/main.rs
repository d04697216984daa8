//! statefsd: the `state:` store service (docs/provisioning/statefs.md, "statefsd"). It
//! opens the `state` partition through blkd, mounts the `statefs` store there (formatting
//! it on a device's first boot: a new image's partition is its header and zeros), and
//! serves it over IPC with `statefsd_api::server`, which confines each program to the
//! subtrees `statefsd_api::access::ACCESS` grants it, decided from the kernel-stamped
//! sender id.
//!
//! It prints `statefsd: formatted` when it made the store, then `statefsd: ready` once
//! the store is mounted and statefsd is registered with samgrd; anything that fails
//! before prints `statefsd: FAIL: ...` and ends statefsd.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use blkd_api::{Target, MAX_SECTORS, SECTOR};
use initrd::manifest::Manifest;
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::{log, println, sys};
use statefs::cache::BlockCache;
use statefs::{BlockDevice, DeviceError, Opened, Store};
use statefsd_api::server::Server;
use statefsd_api::{access, SERVICE_NAME};

nexus_rt::entry!(main);

/// The boot manifest the kernel numbers programs by (compiled in, as init does).
const MANIFEST: &[u8] = include_bytes!("../../../apps/init/boot.manifest");
/// The partition the store lives in.
const PARTITION: &str = "state";
/// Blocks statefsd keeps in memory (128 KiB): every directory's metadata pair on the way
/// to a file is read at each lookup, and each read is a blkd request.
const CACHE_BLOCKS: usize = 32;
/// Most bytes one blkd request moves.
const CHUNK: usize = MAX_SECTORS as usize * SECTOR;

/// The state partition, through blkd: sector-aligned requests, split into blkd's
/// largest messages.
struct Partition {
    blkd: blkd_api::Client<sys::Ipc>,
    handle: u32,
    size: u64,
}

impl Partition {
    /// The first LBA of `[offset, offset + len)` when both ends are whole sectors inside
    /// the partition.
    fn lba(&self, offset: u64, len: usize) -> Result<u64, DeviceError> {
        let end = offset
            .checked_add(len as u64)
            .ok_or(DeviceError::OutOfRange)?;
        if end > self.size {
            return Err(DeviceError::OutOfRange);
        }
        if !offset.is_multiple_of(SECTOR as u64) || !len.is_multiple_of(SECTOR) {
            // littlefs reads and writes whole sectors (its read and program size).
            return Err(DeviceError::Io);
        }
        Ok(offset / SECTOR as u64)
    }
}

impl BlockDevice for Partition {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let mut lba = self.lba(offset, buf.len())?;
        for chunk in buf.chunks_mut(CHUNK) {
            self.blkd
                .read(self.handle, lba, chunk)
                .map_err(|_| DeviceError::Io)?;
            lba += (chunk.len() / SECTOR) as u64;
        }
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        let mut lba = self.lba(offset, data.len())?;
        for chunk in data.chunks(CHUNK) {
            self.blkd
                .write(self.handle, lba, chunk)
                .map_err(|_| DeviceError::Io)?;
            lba += (chunk.len() / SECTOR) as u64;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        self.blkd.flush(self.handle).map_err(|_| DeviceError::Io)
    }
}

fn main() -> i32 {
    let (server, manifest) = match setup() {
        Ok(s) => s,
        Err(why) => {
            println!("statefsd: FAIL: {why}");
            return 1;
        }
    };
    let mut server = server;
    println!("statefsd: ready");
    let logd = init_api::Client::new(sys::Ipc).locate(log::LOGD_NAME);
    if let Some(mut log) = log::connect(logd, "statefsd") {
        log::send(&mut log, log::Level::Info, "ready", &log::Fields::new());
    }
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("statefsd: FAIL: cannot report to init: {e}");
        return 1;
    }
    // One IPC buffer: each request arrives in it and its reply is sent from it.
    let mut buf = vec![0u8; MAX_MSG];
    sys::serve(&mut buf, |sender, buf, len| {
        // The sender's program, from the id the kernel stamped on the message.
        let program = manifest.by_id(sender).map(|p| p.name);
        let reply = server.handle(sender, program, &buf[..len]);
        let n = reply.len().min(buf.len());
        buf[..n].copy_from_slice(&reply[..n]);
        n
    })
}

/// Opens the state partition through blkd, mounts (or formats) the store, registers.
fn setup() -> Result<(Server<BlockCache<Partition>>, Manifest<'static>), String> {
    let manifest = Manifest::parse(MANIFEST).map_err(|e| format!("boot manifest: {e}"))?;
    let mut init = init_api::Client::new(sys::Ipc);
    let samgrd = init
        .locate(samgrd_api::SERVICE_NAME)
        .map_err(|e| format!("locate samgrd: {e}"))?;
    let blkd = samgrd_api::Client::new(sys::Ipc, samgrd)
        .lookup(blkd_api::SERVICE_NAME)
        .map_err(|e| format!("lookup blkd: {e}"))?;
    let mut blkd = blkd_api::Client::new(sys::Ipc, blkd);
    let opened = blkd
        .open(Target::Partition(PARTITION))
        .map_err(|e| format!("open partition {PARTITION}: {e}"))?;
    let size = opened
        .sectors
        .checked_mul(SECTOR as u64)
        .ok_or_else(|| String::from("partition size overflows"))?;
    let dev = Partition {
        blkd,
        handle: opened.handle,
        size,
    };
    let (mut store, how) =
        Store::open_or_format(BlockCache::new(dev, CACHE_BLOCKS)).map_err(|e| format!("{e}"))?;
    let usage = store.usage().map_err(|e| format!("{e}"))?;
    if how == Opened::Formatted {
        println!(
            "statefsd: formatted ({} blocks of {} bytes, generation {})",
            usage.blocks,
            usage.block_size,
            store.header().generation
        );
    }
    println!(
        "statefsd: store on partition {PARTITION}: {} of {} blocks in use, generation {}",
        usage.used,
        usage.blocks,
        store.header().generation
    );
    samgrd_api::Client::new(sys::Ipc, samgrd)
        .register(SERVICE_NAME)
        .map_err(|e| format!("register with samgrd: {e}"))?;
    Ok((Server::new(store, access::ACCESS), manifest))
}
