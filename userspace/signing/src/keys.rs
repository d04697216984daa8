//! Key and signature newtypes: [`PublicKey`], [`SecretKey`] and [`Signature`].
//!
//! A [`PublicKey`] is always a valid, non-weak Ed25519 point (checked on construction);
//! a [`SecretKey`] zeroizes its seed when dropped and never prints it.

use alloc::string::String;
use core::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::{hex, Error, KeyKind};

/// Length of a public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a private key (the Ed25519 seed) in bytes.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of a detached signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key: a valid point that is not of small order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Checks and wraps the 32 bytes of a compressed Edwards point.
    pub fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Result<Self, Error> {
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| Error::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(Error::InvalidPublicKey);
        }
        Ok(PublicKey(bytes))
    }

    /// Checks and wraps a public key given as a byte slice of any length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let array: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| Error::ByteLength {
            kind: KeyKind::Public,
            expected: PUBLIC_KEY_LEN,
            found: bytes.len(),
        })?;
        Self::from_bytes(array)
    }

    /// Parses the public key file format: 64 hex digits, optionally followed by
    /// whitespace (a newline).
    pub fn from_hex(text: &[u8]) -> Result<Self, Error> {
        Self::from_bytes(hex::decode::<PUBLIC_KEY_LEN>(text, KeyKind::Public)?)
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// The key as 64 lowercase hex digits (no newline).
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// Verifies `signature` over `message` with this key alone (strict RFC 8032
    /// verification). Verifiers of untrusted input use [`crate::TrustedKeys::verify`].
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), Error> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| Error::InvalidPublicKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &sig)
            .map_err(|_| Error::BadSignature)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex::write(f, &self.0)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        hex::write(f, &self.0)?;
        f.write_str(")")
    }
}

/// An Ed25519 private key (the 32-byte seed). Zeroized on drop; `Debug` shows only the
/// public key.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// Wraps a 32-byte seed (for example from OS randomness).
    pub fn from_seed(seed: [u8; SECRET_KEY_LEN]) -> Self {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// Parses the private key file format: 64 hex digits, optionally followed by
    /// whitespace (a newline).
    pub fn from_hex(text: &[u8]) -> Result<Self, Error> {
        let mut seed = hex::decode_secret::<SECRET_KEY_LEN>(text, KeyKind::Private)?;
        let key = Self::from_seed(seed);
        zeroize::Zeroize::zeroize(&mut seed);
        Ok(key)
    }

    /// The private key file content: 64 lowercase hex digits and a newline. The caller
    /// should zeroize the string once written.
    pub fn to_hex_line(&self) -> zeroize::Zeroizing<String> {
        let mut line = zeroize::Zeroizing::new(hex::encode(self.0.as_bytes()));
        line.push('\n');
        line
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`, giving a detached signature (deterministic: the same key and
    /// message always give the same 64 bytes).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public_key())
    }
}

/// A detached Ed25519 signature: the raw 64 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// Wraps 64 raw bytes. Whether they verify is checked only against a key.
    pub fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Signature(bytes)
    }

    /// Wraps a signature given as a byte slice; it must be exactly 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let array: [u8; SIGNATURE_LEN] = bytes.try_into().map_err(|_| Error::ByteLength {
            kind: KeyKind::Signature,
            expected: SIGNATURE_LEN,
            found: bytes.len(),
        })?;
        Ok(Signature(array))
    }

    /// The 64 raw bytes.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }

    /// The signature as 128 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        hex::write(f, &self.0)?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032, section 7.1, TEST 1 (empty message).
    const RFC_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC_SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                           5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    #[test]
    fn matches_rfc8032_test_vector_1() {
        let key = SecretKey::from_hex(RFC_SEED.as_bytes()).unwrap();
        assert_eq!(key.public_key().to_hex(), RFC_PUBLIC);
        let sig = key.sign(b"");
        assert_eq!(sig.to_hex(), RFC_SIG);
        key.public_key().verify(b"", &sig).unwrap();
    }

    #[test]
    fn rejects_signature_over_other_message() {
        let key = SecretKey::from_seed([7; 32]);
        let sig = key.sign(b"one");
        assert_eq!(
            key.public_key().verify(b"two", &sig),
            Err(Error::BadSignature)
        );
    }

    #[test]
    fn rejects_small_order_public_key() {
        // The identity point (y = 1) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(identity),
            Err(Error::InvalidPublicKey)
        );
    }

    #[test]
    fn rejects_signature_of_wrong_length() {
        assert_eq!(
            Signature::from_slice(&[0; 63]),
            Err(Error::ByteLength {
                kind: KeyKind::Signature,
                expected: 64,
                found: 63
            })
        );
    }

    #[test]
    fn debug_never_shows_the_seed() {
        let key = SecretKey::from_hex(RFC_SEED.as_bytes()).unwrap();
        let shown = alloc::format!("{key:?}");
        assert!(!shown.contains(RFC_SEED));
        assert!(shown.contains(RFC_PUBLIC));
    }
}
