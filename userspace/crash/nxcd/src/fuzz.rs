//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/format/corpus.rs`) both call these functions, so the fuzzer and `cargo test`
//! run the same code. Not a stable API.

use crate::{Container, Dump, Limits, SectionName};

/// The `nxcd_reader` target: checks `data` as a container and decodes it as a dump, then
/// calls every accessor of what it parsed (the section table, each known section, every
/// frame, the pc-to-module mapping, the registers, the cause name). Each returns `Ok` or
/// a typed error; none may panic.
///
/// # Panics
///
/// When [`Dump::decode`] disagrees with decoding the checked container, or a decoded
/// dump does not re-encode to bytes that decode to the same dump: the finding the fuzzer
/// reports.
pub fn nxcd_reader(data: &[u8]) {
    let decoded = Dump::decode(data);
    let Ok(container) = Container::parse(data, &Limits::DEFAULT) else {
        assert!(decoded.is_err(), "a dump decodes from a rejected container");
        return;
    };
    let _ = container.minor_version();
    for e in container.entries() {
        let _ = (e.name.len(), e.known, e.offset, e.len, e.crc32);
    }
    for s in SectionName::ALL {
        let _ = (container.section(s), s.as_str(), s.is_required());
    }
    let dump = Dump::from_container(&container);
    assert_eq!(
        dump, decoded,
        "Dump::decode differs from the container path"
    );
    let Ok(dump) = dump else {
        return;
    };
    let _ = dump.header.cause_name();
    for (i, f) in dump.frames.iter().enumerate() {
        let _ = (f.is_return_address(i), f.is_symbolized(), f.locations());
        let _ = dump.link_address(f.pc);
    }
    if let Some(regs) = &dump.regs {
        let _ = (regs.to_array(), regs.get("pc"), regs.named().count());
    }
    // A decoded dump re-encodes, and the result decodes to the same dump.
    if let Ok(bytes) = dump.encode() {
        assert_eq!(
            Dump::decode(&bytes).ok().as_ref(),
            Some(&dump),
            "a re-encoded dump decodes differently"
        );
    }
}
