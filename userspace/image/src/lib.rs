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
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = alloc::string::String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Parses exactly 64 lowercase or uppercase hex digits into 32 bytes.
pub fn parse_sha256_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}
