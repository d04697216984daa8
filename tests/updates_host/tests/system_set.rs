//! Verification of `.nxs` system-sets, one rule per test: what a device accepts and
//! every way a system-set is refused, each with its own error naming the entry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use updates::pack::{pack_system_set, PackPlan};
use updates::{verify_system_set, Error, SystemSetIndex, VerifyPolicy};
use updates_host::ustar::{self, Entry};
use updates_host::*;

fn err(archive: &[u8], policy: VerifyPolicy) -> Error {
    match verify_system_set(archive, policy) {
        Ok(v) => panic!("accepted: {:?}", v.index),
        Err(e) => e,
    }
}

fn policy() -> VerifyPolicy {
    device_policy(&[&test_key().unwrap()], "1.0.0").unwrap()
}

/// The standard set taken apart into its members (index, signature, bundles).
fn members() -> Vec<Entry> {
    ustar::entries(&small_set(&test_key().unwrap()).unwrap())
}

#[test]
fn accepts_a_well_formed_signed_system_set() {
    let key = test_key().unwrap();
    let set = small_set(&key).unwrap();
    let v = verify_system_set(&set, policy()).unwrap();
    assert_eq!(v.signer, key.public_key());
    assert_eq!(v.index.bundles.len(), 2);
    assert_eq!(v.index.bundles[0].name.as_str(), "hello");
    assert_eq!(v.archive_len, set.len() as u64);
    let index_bytes = &members()[0].data;
    assert_eq!(v.digest, SystemSetIndex::digest_of(index_bytes));
}

#[test]
fn independent_synthesizer_reproduces_the_canonical_bytes() {
    // The writer and the independent synthesizer agree byte for byte.
    let set = small_set(&test_key().unwrap()).unwrap();
    assert_eq!(ustar::archive(&members()), set);
}

#[test]
fn test_reject_unsigned_system_set() {
    let mut m = members();
    m.remove(1);
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::MissingSignature {
            found: "hello.nxb".into()
        }
    );
    // Index alone.
    let e = err(&ustar::archive(&m[..1]), policy());
    assert!(matches!(e, Error::MissingSignature { .. }), "{e}");
}

#[test]
fn test_reject_invalid_signature() {
    let mut m = members();
    m[1].data[10] ^= 0x01;
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::Signature {
            entry: "system.sig.ed25519",
            source: signing::Error::BadSignature
        }
    );
    // A signature of the wrong length is named as such.
    let mut m = members();
    m[1].data.pop();
    let e = err(&ustar::archive(&m), policy());
    assert!(
        matches!(
            e,
            Error::Signature {
                source: signing::Error::ByteLength { found: 63, .. },
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn test_reject_mismatched_digest() {
    let mut m = members();
    let last = m[2].data.len() - 1100;
    m[2].data[last] ^= 0x80; // inside hello's payload; size unchanged
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::DigestMismatch {
            entry: "hello.nxb".into()
        }
    );
}

#[test]
fn test_reject_oversized_archive() {
    let set = small_set(&test_key().unwrap()).unwrap();
    let limit = set.len() as u64 - 1;
    let e = err(&set, policy().with_max_archive_size(limit));
    assert_eq!(
        e,
        Error::ArchiveTooLarge {
            size: set.len() as u64,
            limit
        }
    );
    // Streaming: refused as soon as the bound is crossed, whatever the chunking.
    let mut v = updates::SystemSetVerifier::new(policy().with_max_archive_size(limit));
    let mut result = Ok(());
    for chunk in set.chunks(100) {
        result = v.push(chunk);
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(Error::ArchiveTooLarge { .. })));
}

#[test]
fn oversized_file_is_refused_before_reading() {
    // A sparse 101 MiB file: refused from its size alone (default bound 100 MiB).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.nxs");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(updates::DEFAULT_MAX_ARCHIVE_SIZE + 1).unwrap();
    let e = updates::fs::verify_file(&path, policy()).unwrap_err();
    assert!(
        matches!(e, updates::fs::FileError::TooLarge { size, .. } if size == updates::DEFAULT_MAX_ARCHIVE_SIZE + 1),
        "{e}"
    );
}

#[test]
fn rejects_a_set_signed_by_an_untrusted_key() {
    let set = small_set(&alt_key().unwrap()).unwrap();
    let e = err(&set, policy());
    assert_eq!(
        e,
        Error::Signature {
            entry: "system.sig.ed25519",
            source: signing::Error::BadSignature
        }
    );
}

#[test]
fn accepts_a_set_signed_by_a_second_trusted_key() {
    let main = test_key().unwrap();
    let alt = alt_key().unwrap();
    let set = small_set(&alt).unwrap();
    let v = verify_system_set(&set, device_policy(&[&main, &alt], "1.0.0").unwrap()).unwrap();
    assert_eq!(v.signer, alt.public_key());
}

#[test]
fn rejects_a_duplicate_entry() {
    let mut m = members();
    let dup = m[2].clone();
    m.insert(3, dup);
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::DuplicateEntry {
            entry: "hello.nxb".into()
        }
    );
}

#[test]
fn rejects_an_unlisted_entry() {
    let mut m = members();
    m.push(Entry::file("extra.nxb", b"not listed", TIMESTAMP));
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::UnlistedEntry {
            entry: "extra.nxb".into()
        }
    );
    // An unlisted name in the middle is refused at once as well.
    let mut m = members();
    m.insert(2, Entry::file("README", b"hi", TIMESTAMP));
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::UnlistedEntry {
            entry: "README".into()
        }
    );
}

#[test]
fn rejects_a_missing_bundle() {
    let mut m = members();
    m.pop();
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::MissingBundle {
            bundle: "samgrd".into()
        }
    );
    let mut m = members();
    m.remove(2);
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::OutOfOrder {
            entry: "samgrd.nxb".into(),
            expected: "hello".into()
        }
    );
}

#[test]
fn a_present_bundle_out_of_order_is_not_called_missing() {
    let mut m = members();
    m.swap(2, 3);
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::OutOfOrder {
            entry: "samgrd.nxb".into(),
            expected: "hello".into()
        }
    );
    let text = e.to_string();
    assert!(!text.contains("not in the archive"), "{text}");
    assert!(text.contains("index's order"), "{text}");
}

#[test]
fn rejects_a_listed_bundle_of_another_size() {
    let mut m = members();
    m[3].data.push(0);
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::SizeMismatch {
            entry: "samgrd.nxb".into(),
            listed: 3072,
            found: 3073
        }
    );
}

#[test]
fn rejects_tar_path_traversal() {
    for name in [
        "../hello.nxb",
        "/etc/hello.nxb",
        "sub/hello.nxb",
        ".hello.nxb",
    ] {
        let mut m = members();
        m[2].name = name.to_string();
        let e = err(&ustar::archive(&m), policy());
        assert_eq!(e, Error::PathTraversal { entry: name.into() }, "{name}");
    }
}

#[test]
fn rejects_a_symlink_entry() {
    let mut m = members();
    let mut link = Entry::file("hello.nxb", b"", TIMESTAMP);
    link.typeflag = b'2';
    link.linkname = "/etc/passwd".into();
    m[2] = link;
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::LinkEntry {
            entry: "hello.nxb".into()
        }
    );
}

#[test]
fn rejects_hard_link_device_and_directory_entries() {
    for (flag, expected) in [
        (b'1', "link"),
        (b'3', "device"),
        (b'4', "device"),
        (b'6', "device"),
        (b'5', "type"),
    ] {
        let mut m = members();
        m[2].typeflag = flag;
        m[2].data.clear();
        let e = err(&ustar::archive(&m), policy());
        let ok = match expected {
            "link" => matches!(e, Error::LinkEntry { .. }),
            "device" => matches!(e, Error::DeviceEntry { .. }),
            _ => matches!(e, Error::UnsupportedEntryType { typeflag: b'5', .. }),
        };
        assert!(ok, "type {}: {e}", char::from(flag));
    }
}

#[test]
fn rejects_a_truncated_archive_at_every_length() {
    let set = small_set(&test_key().unwrap()).unwrap();
    for len in 0..set.len() {
        let e = err(&set[..len], policy());
        assert!(matches!(e, Error::Truncated { .. }), "length {len}: {e}");
    }
}

#[test]
fn rejects_trailing_bytes() {
    let mut set = small_set(&test_key().unwrap()).unwrap();
    set.extend_from_slice(&[0u8; 512]);
    let e = err(&set, policy());
    assert!(matches!(e, Error::TrailingData { .. }), "{e}");
}

#[test]
fn rejects_a_set_for_another_board() {
    let key = test_key().unwrap();
    let set = small_set_with(&key, &meta_for("1.0.0", "other-board").unwrap()).unwrap();
    assert_eq!(
        err(&set, policy()),
        Error::WrongBoard {
            expected: BOARD.into(),
            found: "other-board".into()
        }
    );
}

#[test]
fn refuses_a_downgrade() {
    let key = test_key().unwrap();
    let set = small_set_with(&key, &meta("0.9.0").unwrap()).unwrap();
    assert_eq!(
        err(&set, policy()),
        Error::Downgrade {
            running: "1.0.0".into(),
            candidate: "0.9.0".into()
        }
    );
    // A pre-release of the running version is older too (semver precedence).
    let set = small_set_with(&key, &meta("1.0.0-rc.1").unwrap()).unwrap();
    assert!(matches!(err(&set, policy()), Error::Downgrade { .. }));
}

#[test]
fn accepts_a_downgrade_only_when_explicitly_allowed() {
    let key = test_key().unwrap();
    let set = small_set_with(&key, &meta("0.9.0").unwrap()).unwrap();
    let v = verify_system_set(&set, policy().allow_downgrade(true)).unwrap();
    assert_eq!(v.index.system_version.to_string(), "0.9.0");
    // The same version and newer ones need no permission.
    for version in ["1.0.0", "1.0.1", "2.0.0-rc.1"] {
        let set = small_set_with(&key, &meta(version).unwrap()).unwrap();
        verify_system_set(&set, policy()).unwrap();
    }
}

#[test]
fn rejects_an_index_whose_publisher_is_not_the_signer() {
    // Index names the alt key as publisher but is signed with the main key.
    let main = test_key().unwrap();
    let alt = alt_key().unwrap();
    let bundles = small_bundles(&main).unwrap();
    let entries = bundles
        .iter()
        .map(|b| updates::pack::bundle_entry(b).unwrap())
        .collect();
    let plan = PackPlan::new(&meta("1.0.0").unwrap(), entries, &alt).unwrap();
    let sig = main.sign(&plan.index_bytes);
    let mut m = members();
    m[0].data = plan.index_bytes.clone();
    m[1].data = sig.as_bytes().to_vec();
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::PublisherMismatch {
            document: updates::Document::Index
        }
    );
}

#[test]
fn rejects_members_with_non_canonical_metadata() {
    // Each change keeps the header checksum valid; only canonical headers pass.
    type Change = fn(&mut Entry);
    let cases: [(&str, Change); 3] = [
        ("mode", |e| e.mode = 0o755),
        ("mtime", |e| e.mtime += 1),
        ("linkname", |e| e.linkname = "x".into()),
    ];
    for (field, change) in cases {
        let mut m = members();
        change(&mut m[3]);
        let e = err(&ustar::archive(&m), policy());
        assert_eq!(
            e,
            Error::NonCanonicalHeader {
                entry: "samgrd.nxb".into(),
                field
            },
            "{field}"
        );
    }
}

#[test]
fn rejects_an_index_mtime_other_than_its_timestamp() {
    let mut m = members();
    for e in &mut m {
        e.mtime = TIMESTAMP + 5;
    }
    let e = err(&ustar::archive(&m), policy());
    assert_eq!(
        e,
        Error::NonCanonicalHeader {
            entry: "system.nxsindex".into(),
            field: "mtime"
        }
    );
}

#[test]
fn packing_ignores_input_order() {
    let key = test_key().unwrap();
    let mut bundles = small_bundles(&key).unwrap();
    let a: Vec<&[u8]> = bundles.iter().map(Vec::as_slice).collect();
    let first = pack_system_set(&meta("1.0.0").unwrap(), &a, &key).unwrap();
    bundles.reverse();
    let b: Vec<&[u8]> = bundles.iter().map(Vec::as_slice).collect();
    let second = pack_system_set(&meta("1.0.0").unwrap(), &b, &key).unwrap();
    assert_eq!(first, second);
}

#[test]
fn every_error_names_what_is_at_fault() {
    let shown = Error::DigestMismatch {
        entry: "hello.nxb".into(),
    }
    .to_string();
    assert!(shown.contains("hello.nxb"), "{shown}");
}
