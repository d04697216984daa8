//! Every bit of a small signed system-set matters: flipping any single bit makes
//! verification fail. Covers all regions (headers, index, signature, bundle data,
//! padding, end blocks) since every bit is flipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::thread;

use updates::verify_system_set;
use updates_host::*;

/// A small set: two bundles with short payloads (about 10 KiB in all).
fn tiny_set() -> Vec<u8> {
    let key = test_key().unwrap();
    let bundles = [
        bundle(&key, "a", "1.0.0", &payload(7, 40)).unwrap(),
        bundle(&key, "b", "1.0.0", &payload(8, 600)).unwrap(),
    ];
    let refs: Vec<&[u8]> = bundles.iter().map(Vec::as_slice).collect();
    updates::pack::pack_system_set(&meta("1.0.0").unwrap(), &refs, &key).unwrap()
}

#[test]
fn flipping_any_bit_fails_verification() {
    let set = tiny_set();
    let policy = device_policy(&[&test_key().unwrap()], "1.0.0").unwrap();
    verify_system_set(&set, policy.clone()).unwrap();
    let bits = set.len() * 8;
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let accepted: Vec<usize> = thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let set = &set;
                let policy = policy.clone();
                s.spawn(move || {
                    let mut copy = set.clone();
                    let mut accepted = Vec::new();
                    for bit in (w..bits).step_by(workers) {
                        copy[bit / 8] ^= 1 << (bit % 8);
                        if verify_system_set(&copy, policy.clone()).is_ok() {
                            accepted.push(bit);
                        }
                        copy[bit / 8] ^= 1 << (bit % 8);
                    }
                    accepted
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        accepted.is_empty(),
        "accepted after flipping bits {accepted:?}"
    );
    eprintln!("flipped {bits} bits of a {}-byte system-set", set.len());
}
