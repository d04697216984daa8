//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz targets (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/corpus.rs`) both call these functions, so the fuzzer and `cargo test` run the
//! same code. Not a stable API.

use alloc::string::ToString as _;

use crate::gpt::{guid_to_string, parse_primary};
use crate::state::StateHeader;
use crate::Manifest;

/// The `gpt_reader` target: parses `data` as the head of an image (protective MBR and
/// primary GPT) and calls every accessor of what it parsed; also decodes `data` as a
/// state partition header, the other fixed-layout header the OS reads from the disk.
///
/// # Panics
///
/// When an accepted GPT lists an unused entry, or a decoded state header does not encode
/// to bytes that decode to the same header: the finding the fuzzer reports.
pub fn gpt_reader(data: &[u8]) {
    if let Ok(gpt) = parse_primary(data) {
        let _ = (guid_to_string(&gpt.disk_guid), gpt.backup_lba);
        for p in &gpt.partitions {
            assert!(p.type_guid != [0; 16], "an unused entry is listed");
            let _ = (guid_to_string(&p.type_guid), guid_to_string(&p.guid));
            let _ = (p.first_lba, p.last_lba, p.name.len());
        }
    }
    if let Ok(header) = StateHeader::decode(data) {
        let again = StateHeader::decode(&header.encode());
        assert_eq!(
            again,
            Ok(header),
            "a re-encoded state header decodes differently"
        );
    }
}

/// The `manifest_parser` target: parses `data` as an image manifest and calls every
/// accessor of what it parsed (each range by name, the present segments, the profile's
/// name and key policy, every digest's text form).
///
/// # Panics
///
/// When an accepted manifest fails its own validation, is not its own canonical
/// encoding, or misses one of its ranges by name: the finding the fuzzer reports.
pub fn manifest_parser(data: &[u8]) {
    let Ok(m) = Manifest::parse(data) else {
        return;
    };
    assert_eq!(
        m.validate(),
        Ok(()),
        "an accepted manifest fails validation"
    );
    assert!(m.encode() == data, "an accepted manifest is not canonical");
    let _ = (
        m.profile.as_str(),
        m.profile.key_policy(),
        m.image.sha256.to_string(),
    );
    for r in &m.ranges {
        assert_eq!(
            m.range(&r.name),
            Some(r),
            "range {} not found by name",
            r.name
        );
        let _ = r.sha256.to_string();
    }
    let _ = m.present_segments().count();
}
