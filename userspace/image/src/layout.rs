//! The image layout planner: where each segment's partition starts and ends, how large
//! the disk is, and which byte ranges of the image the manifest lists.
//!
//! Rules (specified in `docs/provisioning/overview.md`): 512-byte sectors; the protective
//! MBR at LBA 0; the primary GPT header at LBA 1 and its 128 entries at LBAs 2..=33;
//! partitions in the fixed segment order, each starting on a 1 MiB boundary (the first at
//! 1 MiB) and spanning its segment rounded up to 1 MiB; a 1 MiB tail whose last 33
//! sectors hold the backup entries and the backup header. Absent segments take no space.

use alloc::vec::Vec;

use crate::{state, Error, SegmentName};

/// Sector (logical block) size in bytes.
pub const SECTOR: u64 = 512;
/// Partition alignment in bytes (1 MiB, what sfdisk and sgdisk use by default).
pub const ALIGN: u64 = 1 << 20;
/// Largest segment accepted (4 GiB).
pub const MAX_SEGMENT_LEN: u64 = 4 << 30;
/// Largest image (32 GiB).
pub const MAX_IMAGE_LEN: u64 = 32 << 30;
/// Smallest state partition (64 KiB).
pub const MIN_STATE_LEN: u64 = 64 << 10;
/// Largest state partition (4 GiB).
pub const MAX_STATE_LEN: u64 = 4 << 30;
/// Number of GPT partition entries (the table always has 128).
pub const GPT_ENTRIES: u64 = 128;
/// Size of one GPT entry.
pub const GPT_ENTRY_LEN: u64 = 128;
/// Sectors the 128 entries take.
pub const GPT_ENTRY_SECTORS: u64 = GPT_ENTRIES * GPT_ENTRY_LEN / SECTOR;
/// First LBA a partition may use (after the primary header and entries).
pub const FIRST_USABLE_LBA: u64 = 2 + GPT_ENTRY_SECTORS;

/// Name of the protective MBR range (LBA 0).
pub const RANGE_MBR: &str = "protective-mbr";
/// Name of the primary GPT range (header and entries, LBAs 1..=33).
pub const RANGE_GPT_PRIMARY: &str = "gpt-primary";
/// Name of the backup GPT range (entries and header, the last 33 LBAs).
pub const RANGE_GPT_BACKUP: &str = "gpt-backup";

/// One present segment placed on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedSegment {
    /// Which segment.
    pub name: SegmentName,
    /// Byte offset of the partition (and of the segment's data) in the image.
    pub offset: u64,
    /// Bytes of data the image holds for it (the file, or the state header).
    pub data_len: u64,
    /// Bytes of the partition (data rounded up to [`ALIGN`], or the state size).
    pub partition_len: u64,
}

impl PlannedSegment {
    /// First LBA of the partition.
    pub fn first_lba(&self) -> u64 {
        self.offset / SECTOR
    }

    /// Last LBA of the partition (inclusive, as GPT counts).
    pub fn last_lba(&self) -> u64 {
        (self.offset + self.partition_len) / SECTOR - 1
    }
}

/// A byte range of the image, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutRange {
    /// Range name: a segment name or one of the GPT region names.
    pub name: &'static str,
    /// Byte offset in the image.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

/// The planned image: present segments in disk order and the total size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    segments: Vec<PlannedSegment>,
    total_len: u64,
}

fn align_up(n: u64) -> Option<u64> {
    n.checked_add(ALIGN - 1).map(|v| v / ALIGN * ALIGN)
}

impl Layout {
    /// Plans the layout for the given segment file sizes (any order; state excluded) and
    /// an optional state partition size.
    pub fn plan(files: &[(SegmentName, u64)], state_len: Option<u64>) -> Result<Layout, Error> {
        let mut segments = Vec::new();
        let mut offset = ALIGN;
        for name in SegmentName::ALL {
            let (data_len, partition_len) = if name == SegmentName::State {
                let Some(size) = state_len else { continue };
                if size % 4096 != 0 || !(MIN_STATE_LEN..=MAX_STATE_LEN).contains(&size) {
                    return Err(Error::StateSize { size });
                }
                let part = align_up(size).ok_or(Error::StateSize { size })?;
                (state::HEADER_LEN as u64, part)
            } else {
                let mut found = files.iter().filter(|(n, _)| *n == name);
                let Some(&(_, size)) = found.next() else {
                    continue;
                };
                if found.next().is_some() {
                    return Err(Error::ManifestRange {
                        range: alloc::string::String::from(name.as_str()),
                        reason: "segment given twice",
                    });
                }
                if size == 0 {
                    return Err(Error::EmptySegment { segment: name });
                }
                if size > MAX_SEGMENT_LEN {
                    return Err(Error::SegmentTooLarge {
                        segment: name,
                        size,
                        max: MAX_SEGMENT_LEN,
                    });
                }
                let part = align_up(size).ok_or(Error::SegmentTooLarge {
                    segment: name,
                    size,
                    max: MAX_SEGMENT_LEN,
                })?;
                (size, part)
            };
            segments.push(PlannedSegment {
                name,
                offset,
                data_len,
                partition_len,
            });
            offset = offset
                .checked_add(partition_len)
                .ok_or(Error::ImageTooLarge { size: u64::MAX })?;
        }
        if files.iter().any(|(n, _)| *n == SegmentName::State) {
            return Err(Error::ManifestRange {
                range: alloc::string::String::from("state"),
                reason: "the state partition is created by the builder, not given as a file",
            });
        }
        if segments.is_empty() {
            return Err(Error::NoSegments);
        }
        let total_len = offset + ALIGN;
        if total_len > MAX_IMAGE_LEN {
            return Err(Error::ImageTooLarge { size: total_len });
        }
        Ok(Layout {
            segments,
            total_len,
        })
    }

    /// Present segments in disk order.
    pub fn segments(&self) -> &[PlannedSegment] {
        &self.segments
    }

    /// The planned segment `name`, if present.
    pub fn segment(&self, name: SegmentName) -> Option<&PlannedSegment> {
        self.segments.iter().find(|s| s.name == name)
    }

    /// Total image size in bytes.
    pub fn total_len(&self) -> u64 {
        self.total_len
    }

    /// Number of sectors of the disk.
    pub fn total_sectors(&self) -> u64 {
        self.total_len / SECTOR
    }

    /// Last LBA a partition may use (before the backup entries).
    pub fn last_usable_lba(&self) -> u64 {
        self.total_sectors() - 2 - GPT_ENTRY_SECTORS
    }

    /// Every byte range the manifest lists, in image order: the protective MBR, the
    /// primary GPT, each present segment's data, the backup GPT.
    pub fn ranges(&self) -> Vec<LayoutRange> {
        let mut out = Vec::with_capacity(self.segments.len() + 3);
        out.push(LayoutRange {
            name: RANGE_MBR,
            offset: 0,
            len: SECTOR,
        });
        out.push(LayoutRange {
            name: RANGE_GPT_PRIMARY,
            offset: SECTOR,
            len: (1 + GPT_ENTRY_SECTORS) * SECTOR,
        });
        for s in &self.segments {
            out.push(LayoutRange {
                name: s.name.as_str(),
                offset: s.offset,
                len: s.data_len,
            });
        }
        out.push(LayoutRange {
            name: RANGE_GPT_BACKUP,
            offset: self.total_len - (1 + GPT_ENTRY_SECTORS) * SECTOR,
            len: (1 + GPT_ENTRY_SECTORS) * SECTOR,
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_segments_in_fixed_order_on_mib_boundaries() {
        let layout = Layout::plan(
            &[(SegmentName::Initrd, 10), (SegmentName::Kernel, ALIGN + 1)],
            Some(MIN_STATE_LEN),
        )
        .unwrap();
        let segs = layout.segments();
        assert_eq!(
            segs.iter().map(|s| s.name).collect::<Vec<_>>(),
            [SegmentName::Kernel, SegmentName::Initrd, SegmentName::State]
        );
        assert_eq!(segs[0].offset, ALIGN);
        assert_eq!(segs[0].partition_len, 2 * ALIGN);
        assert_eq!(segs[1].offset, 3 * ALIGN);
        assert_eq!(segs[2].offset, 4 * ALIGN);
        assert_eq!(segs[2].data_len, state::HEADER_LEN as u64);
        assert_eq!(layout.total_len(), 6 * ALIGN);
        assert!(segs[2].last_lba() <= layout.last_usable_lba());
    }

    #[test]
    fn rejects_empty_duplicate_and_missing_segments() {
        assert_eq!(
            Layout::plan(&[(SegmentName::Kernel, 0)], None),
            Err(Error::EmptySegment {
                segment: SegmentName::Kernel
            })
        );
        assert!(Layout::plan(&[(SegmentName::Kernel, 1), (SegmentName::Kernel, 1)], None).is_err());
        assert_eq!(Layout::plan(&[], None), Err(Error::NoSegments));
        assert!(matches!(
            Layout::plan(&[(SegmentName::Rootfs, MAX_SEGMENT_LEN + 1)], None),
            Err(Error::SegmentTooLarge { .. })
        ));
        assert!(matches!(
            Layout::plan(&[], Some(4095)),
            Err(Error::StateSize { size: 4095 })
        ));
    }

    #[test]
    fn ranges_cover_gpt_regions_and_segments_in_order() {
        let layout = Layout::plan(&[(SegmentName::Kernel, 100)], None).unwrap();
        let r = layout.ranges();
        let names: Vec<_> = r.iter().map(|r| r.name).collect();
        assert_eq!(
            names,
            [RANGE_MBR, RANGE_GPT_PRIMARY, "kernel", RANGE_GPT_BACKUP]
        );
        assert_eq!(r[3].offset + r[3].len, layout.total_len());
        for w in r.windows(2) {
            assert!(w[0].offset + w[0].len <= w[1].offset);
        }
    }
}
