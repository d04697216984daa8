//! `signing`: the one owner of Ed25519 in the project. Key files, detached signatures and
//! trusted key sets, shared by the image builder and the system-set tools, so an image
//! signature and a system-set signature mean exactly the same thing.
//!
//! Formats (specified in `docs/security/signing.md`):
//! - a private key is the 32-byte Ed25519 seed written as 64 hex characters;
//! - a public key is the 32-byte compressed point written as 64 hex characters;
//! - a signature is the raw 64 bytes of an Ed25519 signature (RFC 8032), detached from
//!   the message it signs.
//!
//! Verification is strict (`verify_strict`: no small-order keys, no non-canonical `R` or
//! `S`), so a signature has exactly one valid byte encoding. Verifiers take a
//! [`TrustedKeys`] set, never a single key. The committed test keys (`keys/test/`) are
//! compiled in ([`test_public_keys`]) so that [`KeyPolicy::Release`] can refuse them.
//!
//! The core is `no_std` and needs no allocator or randomness; the default `std` feature
//! adds [`keyfile`] (reading and writing key files, key generation from OS randomness).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod hex;
mod keys;
mod testkeys;
mod trust;

#[cfg(feature = "std")]
pub mod keyfile;

pub use error::{Error, KeyKind};
pub use hex::encode as to_hex;
pub use keys::{PublicKey, SecretKey, Signature, PUBLIC_KEY_LEN, SECRET_KEY_LEN, SIGNATURE_LEN};
pub use testkeys::{is_test_key, test_public_keys};
pub use trust::{KeyPolicy, TrustedKeys};
