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

/// Runs every reader of this crate over `data`: the body of the fuzz target and of the
/// corpus replay test. Each reader must return `Ok` or a typed error, never panic. The
/// system-set verifier trusts the committed test keys, so seeds built from valid test
/// sets reach the bundle checks. Returns whether verifying `data` whole and in small
/// chunks gave the same result (the caller asserts it).
#[doc(hidden)]
pub fn fuzz_readers(data: &[u8]) -> bool {
    let _ = SystemSetIndex::decode(data);
    let _ = BundleManifest::decode(data);
    let _ = bootrecord::load(data);
    let _ = bootrecord::decode_copy(data);
    let _ = verify::peek_index(data);
    let _ = nxb::read_bundle(data, None);
    let Ok(trusted) =
        signing::TrustedKeys::new(signing::test_public_keys(), signing::KeyPolicy::Development)
    else {
        return false;
    };
    let _ = nxb::read_bundle(data, Some(&trusted));
    let policy = VerifyPolicy::inspection(trusted);
    let _ = verify_system_set(data, policy.clone());
    // The same input in small chunks must give the same result.
    let mut v = SystemSetVerifier::new(policy.clone());
    let mut chunked = Ok(());
    for chunk in data.chunks(37) {
        chunked = v.push(chunk);
        if chunked.is_err() {
            break;
        }
    }
    let chunked = chunked.and_then(|()| v.finish());
    let whole = verify_system_set(data, policy);
    chunked == whole
}
