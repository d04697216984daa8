//! Write → read roundtrips, determinism, and the byte layout against the synthesizer.

use nxcd::{Container, Dump, Error, Limits, SectionName};

use super::fixtures::{full_dump, minimal_dump, Synth, SynthSection};

#[test]
fn write_then_read_gives_identical_dump() {
    for dump in [full_dump(), minimal_dump()] {
        let bytes = dump.encode().unwrap();
        let back = Dump::decode(&bytes).unwrap();
        assert_eq!(back.header, dump.header);
        assert_eq!(back, dump);
    }
}

#[test]
fn writer_is_deterministic() {
    let a = full_dump().encode().unwrap();
    let b = full_dump().clone().encode().unwrap();
    assert_eq!(a, b);
    // Decoding and re-encoding reproduces the bytes exactly.
    assert_eq!(Dump::decode(&a).unwrap().encode().unwrap(), a);
}

#[test]
fn sections_are_written_in_canonical_order_and_bounded() {
    let bytes = full_dump().encode().unwrap();
    let container = Container::parse(&bytes, &Limits::DEFAULT).unwrap();
    let names: Vec<&str> = container
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "header.json",
            "frames.json",
            "maps.json",
            "logs.jsonl",
            "spans.jsonl",
            "regs.bin"
        ]
    );
    for entry in container.entries() {
        let section = entry.known.unwrap();
        assert!(entry.len <= Limits::DEFAULT.section(section));
    }
    assert_eq!(container.section(SectionName::Regs).unwrap().len(), 288);
}

#[test]
fn header_json_keys_are_sorted() {
    let bytes = full_dump().encode().unwrap();
    let container = Container::parse(&bytes, &Limits::DEFAULT).unwrap();
    let header = std::str::from_utf8(container.section(SectionName::Header).unwrap()).unwrap();
    assert_eq!(
        header,
        r#"{"arch":"riscv64","build_id":"9c1e4d2a00112233445566778899aabbccddeeff","created_ns":1766484000123456789,"dump_id":"20251223-demo-42","exit_code":-14,"format_version":2,"os_version":"0.3.0","pc":"0x40001234","pid":42,"process":"demo","scause":13,"stval":"0x10"}"#
    );
}

#[test]
fn layout_matches_the_independent_synthesizer() {
    let dump = Dump::decode(&Synth::valid().bytes()).unwrap();
    assert_eq!(dump.encode().unwrap(), Synth::valid().bytes());
}

#[test]
fn writer_enforces_bounds() {
    let mut dump = full_dump();
    dump.frames = vec![nxcd::Frame::at(1); 10];
    let small = Limits {
        frames: 64,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        dump.encode_with_limits(&small),
        Err(Error::OversizedSection { ref section, limit: 64, .. }) if section == "frames.json"
    ));
    let tiny_total = Limits {
        max_total: 256,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        full_dump().encode_with_limits(&tiny_total),
        Err(Error::FileTooLarge { limit: 256, .. })
    ));
}

#[test]
fn newer_minor_versions_may_add_sections() {
    let mut synth = Synth::valid().with(SynthSection::new("future.bin", b"xyz"));
    synth.minor = 1;
    let bytes = synth.bytes();
    let container = Container::parse(&bytes, &Limits::DEFAULT).unwrap();
    assert_eq!(container.minor_version(), 1);
    assert_eq!(container.entries()[3].known, None);
    Dump::from_container(&container).unwrap();
}

#[test]
fn sections_may_appear_in_any_table_order() {
    let mut synth = Synth::valid();
    synth.sections.reverse();
    Dump::decode(&synth.bytes()).unwrap();
}

#[test]
fn link_address_uses_maps() {
    let dump = full_dump();
    let link = dump.link_address(0x4000_1234).unwrap();
    assert_eq!(link.module.name, "demo");
    assert_eq!(link.link_addr, 0x1_1234);
    assert_eq!(link.build_id(), &dump.header.build_id);
    assert!(dump.link_address(0x10).is_none());
}

#[cfg(feature = "std")]
mod files {
    use super::*;
    use nxcd::fs::{self, FileError};

    #[test]
    fn writes_atomically_and_reads_back_plain_and_zst() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.nxcd", "a.nxcd.zst"] {
            let path = dir.path().join(name);
            fs::write_dump(&path, &full_dump()).unwrap();
            assert_eq!(fs::read_dump(&path, &Limits::DEFAULT).unwrap(), full_dump());
        }
        let raw = std::fs::read(dir.path().join("a.nxcd.zst")).unwrap();
        assert!(fs::is_zstd(&raw));
        // No temporary files are left behind.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.nxcd", "a.nxcd.zst"]);
    }

    #[test]
    fn compression_is_deterministic() {
        let bytes = full_dump().encode().unwrap();
        assert_eq!(fs::compress(&bytes).unwrap(), fs::compress(&bytes).unwrap());
    }

    #[test]
    fn rejects_decompression_bomb_at_the_cap() {
        // 64 MiB of zeros compresses to a few KiB.
        let bomb = zstd_bomb();
        assert!(bomb.len() < 64 * 1024);
        assert!(matches!(
            fs::decompress(&bomb, Limits::DEFAULT.max_total),
            Err(FileError::DecompressedTooLarge { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.nxcd.zst");
        std::fs::write(&path, &bomb).unwrap();
        assert!(matches!(
            fs::read_dump(&path, &Limits::DEFAULT),
            Err(FileError::DecompressedTooLarge { .. })
        ));
    }

    fn zstd_bomb() -> Vec<u8> {
        let zeros = vec![0u8; 64 * 1024 * 1024];
        // A fast level has a small window, so the reader's window cap is not what stops
        // it: the output cap must.
        zstd::bulk::compress(&zeros, 1).unwrap()
    }

    #[test]
    fn rejects_oversized_file_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.nxcd");
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        let small = Limits {
            max_total: 1024,
            ..Limits::DEFAULT
        };
        assert!(matches!(
            fs::read_dump(&path, &small),
            Err(FileError::TooLarge {
                size: 4096,
                limit: 1024
            })
        ));
    }

    #[test]
    fn rejects_garbage_zst() {
        let mut garbage = fs::ZSTD_MAGIC.to_vec();
        garbage.extend_from_slice(&[0xff; 32]);
        assert!(matches!(
            fs::decompress(&garbage, 1024),
            Err(FileError::Decompress(_))
        ));
    }
}

#[test]
fn return_address_marks_roundtrip_and_default_by_position() {
    let mut dump = minimal_dump();
    dump.frames = vec![
        nxcd::Frame {
            return_address: Some(true),
            ..nxcd::Frame::at(0x10)
        },
        nxcd::Frame::at(0x20),
        nxcd::Frame {
            return_address: Some(false),
            ..nxcd::Frame::at(0x30)
        },
    ];
    let bytes = dump.encode().unwrap();
    let back = Dump::decode(&bytes).unwrap();
    assert_eq!(back, dump);
    let container = Container::parse(&bytes, &Limits::DEFAULT).unwrap();
    let json = std::str::from_utf8(container.section(SectionName::Frames).unwrap()).unwrap();
    assert_eq!(json.matches("\"return_address\":true").count(), 1, "{json}");
    assert_eq!(
        json.matches("\"return_address\":false").count(),
        1,
        "{json}"
    );
    assert_eq!(json.matches("return_address").count(), 2, "{json}");
    let kinds: Vec<bool> = back
        .frames
        .iter()
        .enumerate()
        .map(|(i, f)| f.is_return_address(i))
        .collect();
    assert_eq!(kinds, [true, true, false]);
    assert!(!nxcd::Frame::at(0x10).is_return_address(0));
}
