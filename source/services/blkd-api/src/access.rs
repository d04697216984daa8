//! The access table: which program may open which volume. It is blkd's configuration,
//! kept here so a host test checks it against the boot manifest.
//!
//! A request's program is the boot-manifest line of its **kernel-stamped sender id**
//! (`initrd::manifest::Manifest::by_id`: the kernel numbers programs by that line), never
//! a name or id in the payload. A sender that is no manifest program (a program started
//! from memory) has no grants. There is no default: what the table does not grant is
//! `Denied`.

use crate::Target;

/// One grant: `program` may open `volume`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The boot-manifest program.
    pub program: &'static str,
    /// The volume it may open.
    pub volume: Target<'static>,
}

/// blkd's grants. The whole disk (for the flasher, when it arrives) is granted by the
/// disk's virtio-blk serial: `Target::Disk("os")`, the image disk.
pub const ACCESS: &[Grant] = &[
    Grant {
        program: "selftest-client",
        volume: Target::Partition("scratch"),
    },
    // The state: store (docs/provisioning/statefs.md).
    Grant {
        program: "statefsd",
        volume: Target::Partition("state"),
    },
];

/// Whether `program` (`None`: the sender is no manifest program) may open `volume`.
pub fn may_open(grants: &[Grant], program: Option<&str>, volume: Target<'_>) -> bool {
    program.is_some_and(|p| grants.iter().any(|g| g.program == p && g.volume == volume))
}
