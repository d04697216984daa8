//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/corpus.rs`) both call these functions, so the fuzzer and `cargo test` run the
//! same code. Not a stable API.

use crate::manifest::Manifest;
use crate::{is_valid_name, Archive};

/// The name of the boot manifest entry.
const BOOT_MANIFEST: &str = "boot.manifest";

/// The `initrd_archive` target: checks `data` as an archive and calls every accessor of
/// what it parsed (each entry by index and by name), then parses the archive's boot
/// manifest (or, when `data` is no archive, `data` itself as one) and looks up each of
/// its programs by name and by id.
///
/// # Panics
///
/// When an accepted archive has an entry that cannot be read, a malformed name, data
/// outside the archive, or an entry not found under its own name; or when a manifest's
/// program is not found under its own name and id: the finding the fuzzer reports.
pub fn initrd_archive(data: &[u8]) {
    let manifest = match Archive::parse(data) {
        Ok(archive) => {
            let _ = archive.is_empty();
            for i in 0..archive.len() {
                let Some((name, bytes)) = archive.entry(i) else {
                    panic!("entry {i} of an accepted archive cannot be read");
                };
                assert!(is_valid_name(name.as_bytes()), "entry {i}: malformed name");
                let start = bytes.as_ptr() as usize - data.as_ptr() as usize;
                assert!(
                    start + bytes.len() <= data.len(),
                    "entry {i} outside the archive"
                );
                assert_eq!(
                    archive.find(name),
                    Some(bytes),
                    "entry {i} not found by name"
                );
            }
            assert!(archive.entry(archive.len()).is_none());
            archive.find(BOOT_MANIFEST)
        }
        Err(_) => Some(data),
    };
    let Some(Ok(manifest)) = manifest.map(Manifest::parse) else {
        return;
    };
    let _ = manifest.first();
    for p in manifest.programs() {
        assert_eq!(
            manifest.by_name(p.name),
            Some(p),
            "program not found by name"
        );
        assert_eq!(manifest.by_id(p.id), Some(p), "program not found by id");
        let _ = (
            p.spawn, p.boot, p.app, p.ondemand, p.runner, p.is_final, p.restart,
        );
    }
}
