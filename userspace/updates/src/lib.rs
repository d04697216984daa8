//! `updates`: the formats and the state machine of signed A/B updates.
//!
//! - `manifest.nxb` ([`BundleManifest`]) and `.nxb` bundles ([`nxb`]):
//!   `docs/packaging/nxb.md`;
//! - `.nxs` system-sets: the signed index ([`SystemSetIndex`]), the canonical ustar
//!   framing ([`tar`]), the writer ([`pack`]) and the streaming verifier ([`verify`]):
//!   `docs/packaging/system-set.md`;
//! - the A/B state machine ([`bootctl`]) and its persistent two-copy record
//!   ([`bootrecord`]): `docs/updates/ab-skeleton-v1.md`;
//! - the shared vocabulary of a system: board names ([`BoardName`]) and system versions
//!   ([`parse_system_version`]), whose rules the `image` crate's manifest reuses.
//!
//! The core is `no_std` + `alloc` and sans-IO, so the OS's `updated` and the host tools
//! drive the same code; Ed25519 comes from the `signing` crate only. The default `std`
//! feature adds [`fs`]: file verification with the size bound checked before reading,
//! packing to a file atomically, and atomic staging into a slot directory.
//!
//! Invariants: writers are deterministic (same content, same bytes); readers accept only
//! the canonical bytes the writers produce, never panic on untrusted input, check every
//! size before allocating, and return an [`Error`] naming the entry or field at fault.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod bootctl;
pub mod bootrecord;
mod canonical;
mod error;
#[doc(hidden)]
pub mod fuzz;
mod index;
mod manifest;
mod names;
pub mod nxb;
pub mod pack;
pub mod schema;
pub mod tar;
pub mod verify;

#[cfg(feature = "std")]
pub mod fs;

pub use bootctl::{
    AuditEvent, AuditSink, BootCtrl, BootState, Pending, Phase, RollbackReason, SlotId,
    SystemSetDigest, TriesLeft,
};
pub use error::{Document, Error};
pub use index::{BundleEntry, SystemSetIndex, FORMAT_VERSION, MAX_BUNDLES, MAX_INDEX_LEN};
pub use manifest::{BundleManifest, MAX_LABELS, MAX_LABEL_LEN, MAX_MANIFEST_LEN};
pub use names::{
    parse_system_version, BoardName, BundleName, Version, MAX_BOARD_NAME_LEN, MAX_BUNDLE_NAME_LEN,
    MAX_SYSTEM_VERSION_LEN,
};
pub use verify::{
    peek_index, verify_system_set, SystemSetVerifier, VerifiedSystemSet, VerifyPolicy,
    DEFAULT_MAX_ARCHIVE_SIZE,
};
