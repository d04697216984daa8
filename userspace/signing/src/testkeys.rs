//! The committed test keys (`keys/test/*.pub`), compiled in so that release policies can
//! refuse them. Their private halves are public knowledge: anything they sign proves
//! nothing outside tests and development images.

use crate::hex::decode_const_32;
use crate::PublicKey;

/// Public halves of every key under `keys/test/`, decoded at compile time.
const TEST_KEYS: [[u8; 32]; 2] = [
    decode_const_32(include_str!("../../../keys/test/ed25519.pub")),
    decode_const_32(include_str!("../../../keys/test/ed25519-alt.pub")),
];

/// The public keys of the committed test keys, in file name order
/// (`ed25519.pub`, `ed25519-alt.pub`).
pub fn test_public_keys() -> impl Iterator<Item = PublicKey> {
    TEST_KEYS
        .into_iter()
        .filter_map(|k| PublicKey::from_bytes(k).ok())
}

/// Whether `key` is one of the committed test keys.
pub fn is_test_key(key: &PublicKey) -> bool {
    TEST_KEYS.iter().any(|k| k == key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_test_key_is_a_valid_point() {
        assert_eq!(test_public_keys().count(), TEST_KEYS.len());
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
