//! Key files and trust: an existing key is never overwritten without `force`, release
//! policies refuse the committed test keys, and the committed keys are what they claim.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use signing::keyfile::{self, KeyFileError};
use signing::{KeyPolicy, TrustedKeys};
use updates_host::*;

#[test]
fn key_file_overwrite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = keyfile::generate_secret_key().unwrap();
    let files = keyfile::write_keypair(dir.path(), &first, false).unwrap();
    let before = fs::read(&files.private).unwrap();
    let second = keyfile::generate_secret_key().unwrap();
    let e = keyfile::write_keypair(dir.path(), &second, false).unwrap_err();
    assert!(matches!(e, KeyFileError::Exists { .. }), "{e}");
    assert_eq!(
        fs::read(&files.private).unwrap(),
        before,
        "the key is untouched"
    );
    // Only the public file existing is enough to refuse too.
    fs::remove_file(&files.private).unwrap();
    let e = keyfile::write_keypair(dir.path(), &second, false).unwrap_err();
    assert!(
        matches!(e, KeyFileError::Exists { ref path } if *path == files.public),
        "{e}"
    );
    assert!(!files.private.exists(), "nothing written when refusing");
    keyfile::write_keypair(dir.path(), &second, true).unwrap();
    assert_eq!(
        keyfile::read_secret_key(&files.private)
            .unwrap()
            .public_key(),
        second.public_key()
    );
}

#[test]
fn release_policy_refuses_the_committed_test_keys() {
    for key in [test_key().unwrap(), alt_key().unwrap()] {
        assert!(signing::is_test_key(&key.public_key()));
        assert!(KeyPolicy::Release.check(&key.public_key()).is_err());
        assert!(TrustedKeys::new([key.public_key()], KeyPolicy::Release).is_err());
    }
    let fresh = keyfile::generate_secret_key().unwrap();
    assert!(TrustedKeys::new([fresh.public_key()], KeyPolicy::Release).is_ok());
}

#[test]
fn committed_public_key_files_match_the_private_keys() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../keys/test");
    for (private, public) in [
        ("ed25519.hex", "ed25519.pub"),
        ("ed25519-alt.hex", "ed25519-alt.pub"),
    ] {
        let sk = keyfile::read_secret_key(&root.join(private)).unwrap();
        let pk = keyfile::read_public_key(&root.join(public)).unwrap();
        assert_eq!(sk.public_key(), pk, "{private}");
    }
}
