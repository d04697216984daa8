//! Trusted key sets: verifiers accept a signature made by any key of the set, and a
//! release policy refuses the committed test keys.

use alloc::vec::Vec;

use crate::{is_test_key, Error, PublicKey, Signature};

/// Which keys a trusted set, or a signer, may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPolicy {
    /// Development and test builds: every valid key, the committed test keys included.
    Development,
    /// Release builds: any key whose public key is a committed test key is refused.
    Release,
}

impl KeyPolicy {
    /// Checks `key` against the policy.
    pub fn check(self, key: &PublicKey) -> Result<(), Error> {
        match self {
            KeyPolicy::Release if is_test_key(key) => {
                Err(Error::TestKeyRefused { public_key: *key })
            }
            _ => Ok(()),
        }
    }
}

/// A non-empty set of trusted public keys, sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<PublicKey>,
}

impl TrustedKeys {
    /// Builds a set from `keys` (any order, duplicates merged), refusing any key the
    /// policy forbids and an empty set.
    pub fn new(
        keys: impl IntoIterator<Item = PublicKey>,
        policy: KeyPolicy,
    ) -> Result<Self, Error> {
        let mut keys: Vec<PublicKey> = keys.into_iter().collect();
        for key in &keys {
            policy.check(key)?;
        }
        keys.sort_unstable();
        keys.dedup();
        if keys.is_empty() {
            return Err(Error::NoTrustedKeys);
        }
        Ok(TrustedKeys { keys })
    }

    /// The keys, sorted by their bytes.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.keys.binary_search(key).is_ok()
    }

    /// Verifies `signature` over `message` and returns the trusted key that made it, or
    /// [`Error::BadSignature`] when none of them did.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<PublicKey, Error> {
        self.keys
            .iter()
            .find(|key| key.verify(message, signature).is_ok())
            .copied()
            .ok_or(Error::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{test_public_keys, SecretKey};

    #[test]
    fn accepts_a_signature_from_any_trusted_key() {
        let a = SecretKey::from_seed([1; 32]);
        let b = SecretKey::from_seed([2; 32]);
        let set = TrustedKeys::new([a.public_key(), b.public_key()], KeyPolicy::Release).unwrap();
        assert_eq!(set.verify(b"m", &b.sign(b"m")), Ok(b.public_key()));
        assert_eq!(set.verify(b"m", &a.sign(b"m")), Ok(a.public_key()));
    }

    #[test]
    fn rejects_a_signature_from_an_untrusted_key() {
        let a = SecretKey::from_seed([1; 32]);
        let other = SecretKey::from_seed([3; 32]);
        let set = TrustedKeys::new([a.public_key()], KeyPolicy::Release).unwrap();
        assert_eq!(
            set.verify(b"m", &other.sign(b"m")),
            Err(Error::BadSignature)
        );
    }

    #[test]
    fn release_policy_refuses_test_keys() {
        for key in test_public_keys() {
            assert_eq!(
                TrustedKeys::new([key], KeyPolicy::Release),
                Err(Error::TestKeyRefused { public_key: key })
            );
            assert!(TrustedKeys::new([key], KeyPolicy::Development).is_ok());
        }
    }

    #[test]
    fn refuses_an_empty_set_and_merges_duplicates() {
        assert_eq!(
            TrustedKeys::new([], KeyPolicy::Development),
            Err(Error::NoTrustedKeys)
        );
        let a = SecretKey::from_seed([1; 32]).public_key();
        let set = TrustedKeys::new([a, a], KeyPolicy::Development).unwrap();
        assert_eq!(set.keys(), &[a]);
    }
}
