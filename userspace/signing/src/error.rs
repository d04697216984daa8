//! The error type of the signing core: each variant names the key, signature or field at
//! fault.

use core::fmt;

/// Which kind of key material an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A private key (the 32-byte Ed25519 seed).
    Private,
    /// A public key (the 32-byte compressed Edwards point).
    Public,
    /// A detached signature (64 bytes).
    Signature,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Private => "private key",
            KeyKind::Public => "public key",
            KeyKind::Signature => "signature",
        })
    }
}

/// Why key material could not be parsed or a signature could not be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The hex text has the wrong number of characters.
    HexLength {
        /// What was being parsed.
        kind: KeyKind,
        /// Characters expected.
        expected: usize,
        /// Characters found (after trailing whitespace is removed).
        found: usize,
    },
    /// A character of the hex text is not a hex digit.
    HexDigit {
        /// What was being parsed.
        kind: KeyKind,
        /// Zero-based character offset of the bad digit.
        offset: usize,
    },
    /// Raw bytes have the wrong length.
    ByteLength {
        /// What was being parsed.
        kind: KeyKind,
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// The public key is not a valid Ed25519 point, or is of small order (weak).
    InvalidPublicKey,
    /// The trusted key set is empty, so nothing can verify.
    NoTrustedKeys,
    /// No trusted key verifies the signature over the message.
    BadSignature,
    /// The key is one of the committed test keys, refused under [`crate::KeyPolicy::Release`].
    TestKeyRefused {
        /// The public key (hex) of the refused key.
        public_key: crate::PublicKey,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::HexLength {
                kind,
                expected,
                found,
            } => write!(
                f,
                "{kind}: expected {expected} hex characters, found {found}"
            ),
            Error::HexDigit { kind, offset } => {
                write!(f, "{kind}: character {offset} is not a hex digit")
            }
            Error::ByteLength {
                kind,
                expected,
                found,
            } => write!(f, "{kind}: expected {expected} bytes, found {found}"),
            Error::InvalidPublicKey => {
                f.write_str("public key: not a valid Ed25519 point, or of small order")
            }
            Error::NoTrustedKeys => f.write_str("the trusted key set is empty"),
            Error::BadSignature => {
                f.write_str("signature: not made by any trusted key over these bytes")
            }
            Error::TestKeyRefused { public_key } => write!(
                f,
                "public key {public_key} is a committed test key, refused for release builds"
            ),
        }
    }
}

impl core::error::Error for Error {}
