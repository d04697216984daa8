//! `image`: the OS image. A GPT disk whose partitions hold the segments (bootloader,
//! kernel, initrd, rootfs, pkgfs, state) in a fixed order, 1 MiB aligned; the state
//! partition header; and the image manifest, canonical JSON that lists every byte range of
//! the image with its SHA-256 and is signed (Ed25519, through the `signing` crate).
//!
//! The core is `no_std` + `alloc` and does no I/O: the OS's flashd and the host's
//! `nx image` / `nx flash` share the layout planner, the GPT encoder and parser, and the
//! manifest parser. The default `std` feature adds [`fs`]: building an image file
//! (streaming, durable), verifying one against its manifest, and extracting a segment.
//!
//! Invariants: the same inputs give the same image and manifest bytes; the manifest
//! parser never panics and checks sizes before allocating; every error names the field,
//! range or segment at fault. Specified in `docs/provisioning/overview.md`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod compose;
mod error;
#[doc(hidden)]
pub mod fuzz;
pub mod gpt;
pub mod layout;
pub mod manifest;
mod names;
pub mod state;

#[cfg(feature = "std")]
pub mod fs;

pub use compose::{build_in_memory, compose, Composition};
pub use error::Error;
pub use layout::{Layout, PlannedSegment, ALIGN, SECTOR};
pub use manifest::{
    ImageDigest, Manifest, Partition, Profile, Range, SegmentEntry, Sha256, SignatureKind,
    MANIFEST_FORMAT, MAX_MANIFEST_LEN,
};
pub use names::{validate_board, validate_system_version, SegmentName};

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> alloc::string::String {
    hex::encode(bytes)
}

/// Parses exactly 64 lowercase or uppercase hex digits into 32 bytes.
pub fn parse_sha256_hex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}
