//! The reader's decisions where JSON, base64 or the container leave a choice, one test
//! per rule of docs/reliability/crashdump-v2.md that an independent reader must follow:
//! each builds the file by hand (the synthesizer, not the writer) and checks that the
//! reader accepts or rejects it as the document says.

use nxcd::{fs, Container, Dump, Error, Limits, SectionName};

use super::fixtures::{Synth, SynthSection, HEADER_JSON, MAPS_JSON};

/// A file whose `name` section holds `data` instead of the valid one (added if absent).
fn with_section(name: &str, data: &str) -> Vec<u8> {
    let mut synth = Synth::valid();
    if synth.sections.iter().any(|s| s.name == name.as_bytes()) {
        synth.section_mut(name).data = data.as_bytes().to_vec();
    } else {
        synth = synth.with(SynthSection::new(name, data.as_bytes()));
    }
    synth.bytes()
}

fn decode(bytes: &[u8]) -> Result<Dump, Error> {
    Dump::decode(bytes)
}

/// The `InvalidJson` error of `section`, or a panic naming what was found instead.
fn json_error(bytes: &[u8], section: SectionName) -> (u64, u64, String) {
    match decode(bytes) {
        Err(Error::InvalidJson {
            section: s,
            line,
            column,
            message,
        }) if s == section => (line, column, message),
        other => panic!("expected invalid JSON in {section}, got {other:?}"),
    }
}

const LOG_OK: &str = r#"{"id":1,"level":3,"message":"m","scope":"s","service_id":1,"ts_ns":1}"#;

fn log_line(message_key: &str) -> String {
    format!(r#"{{"id":2,"level":3,{message_key},"scope":"s","service_id":1,"ts_ns":2}}"#)
}

#[test]
fn null_reads_as_an_absent_optional_key() {
    let frames = r#"[{"build_id":null,"file":null,"function":null,"inlined":null,"line":null,"pc":"0x10","return_address":null}]"#;
    let header = HEADER_JSON.replace(r#""pc""#, r#""os_version":null,"pc""#);
    let mut synth = Synth::valid();
    synth.section_mut("frames.json").data = frames.as_bytes().to_vec();
    synth.section_mut("header.json").data = header.into_bytes();
    let synth = synth.with(SynthSection::new(
        "logs.jsonl",
        br#"{"fields":null,"id":1,"level":3,"message":"m","scope":"s","scope_b64":null,"service_id":1,"ts_ns":1}"#,
    ));
    let dump = decode(&synth.bytes()).unwrap();
    let frame = &dump.frames[0];
    assert!(frame.inlined.is_empty() && frame.function.is_none());
    assert_eq!(frame.return_address, None);
    assert_eq!(dump.header.os_version, None);
    assert_eq!(dump.logs.unwrap()[0].fields, b"");
}

#[test]
fn errors_in_a_log_line_name_that_line_counting_from_one() {
    let cases = [
        (
            log_line(r#""message":"m","message_b64":"bQ==""#),
            "both `message`",
        ),
        (log_line(r#""message_b64":"!!""#), "not valid base64"),
        (log_line(r#""nothing":1"#), "missing `message`"),
        (log_line(r#""message":"m","level":9"#), "level"),
    ];
    for (line, what) in cases {
        let text = format!("{LOG_OK}\n{line}\n");
        let (line_no, column, message) =
            json_error(&with_section("logs.jsonl", &text), SectionName::Logs);
        assert_eq!(line_no, 2, "{message}");
        assert!(column >= 1, "column {column}: {message}");
        assert!(message.contains(what), "{message}");
    }
}

#[test]
fn errors_in_maps_and_headers_carry_a_position() {
    let maps = r#"[{"build_id":"aa","end":"0x10","link_base":"0x0","name":"p","start":"0x10"}]"#;
    let (line, column, message) = json_error(&with_section("maps.json", maps), SectionName::Maps);
    assert!(line == 1 && column >= 1, "{line}:{column} {message}");
    assert!(message.contains("start must be below end"), "{message}");
    let header = HEADER_JSON.replace(r#""dump_id":"x""#, r#""dump_id":".x""#);
    let (line, column, _) = json_error(&with_section("header.json", &header), SectionName::Header);
    assert!(line == 1 && column >= 1, "{line}:{column}");
}

#[test]
fn every_maps_key_is_required() {
    for key in ["build_id", "end", "link_base", "name", "start"] {
        let mut value: serde_json::Value = serde_json::from_str(MAPS_JSON).unwrap();
        value[0].as_object_mut().unwrap().remove(key);
        let (_, _, message) = json_error(
            &with_section("maps.json", &value.to_string()),
            SectionName::Maps,
        );
        assert!(
            message.contains(&format!("missing field `{key}`")),
            "{message}"
        );
    }
}

#[test]
fn repeated_keys_are_errors_known_or_not() {
    let header = HEADER_JSON.replace(r#""pid":1"#, r#""pid":1,"pid":1"#);
    let frames = r#"[{"pc":"0x10","vendor":1,"vendor":2}]"#;
    let nested = r#"[{"pc":"0x10","inlined":[{"line":1,"line":2}]}]"#;
    let logs = LOG_OK.replace(r#""id":1"#, r#""id":1,"x":{"a":1,"a":1}"#);
    for (bytes, section) in [
        (with_section("header.json", &header), SectionName::Header),
        (with_section("frames.json", frames), SectionName::Frames),
        (with_section("frames.json", nested), SectionName::Frames),
        (with_section("logs.jsonl", &logs), SectionName::Logs),
    ] {
        let (line, _, message) = json_error(&bytes, section);
        assert_eq!(line, 1);
        assert!(message.starts_with("duplicate key"), "{message}");
    }
}

#[test]
fn strings_must_be_valid_unicode_under_any_key() {
    let pair = r#"[{"function":"\ud83d\ude00","pc":"0x10"}]"#;
    let dump = decode(&with_section("frames.json", pair)).unwrap();
    assert_eq!(dump.frames[0].function.as_deref(), Some("\u{1f600}"));
    for frames in [
        r#"[{"function":"\ud800","pc":"0x10"}]"#,
        r#"[{"pc":"0x10","unknown":"\udc00"}]"#,
        r#"[{"pc":"0x10","\ud800x":1}]"#,
        r#"[{"function":"\ud83dx","pc":"0x10"}]"#,
    ] {
        json_error(&with_section("frames.json", frames), SectionName::Frames);
    }
    let mut synth = Synth::valid();
    synth.section_mut("frames.json").data = b"[{\"pc\":\"0x10\",\"unknown\":\"\xff\"}]".to_vec();
    json_error(&synth.bytes(), SectionName::Frames);
}

#[test]
fn nesting_deeper_than_128_is_an_error() {
    let deep = |n: usize| {
        format!(
            r#"[{{"pc":"0x10","x":{}{}}}]"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    decode(&with_section("frames.json", &deep(100))).unwrap();
    json_error(
        &with_section("frames.json", &deep(200)),
        SectionName::Frames,
    );
}

#[test]
fn integers_have_no_fraction_exponent_or_minus_zero() {
    for (from, to) in [
        (r#""pid":1"#, r#""pid":-0"#),
        (r#""exit_code":-14"#, r#""exit_code":-0"#),
        (r#""pid":1"#, r#""pid":1.0"#),
        (r#""pid":1"#, r#""pid":1e0"#),
        (r#""pid":1"#, r#""pid":4294967296"#),
        (r#""created_ns":5"#, r#""created_ns":18446744073709551616"#),
    ] {
        let header = HEADER_JSON.replace(from, to);
        assert_ne!(header, HEADER_JSON);
        json_error(&with_section("header.json", &header), SectionName::Header);
    }
    let header = HEADER_JSON.replace(r#""exit_code":-14"#, r#""exit_code":0"#);
    assert_eq!(
        decode(&with_section("header.json", &header))
            .unwrap()
            .header
            .exit_code,
        0
    );
    let big = HEADER_JSON.replace(r#""created_ns":5"#, r#""created_ns":18446744073709551615"#);
    let dump = decode(&with_section("header.json", &big)).unwrap();
    assert_eq!(
        dump.header.created_ns,
        u64::MAX,
        "parsed as u64, not a double"
    );
}

#[test]
fn base64_must_be_canonical() {
    let accepted = [
        ("bQ==", &b"m"[..]),
        ("", b""),
        ("/wA=", b"\xff\x00"),
        ("aGk=", b"hi"),
    ];
    for (b64, bytes) in accepted {
        let line = log_line(&format!(r#""message_b64":"{b64}""#));
        let dump = decode(&with_section("logs.jsonl", &line)).unwrap();
        assert_eq!(dump.logs.unwrap()[0].message, bytes, "{b64:?}");
    }
    for b64 in [
        "bR==", "bQ", "bQ=", "bQ===", "b Q==", "bQ==\\n", "_wA=", "-wA=",
    ] {
        let line = log_line(&format!(r#""message_b64":"{b64}""#));
        let (_, _, message) = json_error(&with_section("logs.jsonl", &line), SectionName::Logs);
        assert!(message.contains("not valid base64"), "{b64:?}: {message}");
    }
}

#[test]
fn crlf_line_ends_are_accepted_but_blank_lines_are_not() {
    let text = format!("{LOG_OK}\r\n{}\r\n", log_line(r#""message":"n""#));
    let dump = decode(&with_section("logs.jsonl", &text)).unwrap();
    assert_eq!(dump.logs.unwrap().len(), 2);
    let blank = format!("{LOG_OK}\r\n\r\n");
    let (line, _, message) = json_error(&with_section("logs.jsonl", &blank), SectionName::Logs);
    assert_eq!((line, message.as_str()), (2, "empty line"));
}

#[test]
fn a_zero_length_section_may_sit_at_the_end_offset() {
    let mut synth = Synth::valid().with(SynthSection::new("spans.jsonl", b""));
    let total = 32
        + 40 * synth.sections.len() as u64
        + synth
            .sections
            .iter()
            .map(|s| s.data.len() as u64)
            .sum::<u64>();
    synth.section_mut("spans.jsonl").offset = Some(total);
    let dump = decode(&synth.bytes()).unwrap();
    assert_eq!(dump.spans, Some(Vec::new()));
    synth.section_mut("spans.jsonl").offset = Some(total + 1);
    assert!(matches!(
        decode(&synth.bytes()),
        Err(Error::SectionOutOfBounds { .. })
    ));
}

#[test]
fn a_sixteen_byte_name_needs_no_nul() {
    let mut synth = Synth::valid().with(SynthSection::new("sixteen-bytes.xy", b"{}"));
    synth.minor = 1;
    let bytes = synth.bytes();
    let container = Container::parse(&bytes, &Limits::DEFAULT).unwrap();
    assert!(container
        .entries()
        .iter()
        .any(|e| e.name == "sixteen-bytes.xy" && e.known.is_none()));
    synth.minor = 0;
    assert!(matches!(
        decode(&synth.bytes()),
        Err(Error::UnknownSection { name, .. }) if name == "sixteen-bytes.xy"
    ));
}

#[test]
fn the_documented_examples_decode() {
    let doc = include_str!("../../../../../docs/reliability/crashdump-v2.md");
    let header = doc
        .lines()
        .find(|l| l.starts_with(r#"{"arch":"riscv64""#))
        .unwrap();
    let line = doc
        .lines()
        .find_map(|l| l.strip_prefix("Example line: `"))
        .and_then(|l| l.strip_suffix('`'))
        .unwrap();
    let mut synth = Synth::valid();
    synth.section_mut("header.json").data = header.as_bytes().to_vec();
    let synth = synth.with(SynthSection::new("logs.jsonl", line.as_bytes()));
    let dump = decode(&synth.bytes()).unwrap();
    let record = &dump.logs.unwrap()[0];
    assert!(
        !record.fields.is_empty() && !record.fields.ends_with(b"\n"),
        "logd's fields convention has no trailing newline"
    );
}

#[test]
fn a_leading_skippable_frame_is_not_a_zst_dump_but_a_later_one_is_skipped() {
    let nxcd_bytes = Synth::valid().bytes();
    let zst = fs::compress(&nxcd_bytes).unwrap();
    let skippable = [0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
    let leading = [&skippable[..], &zst].concat();
    let raw = fs::unwrap_dump_bytes(leading, &Limits::DEFAULT).unwrap();
    assert!(matches!(decode(&raw), Err(Error::BadMagic { .. })));
    let trailing = [&zst[..], &skippable].concat();
    let raw = fs::unwrap_dump_bytes(trailing, &Limits::DEFAULT).unwrap();
    assert_eq!(raw, nxcd_bytes);
}
