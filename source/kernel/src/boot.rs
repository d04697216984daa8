//! What the kernel learns from the device tree at boot: RAM, the initrd, the timebase,
//! and its command line (`/chosen/bootargs`, QEMU's `-append`).

use alloc::vec::Vec;
use core::fmt;
use kernel_core::grants::Window;

/// Facts read from the device tree.
pub struct BootInfo {
    /// Start of RAM.
    pub ram_start: usize,
    /// Size of RAM in bytes.
    pub ram_size: usize,
    /// The initrd QEMU loaded (`-initrd`), from `/chosen`.
    pub initrd: &'static [u8],
    /// The device tree's own range (not to be handed out as frames).
    pub dtb: (usize, usize),
    /// `time` ticks per second.
    pub timebase: u64,
    /// `asid=off` on the command line: address spaces without ASIDs (every switch with a
    /// full fence), as on a hart that has none.
    pub asid_off: bool,
    /// `crash=trap` on the command line: after booting, the kernel loads from an address
    /// nothing maps, to prove its own-fault path (a panic and a failing exit status).
    pub crash_trap: bool,
    /// The virtio-mmio windows (`compatible = "virtio,mmio"`), ascending by address, each
    /// with the device id read from it (0: an empty slot).
    pub windows: Vec<Window>,
}

/// What is missing from the device tree.
#[derive(Debug)]
pub enum BootError {
    /// The blob is not a device tree.
    BadTree,
    /// No `/memory` region.
    NoMemory,
    /// No `linux,initrd-start`/`-end` in `/chosen` (QEMU run without `-initrd`).
    NoInitrd,
    /// The initrd range lies outside RAM.
    InitrdOutsideRam,
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BootError::BadTree => "not a device tree",
            BootError::NoMemory => "no /memory node",
            BootError::NoInitrd => "no initrd in /chosen (run QEMU with -initrd)",
            BootError::InitrdOutsideRam => "initrd outside RAM",
        })
    }
}

impl BootInfo {
    /// Reads the device tree at physical address `dtb`.
    pub fn read(dtb: usize) -> Result<BootInfo, BootError> {
        // SAFETY: OpenSBI hands over a device tree at `dtb` in a1; RAM is identity
        // accessible before paging, and `from_ptr` checks the header magic and size.
        let tree =
            unsafe { fdt::Fdt::from_ptr(dtb as *const u8) }.map_err(|_| BootError::BadTree)?;
        let region = tree.memory().regions().next().ok_or(BootError::NoMemory)?;
        let ram_start = region.starting_address as usize;
        let ram_size = region.size.ok_or(BootError::NoMemory)?;
        let chosen = tree.find_node("/chosen").ok_or(BootError::NoInitrd)?;
        let start = chosen
            .property("linux,initrd-start")
            .and_then(|p| p.as_usize())
            .ok_or(BootError::NoInitrd)?;
        let end = chosen
            .property("linux,initrd-end")
            .and_then(|p| p.as_usize())
            .ok_or(BootError::NoInitrd)?;
        if start < ram_start || end < start || end > ram_start + ram_size {
            return Err(BootError::InitrdOutsideRam);
        }
        let timebase = tree
            .cpus()
            .next()
            .map(|c| c.timebase_frequency() as u64)
            .unwrap_or(10_000_000);
        // SAFETY: QEMU loaded the initrd at [start, end) inside RAM (checked above); the
        // frame allocator never hands out that range and nothing writes it, so a shared
        // 'static view is sound.
        let initrd = unsafe { core::slice::from_raw_parts(start as *const u8, end - start) };
        let bootargs = chosen
            .property("bootargs")
            .and_then(|p| p.as_str())
            .unwrap_or("");
        let has = |word: &str| bootargs.split_ascii_whitespace().any(|w| w == word);
        let (asid_off, crash_trap) = (has("asid=off"), has("crash=trap"));
        let mut windows = Vec::new();
        for node in tree.all_nodes() {
            let virtio = node
                .compatible()
                .is_some_and(|c| c.all().any(|s| s == "virtio,mmio"));
            let reg = node.reg().and_then(|mut r| r.next());
            let (true, Some(reg)) = (virtio, reg) else {
                continue;
            };
            let pa = reg.starting_address as u64;
            let len = reg.size.unwrap_or(0) as u64;
            let irq = node.interrupts().and_then(|mut i| i.next()).unwrap_or(0) as u32;
            windows.push(Window {
                pa,
                len,
                device_id: probe_virtio(pa, len),
                irq,
            });
        }
        windows.sort_unstable_by_key(|w| w.pa);
        Ok(BootInfo {
            ram_start,
            ram_size,
            initrd,
            dtb: (dtb, dtb + tree.total_size()),
            timebase,
            asid_off,
            crash_trap,
            windows,
        })
    }
}

/// The virtio device id in the virtio-mmio window at `pa` (0: no device, or not a
/// virtio window: its magic is wrong, or it lies outside the MMIO gigabyte).
fn probe_virtio(pa: u64, len: u64) -> u32 {
    let in_mmio = pa.is_multiple_of(4) && len >= 0x100 && pa + len <= 0x4000_0000;
    if !in_mmio {
        return 0;
    }
    let read = |offset: usize| {
        // SAFETY: the device tree names `[pa, pa + len)` a virtio-mmio register window
        // (checked above to lie in the MMIO gigabyte, which the kernel's space maps);
        // an aligned 32-bit read of its magic or DeviceID register has no side effect.
        unsafe { core::ptr::read_volatile((pa as usize + offset) as *const u32) }
    };
    if read(0) != abi::device::VIRTIO_MAGIC {
        return 0;
    }
    read(abi::device::VIRTIO_DEVICE_ID)
}
