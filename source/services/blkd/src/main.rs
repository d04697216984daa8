//! blkd: the virtio-blk driver service (docs/architecture/blkd.md). It drives the disk
//! its `device=virtio-blk` grant names through `virtio-drivers` (on the kernel's DMA
//! grant: [`hal`]), reads the disk's GPT with the `image` crate's reader, and serves the
//! partitions by name, and the whole disk by its virtio-blk serial, to the programs the
//! access table (`blkd_api::access::ACCESS`) names, decided from the kernel-stamped
//! sender id. The request handler is `blkd_api::server`, which checks every request's
//! layout, access and bounds before the device sees it.
//!
//! It prints `blkd: ready (virtio-blk, <n> sectors)` only once the device is set up, the
//! GPT read and its partitions checked, and it is registered with samgrd; then it tells
//! init. Anything that fails before that prints `blkd: FAIL: ...` and ends blkd (init
//! then fails the boot); a driver bug panics, which ends blkd, never the kernel.
#![no_std]
#![no_main]

extern crate alloc;

mod hal;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use blkd_api::server::{Disk, PartitionEntry, Volumes};
use blkd_api::{access, SECTOR, SERVICE_NAME};
use core::ptr::NonNull;
use hal::GrantHal;
use image::layout::FIRST_USABLE_LBA;
use initrd::manifest::Manifest;
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::abi::SysError;
use nexus_rt::{println, sys};
use virtio_drivers::device::blk::VirtIOBlk;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};

nexus_rt::entry!(main);

/// The boot manifest the kernel numbers programs by (compiled in, as init does).
const MANIFEST: &[u8] = include_bytes!("../../../apps/init/boot.manifest");
/// The virtio device id of a block device.
const VIRTIO_BLK: u32 = 2;

type Blk = VirtIOBlk<GrantHal, MmioTransport<'static>>;

/// The device under the volumes; a device error is `Io` for the client.
struct Device(Blk);

impl Disk for Device {
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), SysError> {
        let lba = usize::try_from(lba).map_err(|_| SysError::BadAddress)?;
        self.0.read_blocks(lba, buf).map_err(|_| SysError::Io)
    }

    fn write(&mut self, lba: u64, data: &[u8]) -> Result<(), SysError> {
        let lba = usize::try_from(lba).map_err(|_| SysError::BadAddress)?;
        self.0.write_blocks(lba, data).map_err(|_| SysError::Io)
    }

    fn flush(&mut self) -> Result<(), SysError> {
        self.0.flush().map_err(|_| SysError::Io)
    }
}

fn main() -> i32 {
    let (mut device, volumes, manifest) = match setup() {
        Ok(s) => s,
        Err(why) => {
            println!("blkd: FAIL: {why}");
            return 1;
        }
    };
    println!("blkd: ready (virtio-blk, {} sectors)", volumes.capacity());
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("blkd: FAIL: cannot report to init: {e}");
        return 1;
    }
    // One IPC buffer: each request arrives in it and its reply is sent from it.
    let mut buf = vec![0u8; MAX_MSG];
    sys::serve(&mut buf, |sender, buf, len| {
        // The sender's program, from the id the kernel stamped on the message.
        let program = manifest.by_id(sender).map(|p| p.name);
        let reply = volumes.handle(access::ACCESS, program, &buf[..len], &mut device);
        let n = reply.len().min(buf.len());
        buf[..n].copy_from_slice(&reply[..n]);
        n
    })
}

/// Sets up the granted device, reads its serial and GPT, and registers with samgrd.
fn setup() -> Result<(Device, Volumes, Manifest<'static>), String> {
    let manifest = Manifest::parse(MANIFEST).map_err(|e| format!("boot manifest: {e}"))?;
    let info = sys::device_info(0).map_err(|e| format!("device_info: {e}"))?;
    if info.device_id != VIRTIO_BLK {
        return Err(format!(
            "grant 0 is virtio device {}, not virtio-blk",
            info.device_id
        ));
    }
    let len = usize::try_from(info.len).map_err(|_| String::from("window length"))?;
    let va = sys::mmio_map(info.pa as usize, len).map_err(|e| format!("mmio_map: {e}"))?;
    let header = NonNull::new(va as *mut VirtIOHeader)
        .ok_or_else(|| String::from("mmio_map gave a null address"))?;
    hal::init().map_err(|e| format!("dma_alloc for the bounce region: {e}"))?;
    // SAFETY: the kernel mapped the whole granted window (`len` bytes, the virtio-mmio
    // header and config space) at `va`, for this process alone, until it ends.
    let transport = unsafe { MmioTransport::new(header, len) }
        .map_err(|e| format!("virtio-mmio at {:#x}: {e}", info.pa))?;
    let mut blk = Blk::new(transport).map_err(|e| format!("virtio-blk setup: {e}"))?;
    let capacity = blk.capacity();
    let read_only = blk.readonly();
    let mut id = [0u8; 20];
    let serial = match blk.device_id(&mut id) {
        Ok(n) => core::str::from_utf8(&id[..n]).unwrap_or(""),
        // A device without GET_ID has no serial: its whole disk cannot be opened.
        Err(_) => "",
    };
    let serial = String::from(serial);
    let mut device = Device(blk);
    // The protective MBR and the primary GPT: LBAs 0 to 33.
    let mut head = vec![0u8; FIRST_USABLE_LBA as usize * SECTOR];
    device
        .read(0, &mut head)
        .map_err(|e| format!("disk {serial}: reading the GPT: {e}"))?;
    let gpt = image::gpt::parse_primary(&head).map_err(|e| format!("disk {serial}: {e}"))?;
    let partitions: alloc::vec::Vec<PartitionEntry> = gpt
        .partitions
        .into_iter()
        .map(|p| PartitionEntry {
            name: p.name,
            first_lba: p.first_lba,
            last_lba: p.last_lba,
        })
        .collect();
    let volumes = Volumes::new(&serial, capacity, read_only, &partitions)
        .map_err(|e| format!("disk {serial}: {e}"))?;
    let names: alloc::vec::Vec<&str> = volumes.partition_names().collect();
    println!(
        "blkd: disk {serial}: {capacity} sectors{}, partitions {}",
        if read_only { ", read-only" } else { "" },
        names.join(" ")
    );
    let samgrd = init_api::Client::new(sys::Ipc)
        .locate(samgrd_api::SERVICE_NAME)
        .map_err(|e| format!("locate samgrd: {e}"))?;
    samgrd_api::Client::new(sys::Ipc, samgrd)
        .register(SERVICE_NAME)
        .map_err(|e| format!("register with samgrd: {e}"))?;
    Ok((device, volumes, manifest))
}
