//! blkd: the virtio-blk driver service (docs/architecture/blkd.md). It drives every disk
//! its `device=virtio-blk` grants name through `virtio-drivers` (on the kernel's DMA
//! grant: [`hal`]), reads each disk's GPT with the `image` crate's reader, and serves the
//! partitions by name (unique across the disks), and each whole disk by its virtio-blk
//! serial, to the programs the access table (`blkd_api::access::ACCESS`) names, decided
//! from the kernel-stamped sender id. The request handler is `blkd_api::server`, which
//! checks every request's layout, access and bounds before a device sees it.
//!
//! It prints `blkd: ready (virtio-blk, <n> sectors)` (`<n>` the first disk's size) and,
//! for each further disk, `blkd: disk <serial> ready (virtio-blk, <n> sectors)` only
//! once every device is set up, every GPT read and its partitions checked, and it is
//! registered with samgrd; then it tells init. Anything that fails before that prints
//! `blkd: FAIL: ...` and ends blkd (init then fails the boot); a driver bug panics, which
//! ends blkd, never the kernel.
#![no_std]
#![no_main]

extern crate alloc;

mod hal;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use blkd_api::server::{Disk, PartitionEntry, Volumes};
use blkd_api::{access, SECTOR, SERVICE_NAME};
use core::ptr::NonNull;
use hal::GrantHal;
use image::layout::FIRST_USABLE_LBA;
use initrd::manifest::Manifest;
use nexus_rt::abi::ipc::MAX_MSG;
use nexus_rt::abi::layout::MAX_GRANTS;
use nexus_rt::abi::{DeviceInfo, SysError};
use nexus_rt::{log, println, sys};
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
    let (mut devices, volumes, manifest) = match setup() {
        Ok(s) => s,
        Err(why) => {
            println!("blkd: FAIL: {why}");
            return 1;
        }
    };
    println!("blkd: ready (virtio-blk, {} sectors)", volumes.capacity());
    for disk in 1..volumes.disks() {
        println!(
            "blkd: disk {} ready (virtio-blk, {} sectors)",
            volumes.serial(disk),
            volumes.disk_capacity(disk)
        );
    }
    let logd = init_api::Client::new(sys::Ipc).locate(log::LOGD_NAME);
    if let Some(mut log) = log::connect(logd, "blkd") {
        let mut fields = log::Fields::new();
        let _ = fields.insert("disks", &format!("{}", volumes.disks()));
        let _ = fields.insert("sectors", &format!("{}", volumes.capacity()));
        log::send(&mut log, log::Level::Info, "ready", &fields);
    }
    if let Err(e) = init_api::Client::new(sys::Ipc).ready() {
        println!("blkd: FAIL: cannot report to init: {e}");
        return 1;
    }
    // One IPC buffer: each request arrives in it and its reply is sent from it.
    let mut buf = vec![0u8; MAX_MSG];
    sys::serve(&mut buf, |sender, buf, len| {
        // The sender's program, from the id the kernel stamped on the message.
        let program = manifest.by_id(sender).map(|p| p.name);
        let reply = volumes.handle(access::ACCESS, program, &buf[..len], &mut devices);
        let n = reply.len().min(buf.len());
        buf[..n].copy_from_slice(&reply[..n]);
        n
    })
}

/// Sets up every granted device (grant 0, 1, ... until `device_info` has no more), reads
/// each one's serial and GPT, and registers with samgrd.
fn setup() -> Result<(Vec<Device>, Volumes, Manifest<'static>), String> {
    let manifest = Manifest::parse(MANIFEST).map_err(|e| format!("boot manifest: {e}"))?;
    hal::init().map_err(|e| format!("dma_alloc for the bounce region: {e}"))?;
    let mut devices = Vec::new();
    let mut volumes: Option<Volumes> = None;
    for grant in 0..MAX_GRANTS {
        let info = match sys::device_info(grant) {
            Ok(info) => info,
            Err(SysError::NoDevice) if grant > 0 => break,
            Err(e) => return Err(format!("device_info({grant}): {e}")),
        };
        let (device, serial, capacity, read_only, partitions) = open_disk(grant, &info)?;
        match volumes.as_mut() {
            None => {
                volumes = Some(
                    Volumes::new(&serial, capacity, read_only, &partitions)
                        .map_err(|e| format!("disk {serial}: {e}"))?,
                );
            }
            Some(v) => v
                .add_disk(&serial, capacity, read_only, &partitions)
                .map_err(|e| format!("disk {serial}: {e}"))?,
        }
        let names: Vec<&str> = partitions.iter().map(|p| p.name.as_str()).collect();
        println!(
            "blkd: disk {serial}: {capacity} sectors{}, partitions {}",
            if read_only { ", read-only" } else { "" },
            names.join(" ")
        );
        devices.push(device);
    }
    let volumes = volumes.ok_or_else(|| String::from("no virtio-blk grant"))?;
    let samgrd = init_api::Client::new(sys::Ipc)
        .locate(samgrd_api::SERVICE_NAME)
        .map_err(|e| format!("locate samgrd: {e}"))?;
    samgrd_api::Client::new(sys::Ipc, samgrd)
        .register(SERVICE_NAME)
        .map_err(|e| format!("register with samgrd: {e}"))?;
    Ok((devices, volumes, manifest))
}

/// What one disk holds: its device, serial, size, whether it is read-only, and its GPT.
type Opened = (Device, String, u64, bool, Vec<PartitionEntry>);

/// Sets up grant `grant`'s device and reads its serial and GPT.
fn open_disk(grant: usize, info: &DeviceInfo) -> Result<Opened, String> {
    if info.device_id != VIRTIO_BLK {
        return Err(format!(
            "grant {grant} is virtio device {}, not virtio-blk",
            info.device_id
        ));
    }
    let len = usize::try_from(info.len).map_err(|_| String::from("window length"))?;
    let va = sys::mmio_map(info.pa as usize, len).map_err(|e| format!("mmio_map: {e}"))?;
    let header = NonNull::new(va as *mut VirtIOHeader)
        .ok_or_else(|| String::from("mmio_map gave a null address"))?;
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
    let partitions: Vec<PartitionEntry> = gpt
        .partitions
        .into_iter()
        .map(|p| PartitionEntry {
            name: p.name,
            first_lba: p.first_lba,
            last_lba: p.last_lba,
        })
        .collect();
    Ok((device, serial, capacity, read_only, partitions))
}
