//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/robustness.rs`) both call these functions, so the fuzzer and `cargo test` run
//! the same code. Not a stable API.

use crate::verify::{verify_system_set, SystemSetVerifier, VerifyPolicy};
use crate::{bootrecord, nxb, BundleManifest, SystemSetIndex};

/// The `updates_readers` target: every reader of this crate over `data` (system-set
/// verifier, bundle reader, index and manifest decoders, BootCtrl record), each of which
/// must return `Ok` or a typed error. The system-set verifier trusts the committed test
/// keys, so seeds built from valid test sets reach the bundle checks.
///
/// # Panics
///
/// When verifying `data` whole and in small chunks gives different results, or a decoded
/// index, bundle manifest or BootCtrl copy does not re-encode to bytes that decode to the
/// same value: the finding the fuzzer reports.
pub fn updates_readers(data: &[u8]) {
    if let Ok(index) = SystemSetIndex::decode(data) {
        let again = index.encode().and_then(|b| SystemSetIndex::decode(&b));
        assert_eq!(
            again.as_ref(),
            Ok(&index),
            "a re-encoded index decodes differently"
        );
        let _ = SystemSetIndex::digest_of(data);
    }
    if let Ok(manifest) = BundleManifest::decode(data) {
        let again = manifest.encode().and_then(|b| BundleManifest::decode(&b));
        assert_eq!(
            again.as_ref(),
            Ok(&manifest),
            "a re-encoded manifest decodes differently"
        );
        let _ = manifest.signing_bytes();
    }
    if let Ok(loaded) = bootrecord::load(data) {
        let _ = (
            loaded.copy,
            bootrecord::next_write(Some(&loaded), &loaded.state),
        );
    }
    if let Ok((state, seq)) = bootrecord::decode_copy(data) {
        let again = bootrecord::decode_copy(&bootrecord::encode_copy(&state, seq));
        assert_eq!(
            again,
            Ok((state, seq)),
            "a re-encoded BootCtrl copy decodes differently"
        );
    }
    let _ = crate::verify::peek_index(data);
    let _ = nxb::read_bundle(data, None);
    let trusted =
        signing::TrustedKeys::new(signing::test_public_keys(), signing::KeyPolicy::Development);
    let Ok(trusted) = trusted else {
        panic!("the committed test keys do not form a trusted set");
    };
    let _ = nxb::read_bundle(data, Some(&trusted));
    let policy = VerifyPolicy::inspection(trusted);
    let _ = verify_system_set(data, policy.clone());
    // The same input in small chunks must give the same result.
    let mut v = SystemSetVerifier::new(policy.clone());
    let mut chunked = Ok(());
    for chunk in data.chunks(37) {
        chunked = v.push(chunk);
        let _ = v.index();
        if chunked.is_err() {
            break;
        }
    }
    let chunked = chunked.and_then(|()| v.finish());
    let whole = verify_system_set(data, policy);
    assert_eq!(chunked, whole, "chunked and whole verification differ");
}
