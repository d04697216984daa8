//! Readers never panic: property tests over random bytes and over mutations (bit flips,
//! truncations, splices) of valid system-sets and bundles, and the replay of the fuzz
//! seed corpus (`fuzz/corpus/updates_readers`, regenerated with `NX_BLESS=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use signing::SecretKey;
use updates::pack::{pack_system_set, SystemSetMeta};
use updates::{nxb, BoardName, BundleManifest, BundleName, Version};

fn key() -> SecretKey {
    SecretKey::from_hex(include_str!("../../../keys/test/ed25519.hex").as_bytes()).unwrap()
}

fn bundle(name: &str, payload: &[u8]) -> Vec<u8> {
    let key = key();
    let mut m = BundleManifest {
        name: BundleName::new(name).unwrap(),
        version: Version::new(1, 0, 0),
        abilities: vec![],
        caps: vec!["log.write".into()],
        min_sdk: Version::new(0, 1, 0),
        publisher: key.public_key(),
        signature: None,
        payload_digest: Sha256::digest(payload).into(),
        payload_size: payload.len() as u64,
    };
    m.sign(&key).unwrap();
    nxb::build_bundle(&m, payload).unwrap()
}

fn valid_set() -> Vec<u8> {
    let a = bundle("a", b"first payload");
    let b = bundle("b", &[7u8; 700]);
    let meta = SystemSetMeta {
        system_version: Version::new(1, 0, 0),
        board: BoardName::new("qemu-virt").unwrap(),
        timestamp: 0,
    };
    pack_system_set(&meta, &[&a, &b], &key()).unwrap()
}

fn trusted() -> signing::TrustedKeys {
    signing::TrustedKeys::new([key().public_key()], signing::KeyPolicy::Development).unwrap()
}

/// Verifies `set` whole and in 37-byte chunks, asserting both succeed and agree.
fn assert_set_verifies(set: &[u8]) {
    let policy = updates::VerifyPolicy::inspection(trusted());
    let whole = updates::verify_system_set(set, policy.clone());
    assert!(whole.is_ok(), "whole system-set rejected: {whole:?}");
    let mut v = updates::SystemSetVerifier::new(policy);
    for chunk in set.chunks(37) {
        v.push(chunk).expect("chunked system-set rejected");
    }
    let chunked = v.finish();
    assert!(chunked.is_ok(), "chunked system-set rejected: {chunked:?}");
    assert_eq!(whole, chunked);
}

/// Reads `bundle` whole and in 37-byte chunks with the trusted key, asserting both succeed
/// and agree.
fn assert_bundle_reads(bundle: &[u8]) {
    let trusted = trusted();
    let whole = nxb::read_bundle(bundle, Some(&trusted));
    assert!(whole.is_ok(), "whole bundle rejected: {whole:?}");
    let mut r = nxb::BundleReader::new(Some(&trusted));
    for chunk in bundle.chunks(37) {
        r.push(chunk).expect("chunked bundle rejected");
    }
    let chunked = r.finish();
    assert!(chunked.is_ok(), "chunked bundle rejected: {chunked:?}");
    assert_eq!(whole, chunked);
}

#[test]
fn valid_seeds_verify_whole_and_chunked() {
    let set = valid_set();
    assert_set_verifies(&set);
    updates::fuzz::updates_readers(&set);
    let b = bundle("a", b"x");
    assert_bundle_reads(&b);
    updates::fuzz::updates_readers(&b);
}

/// The fuzz target's seeds: a system-set, a bundle, and rejected bytes near them.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let set = valid_set();
    vec![
        ("valid-set.nxs", set.clone()),
        ("truncated-set.nxs", set[..set.len() / 2].to_vec()),
        ("valid-bundle.nxb", bundle("a", b"payload")),
        ("index.capnp", set[512..512 + 256].to_vec()),
        (
            "bootctl-copy.bin",
            updates::bootrecord::encode_copy(&updates::BootState::factory(), 1).to_vec(),
        ),
    ]
}

/// Every file goes through the fuzz target's body; a `valid-*` file must verify (a
/// `.nxs`) or read (a `.nxb`) whole and chunked, any other file as neither.
#[test]
fn replays_the_fuzz_seed_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/updates_readers");
    test_harness::replay_corpus(&dir, &seeds(), |name, data| {
        println!("replaying {name}");
        updates::fuzz::updates_readers(data);
        if name.starts_with("valid-") {
            match Path::new(name).extension().and_then(|e| e.to_str()) {
                Some("nxs") => assert_set_verifies(data),
                Some("nxb") => assert_bundle_reads(data),
                _ => panic!("{name}: a valid seed must be a .nxs or a .nxb"),
            }
        } else {
            let policy = updates::VerifyPolicy::inspection(trusted());
            assert!(
                updates::verify_system_set(data, policy).is_err(),
                "{name} verifies as a system-set"
            );
            assert!(
                nxb::read_bundle(data, Some(&trusted())).is_err(),
                "{name} reads as a bundle"
            );
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        updates::fuzz::updates_readers(&data);
    }

    #[test]
    fn mutated_sets_never_panic_and_never_verify(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut set = valid_set();
        for (at, bit) in &flips {
            let i = at.index(set.len());
            set[i] ^= 1 << bit;
        }
        if truncate {
            set.truncate(cut.index(set.len()));
        }
        updates::fuzz::updates_readers(&set);
        let policy = updates::VerifyPolicy::inspection(trusted());
        // An odd number of flips of one bit cannot cancel out; any truncation is fatal.
        let mut per_bit = std::collections::BTreeMap::new();
        for (at, bit) in &flips {
            *per_bit.entry((at.index(valid_set().len()), *bit)).or_insert(0u32) += 1;
        }
        let changed = truncate || per_bit.values().any(|n| n % 2 == 1);
        if changed {
            prop_assert!(updates::verify_system_set(&set, policy).is_err());
        }
    }

    #[test]
    fn spliced_bundles_never_panic(
        at in any::<prop::sample::Index>(),
        junk in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut b = bundle("a", &[1u8; 900]);
        let i = at.index(b.len());
        b.splice(i..i, junk);
        updates::fuzz::updates_readers(&b);
    }
}
