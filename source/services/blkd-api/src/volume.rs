//! Volumes and the bound check: every sector a request names must lie inside its volume.

use abi::SysError;

/// Where a volume lies on its disk: its first sector and its length in sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    first: u64,
    sectors: u64,
}

impl Extent {
    /// The whole disk of `capacity` sectors.
    pub fn disk(capacity: u64) -> Extent {
        Extent {
            first: 0,
            sectors: capacity,
        }
    }

    /// A GPT partition `first_lba..=last_lba` on a disk of `capacity` sectors; `None`
    /// when it is empty (last before first) or runs past the disk's end.
    pub fn partition(first_lba: u64, last_lba: u64, capacity: u64) -> Option<Extent> {
        if last_lba < first_lba || last_lba >= capacity {
            return None;
        }
        Some(Extent {
            first: first_lba,
            sectors: last_lba - first_lba + 1,
        })
    }

    /// The volume's first sector on the disk.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The volume's length in sectors.
    pub fn sectors(&self) -> u64 {
        self.sectors
    }

    /// The disk sector of volume sector `lba`, when `count` sectors from `lba` all lie
    /// inside the volume; `BadAddress` otherwise (also when `lba + count` overflows).
    pub fn locate(&self, lba: u64, count: u64) -> Result<u64, SysError> {
        match lba.checked_add(count) {
            Some(end) if end <= self.sectors => Ok(self.first + lba),
            _ => Err(SysError::BadAddress),
        }
    }
}
