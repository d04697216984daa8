//! The committed test keys (`keys/test/*.pub`), compiled in so that release policies can
//! refuse them. Their private halves are public knowledge: anything they sign proves
//! nothing outside tests and development images.

use crate::PublicKey;

/// The public key files of every key under `keys/test/`, compiled in. A test proves each
/// parses, so none can drop out of [`test_public_keys`] unnoticed.
const TEST_KEY_FILES: [&str; 2] = [
    include_str!("../../../keys/test/ed25519.pub"),
    include_str!("../../../keys/test/ed25519-alt.pub"),
];

/// The public keys of the committed test keys, in file name order
/// (`ed25519.pub`, `ed25519-alt.pub`).
pub fn test_public_keys() -> impl Iterator<Item = PublicKey> {
    TEST_KEY_FILES
        .into_iter()
        .filter_map(|text| PublicKey::from_hex(text.as_bytes()).ok())
}

/// Whether `key` is one of the committed test keys.
pub fn is_test_key(key: &PublicKey) -> bool {
    test_public_keys().any(|k| k == *key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_test_key_is_a_valid_point() {
        assert_eq!(test_public_keys().count(), TEST_KEY_FILES.len());
    }

    #[test]
    fn committed_private_keys_match_their_public_keys() {
        for (secret, public) in [
            (
                include_str!("../../../keys/test/ed25519.hex"),
                include_str!("../../../keys/test/ed25519.pub"),
            ),
            (
                include_str!("../../../keys/test/ed25519-alt.hex"),
                include_str!("../../../keys/test/ed25519-alt.pub"),
            ),
        ] {
            let key = crate::SecretKey::from_hex(secret.as_bytes()).unwrap();
            let expected = PublicKey::from_hex(public.as_bytes()).unwrap();
            assert_eq!(key.public_key(), expected);
            assert!(is_test_key(&expected));
        }
    }
}
