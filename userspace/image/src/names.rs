//! Names shared by the layout and the manifest: segment names (in their fixed order),
//! and the checks of board names and system versions, whose rules `updates` owns.

use core::fmt;
use core::str::FromStr;

use crate::Error;

/// A segment of the OS image. The declaration order is the order on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SegmentName {
    /// The boot loader (OpenSBI or a firmware payload).
    Bootloader,
    /// The S-mode kernel.
    Kernel,
    /// The initrd the kernel loads its programs from (also the recovery programs).
    Initrd,
    /// The root filesystem.
    Rootfs,
    /// The package filesystem.
    Pkgfs,
    /// The state partition (created empty, with a header).
    State,
}

impl SegmentName {
    /// Every segment, in disk order.
    pub const ALL: [SegmentName; 6] = [
        SegmentName::Bootloader,
        SegmentName::Kernel,
        SegmentName::Initrd,
        SegmentName::Rootfs,
        SegmentName::Pkgfs,
        SegmentName::State,
    ];

    /// The name used in the manifest, the partition table and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentName::Bootloader => "bootloader",
            SegmentName::Kernel => "kernel",
            SegmentName::Initrd => "initrd",
            SegmentName::Rootfs => "rootfs",
            SegmentName::Pkgfs => "pkgfs",
            SegmentName::State => "state",
        }
    }
}

impl fmt::Display for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SegmentName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        SegmentName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or(Error::UnknownSegment)
    }
}

/// Checks a board name: lowercase `[a-z0-9-]`, 1 to 32 characters. The rule is the
/// shared vocabulary's, owned by `updates` ([`updates::BoardName`]), so the running
/// system's board and a system-set's are checked alike.
pub fn validate_board(board: &str) -> Result<(), Error> {
    updates::BoardName::new(board)
        .map(drop)
        .map_err(|_| Error::InvalidBoard)
}

/// Checks a system version: canonical semver (`MAJOR.MINOR.PATCH[-pre][+build]`), at most
/// 64 bytes; the rule is `updates`' ([`updates::parse_system_version`]).
pub fn validate_system_version(version: &str) -> Result<(), Error> {
    updates::parse_system_version(version)
        .map(drop)
        .map_err(|_| Error::InvalidSystemVersion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_roundtrip_in_disk_order() {
        for (i, n) in SegmentName::ALL.iter().enumerate() {
            assert_eq!(n.as_str().parse::<SegmentName>().unwrap(), *n);
            if i > 0 {
                assert!(SegmentName::ALL[i - 1] < *n);
            }
        }
        assert!("boot".parse::<SegmentName>().is_err());
    }

    #[test]
    fn board_names_follow_the_shared_vocabulary() {
        for ok in ["qemu-virt", "a", "rv64-0"] {
            assert!(validate_board(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Qemu", "qemu_virt", "x".repeat(33).as_str(), "a b"] {
            assert!(validate_board(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn system_versions_are_semver() {
        assert!(validate_system_version("1.2.3").is_ok());
        assert!(validate_system_version("1.2.3-rc.1+b5").is_ok());
        assert!(validate_system_version("1.2").is_err());
        assert!(validate_system_version("v1.2.3").is_err());
    }
}
