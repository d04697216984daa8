//! Device grants: what a driver learns about its granted devices and its DMA memory.
//!
//! The boot manifest grants a program a device (`device=virtio-blk`); the kernel finds
//! the virtio-mmio slots in the device tree and gives that program, and no other, its
//! slot's MMIO window (`mmio_map`) and physically contiguous DMA pages (`dma_alloc`).
//! Interrupts are not delivered: a driver polls its device (see the kernel document).

/// The largest DMA request, in pages (256 KiB).
pub const MAX_DMA_PAGES: usize = 64;

/// The virtio device types a manifest may grant, by name and virtio device id.
pub const VIRTIO_KINDS: [(&str, u32); 4] = [
    ("virtio-net", 1),
    ("virtio-blk", 2),
    ("virtio-console", 3),
    ("virtio-rng", 4),
];

/// The virtio device id of a grant name (`virtio-blk` -> 2).
pub fn virtio_kind(name: &str) -> Option<u32> {
    VIRTIO_KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// The virtio-mmio magic value at offset 0 of a window (`"virt"` little-endian).
pub const VIRTIO_MAGIC: u32 = 0x7472_6976;
/// Offset of the virtio-mmio DeviceID register.
pub const VIRTIO_DEVICE_ID: usize = 8;

/// One granted device, as `device_info` writes it: 24 bytes, little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Physical address of its MMIO window.
    pub pa: u64,
    /// Length of the window in bytes.
    pub len: u64,
    /// The virtio device id found at boot (2: block).
    pub device_id: u32,
    /// Its interrupt line on the PLIC (informational: the kernel delivers none).
    pub irq: u32,
}

impl DeviceInfo {
    /// Encoded size in bytes.
    pub const LEN: usize = 24;

    /// Little-endian encoding: pa, len, device id, irq.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[0..8].copy_from_slice(&self.pa.to_le_bytes());
        out[8..16].copy_from_slice(&self.len.to_le_bytes());
        out[16..20].copy_from_slice(&self.device_id.to_le_bytes());
        out[20..24].copy_from_slice(&self.irq.to_le_bytes());
        out
    }

    /// Decodes the encoding of [`DeviceInfo::to_bytes`].
    pub fn from_bytes(b: &[u8; Self::LEN]) -> DeviceInfo {
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let u32_at = |i: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&b[i..i + 4]);
            u32::from_le_bytes(w)
        };
        DeviceInfo {
            pa: u64_at(0),
            len: u64_at(8),
            device_id: u32_at(16),
            irq: u32_at(20),
        }
    }
}

/// A DMA region, as `dma_alloc` writes it: 16 bytes, little-endian. The pages are
/// physically contiguous: byte `i` of the region is at `pa + i` for the device and at
/// `va + i` for the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaRegion {
    /// Physical address of the first page (what the device is given).
    pub pa: u64,
    /// Virtual address of the first page in the driver's space.
    pub va: u64,
}

impl DmaRegion {
    /// Encoded size in bytes.
    pub const LEN: usize = 16;

    /// Little-endian encoding: pa, then va.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[0..8].copy_from_slice(&self.pa.to_le_bytes());
        out[8..16].copy_from_slice(&self.va.to_le_bytes());
        out
    }

    /// Decodes the encoding of [`DmaRegion::to_bytes`].
    pub fn from_bytes(b: &[u8; Self::LEN]) -> DmaRegion {
        let mut pa = [0u8; 8];
        let mut va = [0u8; 8];
        pa.copy_from_slice(&b[0..8]);
        va.copy_from_slice(&b[8..16]);
        DmaRegion {
            pa: u64::from_le_bytes(pa),
            va: u64::from_le_bytes(va),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_names_map_to_virtio_device_ids() {
        assert_eq!(virtio_kind("virtio-blk"), Some(2));
        assert_eq!(virtio_kind("virtio-net"), Some(1));
        assert_eq!(virtio_kind("blk"), None);
    }

    #[test]
    fn device_info_and_dma_region_roundtrip_little_endian() {
        let info = DeviceInfo {
            pa: 0x1000_8000,
            len: 0x1000,
            device_id: 2,
            irq: 8,
        };
        let b = info.to_bytes();
        assert_eq!(&b[0..8], &0x1000_8000u64.to_le_bytes());
        assert_eq!(DeviceInfo::from_bytes(&b), info);
        let dma = DmaRegion {
            pa: 0x8100_0000,
            va: 0x7100_0000,
        };
        assert_eq!(DmaRegion::from_bytes(&dma.to_bytes()), dma);
    }
}
