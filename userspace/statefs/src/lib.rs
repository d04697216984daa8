//! The `state:` store: a littlefs file system inside the image's `state` partition, behind
//! the partition's 512-byte header (`image::state`). The OS's statefsd and the host's
//! `nx state`, `nx reset factory --image` and `nx crash --image` run this same code: a
//! `no_std` core over a [`BlockDevice`], and (feature `std`) an adapter over an image file.
//!
//! Layout, geometry, the directory tree, the atomicity rule and the bounds are in
//! `docs/provisioning/statefs.md`. In short: the partition's first 4 KiB hold the header
//! (512 bytes) and zeros; littlefs (on-disk version 2.1) fills the 4 KiB blocks after it;
//! a file is replaced whole or not at all (written beside its target under a reserved
//! name, then renamed over it, which littlefs does atomically).
//!
//! littlefs is reached through `littlefs2-sys` (the C library of the `littlefs2` project)
//! rather than `littlefs2`'s safe layer, because that layer fixes the block count at
//! compile time and never forwards littlefs's sync calls, while the partition's size is
//! known only from its header and the store's durability points are littlefs's syncs.

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod cache;
mod device;
mod error;
#[cfg(feature = "std")]
pub mod file;
mod lfs;
mod path;
mod store;

pub use device::{BlockDevice, DeviceError, MemDevice};
pub use error::Error;
pub use path::{check_path, RESERVED_PREFIX};
pub use store::{Entry, Kind, Opened, Store, Usage};

/// Bytes in a littlefs block (erase unit and allocation unit).
pub const BLOCK_SIZE: u32 = 4096;
/// Where the store begins in the partition: after the block that holds the header.
pub const STORE_OFFSET: u64 = 4096;
/// The smallest read and write littlefs issues (one sector).
pub const IO_SIZE: u32 = 512;
/// littlefs's cache size (read, write and per-file caches).
pub const CACHE_SIZE: u32 = 4096;
/// Bytes of littlefs's block-allocation lookahead bitmap (8 blocks a byte).
pub const LOOKAHEAD_SIZE: u32 = 256;
/// Erase cycles before littlefs moves a metadata pair (wear levelling).
pub const BLOCK_CYCLES: i32 = 500;
/// The littlefs on-disk version the store is formatted with and requires (2.1).
pub const DISK_VERSION: u32 = 0x0002_0001;
/// The fewest blocks a store may have (a 64 KiB partition gives 15).
pub const MIN_BLOCKS: u32 = 8;
/// The largest file the store reads or writes.
pub const MAX_FILE: u64 = 16 << 20;
/// The longest path (bytes, without a leading `/`) and the longest name in it.
pub const MAX_PATH: usize = 255;
/// The store's top directories (`../shared/ARCHITECTURE.md`, "state: layout"); `trust/`
/// and `boot/` survive a factory reset. They are made by the first write below them, not
/// at format: a littlefs directory takes a metadata pair (two blocks) even when empty.
pub const TOP_DIRS: [&str; 6] = ["apps", "boot", "content", "crash", "settings", "trust"];
