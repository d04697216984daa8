//! Table-driven rejection tests: each corrupt, truncated, oversized, overlapping or
//! badly checksummed input is rejected with the error variant that names the defect.

use nxcd::{Dump, Error, Limits, SectionName};

use super::fixtures::{fix_table_crc, full_dump, Synth, SynthSection};

fn valid() -> Vec<u8> {
    Synth::valid().bytes()
}

fn set_u16(bytes: &mut [u8], at: usize, v: u16) {
    bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn set_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Entry `i`'s field at `field` (0 name, 16 offset, 24 length, 32 crc, 36 reserved).
fn entry(i: usize, field: usize) -> usize {
    32 + 40 * i + field
}

type Check = fn(&Error) -> bool;

fn cases() -> Vec<(&'static str, Vec<u8>, Limits, Check)> {
    let d = Limits::DEFAULT;
    let mut cases: Vec<(&'static str, Vec<u8>, Limits, Check)> = Vec::new();

    cases.push(("rejects_empty_input", Vec::new(), d, |e| {
        matches!(
            e,
            Error::Truncated {
                what: "file header",
                needed: 32,
                available: 0
            }
        )
    }));
    cases.push((
        "rejects_foreign_file_with_bad_magic",
        b"\x7fELF\x02\x01\x01\0".repeat(8),
        d,
        |e| matches!(e, Error::BadMagic { found } if &found[..4] == b"\x7fELF"),
    ));
    cases.push((
        "rejects_short_foreign_file_with_bad_magic",
        b"hi".to_vec(),
        d,
        |e| matches!(e, Error::BadMagic { .. }),
    ));
    cases.push((
        "rejects_truncated_file_header",
        valid()[..20].to_vec(),
        d,
        |e| {
            matches!(
                e,
                Error::Truncated {
                    what: "file header",
                    needed: 32,
                    available: 20
                }
            )
        },
    ));
    let mut b = valid();
    set_u16(&mut b, 8, 3);
    cases.push(("rejects_unsupported_major_version", b, d, |e| {
        matches!(e, Error::UnsupportedVersion { major: 3, minor: 0 })
    }));
    let mut b = valid();
    b[14] = 1;
    cases.push(("rejects_nonzero_reserved_header_field", b, d, |e| {
        matches!(e, Error::ReservedNotZero { offset: 14 })
    }));
    let mut b = valid();
    b[entry(1, 36)] = 1;
    fix_table_crc(&mut b);
    cases.push(("rejects_nonzero_reserved_entry_field", b, d, |e| {
        matches!(e, Error::ReservedNotZero { offset: 108 })
    }));
    let len = valid().len();
    cases.push((
        "rejects_truncated_file",
        valid()[..len - 1].to_vec(),
        d,
        |e| matches!(e, Error::Truncated { what: "file", .. }),
    ));
    let mut b = valid();
    b.push(0);
    cases.push(("rejects_trailing_data", b, d, |e| {
        matches!(e, Error::TrailingData { .. })
    }));
    let mut b = valid();
    set_u64(&mut b, 16, 1 << 40);
    cases.push((
        "rejects_declared_total_over_bound",
        b,
        d,
        |e| matches!(e, Error::FileTooLarge { size, .. } if *size == 1 << 40),
    ));
    cases.push((
        "rejects_file_over_total_bound",
        valid(),
        Limits {
            max_total: 100,
            ..d
        },
        |e| matches!(e, Error::FileTooLarge { limit: 100, .. }),
    ));
    let mut b = valid();
    set_u16(&mut b, 12, 17);
    cases.push(("rejects_too_many_sections", b, d, |e| {
        matches!(
            e,
            Error::TooManySections {
                count: 17,
                limit: 16
            }
        )
    }));
    let mut b = valid();
    set_u16(&mut b, 12, 16);
    cases.push(("rejects_truncated_section_table", b, d, |e| {
        matches!(
            e,
            Error::Truncated {
                what: "section table",
                ..
            }
        )
    }));
    let mut b = valid();
    b[entry(0, 32)] ^= 1;
    cases.push(("rejects_table_with_bad_checksum", b, d, |e| {
        matches!(e, Error::BadTableChecksum { .. })
    }));
    let mut b = valid();
    b[entry(0, 0)] = 0xc3;
    fix_table_crc(&mut b);
    cases.push(("rejects_non_ascii_section_name", b, d, |e| {
        matches!(e, Error::BadSectionName { index: 0 })
    }));
    let mut b = valid();
    b[entry(2, 10)] = b'X'; // "maps.json\0X..."
    fix_table_crc(&mut b);
    cases.push(("rejects_section_name_with_junk_after_padding", b, d, |e| {
        matches!(e, Error::BadSectionName { index: 2 })
    }));

    let mut s = Synth::valid();
    s.section_mut("maps.json").offset = Some(1 << 20);
    cases.push(("rejects_section_past_end_of_file", s.bytes(), d, |e| {
        matches!(e, Error::SectionOutOfBounds { section, offset, .. } if section == "maps.json" && *offset == 1 << 20)
    }));
    let mut s = Synth::valid();
    s.section_mut("frames.json").offset = Some(40);
    cases.push(("rejects_section_inside_the_table", s.bytes(), d, |e| {
        matches!(e, Error::SectionOutOfBounds { section, data_start: 152, .. } if section == "frames.json")
    }));
    let mut s = Synth::valid();
    s.section_mut("frames.json").offset = Some(u64::MAX - 2);
    cases.push(("rejects_section_whose_end_overflows", s.bytes(), d, |e| {
        matches!(e, Error::SectionOutOfBounds { .. })
    }));
    let mut s = Synth::valid();
    s.section_mut("maps.json").offset = Some(152 + 10);
    s.section_mut("maps.json").len = Some(5);
    cases.push(("rejects_overlapping_sections", s.bytes(), d, |e| {
        matches!(e, Error::OverlappingSections { first, second } if first == "header.json" && second == "maps.json")
    }));
    let mut s = Synth::valid();
    s.section_mut("frames.json").crc = Some(0xdead_beef);
    cases.push(("rejects_section_with_bad_checksum", s.bytes(), d, |e| {
        matches!(e, Error::BadChecksum { section, expected: 0xdead_beef, .. } if section == "frames.json")
    }));
    cases.push((
        "rejects_oversized_section",
        valid(),
        Limits { maps: 16, ..d },
        |e| matches!(e, Error::OversizedSection { section, limit: 16, .. } if section == "maps.json"),
    ));
    let s = Synth::valid().with(SynthSection::new("frames.json", b"[]"));
    cases.push((
        "rejects_duplicate_section",
        s.bytes(),
        d,
        |e| matches!(e, Error::DuplicateSection { section } if section == "frames.json"),
    ));
    let s = Synth::valid().with(SynthSection::new("extra.bin", b"?"));
    cases.push((
        "rejects_unknown_section_in_current_minor",
        s.bytes(),
        d,
        |e| matches!(e, Error::UnknownSection { index: 3, name } if name == "extra.bin"),
    ));
    let mut s = Synth::valid();
    s.sections.remove(2);
    cases.push(("rejects_missing_required_section", s.bytes(), d, |e| {
        matches!(
            e,
            Error::MissingSection {
                section: SectionName::Maps
            }
        )
    }));
    let mut s = Synth::valid();
    s.section_mut("frames.json").data = b"[{\"pc\":\"0x10\"},\n {\"pc\":5}]".to_vec();
    cases.push(("rejects_invalid_json_naming_section_line_and_column", s.bytes(), d, |e| {
        matches!(e, Error::InvalidJson { section: SectionName::Frames, line: 2, column, .. } if *column > 1)
    }));
    let mut s = Synth::valid();
    s.section_mut("header.json").data = b"{\"arch\":".to_vec();
    cases.push(("rejects_truncated_header_json", s.bytes(), d, |e| {
        matches!(
            e,
            Error::InvalidJson {
                section: SectionName::Header,
                ..
            }
        )
    }));
    let mut s = Synth::valid();
    s.section_mut("header.json").data = super::fixtures::HEADER_JSON
        .replace("\"dump_id\":\"x\"", "\"dump_id\":\"../x\"")
        .into_bytes();
    cases.push(("rejects_unsafe_dump_id", s.bytes(), d, |e| {
        matches!(e, Error::InvalidJson { section: SectionName::Header, message, .. } if message.contains("dump_id"))
    }));
    let mut s = Synth::valid();
    s.section_mut("header.json").data = super::fixtures::HEADER_JSON
        .replace("\"format_version\":2", "\"format_version\":3")
        .into_bytes();
    cases.push(("rejects_header_json_version_mismatch", s.bytes(), d, |e| {
        matches!(
            e,
            Error::VersionMismatch {
                header_json: 3,
                binary: 2
            }
        )
    }));
    let mut s = Synth::valid();
    s.section_mut("header.json").data = super::fixtures::HEADER_JSON
        .replace("\"scause\":13", "\"scause\":9223372036854775813")
        .into_bytes();
    cases.push((
        "rejects_riscv_header_with_an_interrupt_cause",
        s.bytes(),
        d,
        |e| {
            matches!(
                e,
                Error::InvalidValue {
                    field: "scause",
                    ..
                }
            )
        },
    ));
    let mut s = Synth::valid();
    s.section_mut("maps.json").data =
        br#"[{"build_id":"zz","end":"0x20","link_base":"0x0","name":"p","start":"0x0"}]"#.to_vec();
    cases.push(("rejects_bad_build_id_hex", s.bytes(), d, |e| {
        matches!(e, Error::InvalidJson { section: SectionName::Maps, message, .. } if message.contains("build_id"))
    }));
    let mut s = Synth::valid();
    s.section_mut("maps.json").data =
        br#"[{"build_id":"aa","end":"0x0","link_base":"0x0","name":"p","start":"0x20"}]"#.to_vec();
    cases.push(("rejects_map_with_start_not_below_end", s.bytes(), d, |e| {
        matches!(
            e,
            Error::InvalidJson {
                section: SectionName::Maps,
                ..
            }
        )
    }));
    let s = Synth::valid().with(SynthSection::new(
        "logs.jsonl",
        b"{\"id\":1,\"level\":3,\"message\":\"m\",\"scope\":\"s\",\"service_id\":1,\"ts_ns\":1}\n{\"id\":2,\"level\":9,\"message\":\"m\",\"scope\":\"s\",\"service_id\":1,\"ts_ns\":1}\n",
    ));
    cases.push((
        "rejects_log_record_with_bad_level_naming_its_line",
        s.bytes(),
        d,
        |e| {
            matches!(
                e,
                Error::InvalidJson {
                    section: SectionName::Logs,
                    line: 2,
                    ..
                }
            )
        },
    ));
    let s = Synth::valid().with(SynthSection::new(
        "spans.jsonl",
        b"{\"id\":1,\"name\":\"a\",\"start_ns\":1}\n\n{\"id\":2,\"name\":\"b\",\"start_ns\":1}\n",
    ));
    cases.push(("rejects_empty_jsonl_line", s.bytes(), d, |e| {
        matches!(
            e,
            Error::InvalidJson {
                section: SectionName::Spans,
                line: 2,
                ..
            }
        )
    }));
    let s = Synth::valid().with(SynthSection::new("regs.bin", &[0; 287]));
    cases.push(("rejects_short_regs", s.bytes(), d, |e| {
        matches!(e, Error::BadRegsLength { len: 287 })
    }));
    let s = Synth::valid().with(SynthSection::new("regs.bin", &[0; 296]));
    cases.push(("rejects_oversized_regs", s.bytes(), d, |e| {
        matches!(e, Error::OversizedSection { section, len: 296, limit: 288 } if section == "regs.bin")
    }));
    cases
}

#[test]
fn corrupt_inputs_are_rejected_with_the_right_error() {
    for (name, bytes, limits, check) in cases() {
        match Dump::decode_with_limits(&bytes, &limits) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => {
                assert!(check(&e), "{name}: wrong error {e:?}");
                // Every error renders to a message.
                assert!(!e.to_string().is_empty(), "{name}");
            }
        }
    }
}

#[test]
fn messages_name_the_section_at_fault() {
    let mut s = Synth::valid();
    s.section_mut("frames.json").crc = Some(1);
    let err = Dump::decode(&s.bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("bad checksum for section frames.json"),
        "{err}"
    );
    let mut s = Synth::valid();
    s.section_mut("frames.json").data = b"[".to_vec();
    let err = Dump::decode(&s.bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid JSON in section frames.json at line 1 column 1"),
        "{err}"
    );
}

#[test]
fn every_single_byte_truncation_of_a_full_dump_is_rejected() {
    let bytes = full_dump().encode().unwrap();
    for len in 0..bytes.len() {
        assert!(
            Dump::decode(&bytes[..len]).is_err(),
            "accepted truncation to {len}"
        );
    }
}
