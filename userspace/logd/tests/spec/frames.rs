//! Frame rules: caps at their limit and one over, every malformed shape with its status and
//! response shape, and byte-for-byte layouts of the requests and responses.

use logd::wire::{MAX_REQUEST_LEN, MAX_RESPONSE_LEN};
use logd::{
    encode_append, encode_query, encode_stats, handle_request, Entry, FrameError, Journal,
    JournalConfig, Level, Op, Query, Request, Response, ServiceId, Status,
};

use super::oracle::{self, u16_at, u32_at, u64_at};

pub const ORIGIN: ServiceId = ServiceId(0x0000_03e8_0000_1234);

pub fn journal() -> Journal {
    Journal::new(JournalConfig::DEFAULT).unwrap()
}

pub fn serve(journal: &mut Journal, now: u64, frame: &[u8]) -> Vec<u8> {
    let mut out = [0u8; MAX_RESPONSE_LEN];
    let len = handle_request(journal, ORIGIN, now, frame, &mut out);
    assert!(len <= MAX_RESPONSE_LEN);
    out[..len].to_vec()
}

fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The response layout a status implies: (response opcode byte, length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `[L O 1 op|0x80 status]` only.
    StatusOnly(u8),
    /// APPEND's 21 bytes.
    Append,
    /// QUERY with no records: 23 bytes.
    EmptyQuery,
    /// STATS: 37 bytes.
    Stats,
}

fn check_shape(name: &str, response: &[u8], status: Status, shape: Shape) {
    assert_eq!(&response[..3], b"LO\x01", "{name}: response header");
    assert_eq!(response[4], status as u8, "{name}: status");
    let (op, len) = match shape {
        Shape::StatusOnly(op) => (op | 0x80, 5),
        Shape::Append => (0x81, 21),
        Shape::EmptyQuery => (0x82, 23),
        Shape::Stats => (0x83, 37),
    };
    assert_eq!(response[3], op, "{name}: response opcode");
    assert_eq!(response.len(), len, "{name}: response length");
    if shape == Shape::Append && status != Status::Ok {
        assert_eq!(u64_at(response, 5), 0, "{name}: record_id is 0 on error");
    }
    if shape == Shape::EmptyQuery {
        assert_eq!(u16_at(response, 5), 0, "{name}: no records on error");
    }
}

#[test]
fn caps_are_accepted_at_their_limit_and_rejected_one_over() {
    let cases: &[(&str, usize, usize, usize, Status)] = &[
        ("all empty", 0, 0, 0, Status::Ok),
        ("scope at 64", 64, 0, 0, Status::Ok),
        ("scope at 65", 65, 0, 0, Status::TooLarge),
        ("message at 256", 0, 256, 0, Status::Ok),
        ("message at 257", 0, 257, 0, Status::TooLarge),
        ("fields at 512", 0, 0, 512, Status::Ok),
        ("fields at 513", 0, 0, 513, Status::TooLarge),
        ("every part at its cap", 64, 256, 512, Status::Ok),
        ("scope over, rest at cap", 65, 256, 512, Status::TooLarge),
    ];
    for &(name, s, m, f, status) in cases {
        let mut j = journal();
        let frame = oracle::append(3, &bytes(s), &bytes(m), &bytes(f));
        let response = serve(&mut j, 7, &frame);
        check_shape(name, &response, status, Shape::Append);
        let expected_total = u64::from(status == Status::Ok);
        assert_eq!(j.total(), expected_total, "{name}: stored only when OK");
        if status == Status::Ok {
            assert_eq!(u64_at(&response, 5), 1, "{name}: first record id is 1");
        }
    }
}

#[test]
fn query_max_count_is_capped_at_16() {
    for (max, status) in [
        (0u16, Status::Ok),
        (16, Status::Ok),
        (17, Status::TooLarge),
        (u16::MAX, Status::TooLarge),
    ] {
        let mut j = journal();
        let response = serve(&mut j, 1, &oracle::query(0, max));
        check_shape(
            &format!("max_count {max}"),
            &response,
            status,
            Shape::EmptyQuery,
        );
    }
}

#[test]
fn every_malformed_shape_gets_its_status_and_a_best_effort_response() {
    let good_append = oracle::append(3, b"net", b"up", b"");
    let mut bad_magic = good_append.clone();
    bad_magic[0] = b'X';
    let mut bad_magic_second = good_append.clone();
    bad_magic_second[1] = b'X';
    let mut version0 = good_append.clone();
    version0[2] = 0;
    let mut version2 = good_append.clone();
    version2[2] = 2;
    let mut trailing = good_append.clone();
    trailing.push(0);
    let oversized = [oracle::append(3, b"", b"", b""), vec![0; MAX_REQUEST_LEN]].concat();
    let mut query_short = oracle::query(0, 1);
    query_short.pop();
    let mut query_long = oracle::query(0, 1);
    query_long.push(0);
    let mut stats_long = oracle::stats();
    stats_long.push(0);
    let cases: Vec<(&str, Vec<u8>, Status, Shape)> = vec![
        (
            "empty frame",
            vec![],
            Status::Malformed,
            Shape::StatusOnly(0),
        ),
        (
            "one byte",
            b"L".to_vec(),
            Status::Malformed,
            Shape::StatusOnly(0),
        ),
        (
            "three bytes",
            b"LO\x01".to_vec(),
            Status::Malformed,
            Shape::StatusOnly(0),
        ),
        (
            "bad first magic byte",
            bad_magic,
            Status::Malformed,
            Shape::StatusOnly(1),
        ),
        (
            "bad second magic byte",
            bad_magic_second,
            Status::Malformed,
            Shape::StatusOnly(1),
        ),
        (
            "version 0",
            version0,
            Status::Unsupported,
            Shape::StatusOnly(1),
        ),
        (
            "version 2",
            version2,
            Status::Unsupported,
            Shape::StatusOnly(1),
        ),
        (
            "opcode 0",
            oracle::header(0),
            Status::Unsupported,
            Shape::StatusOnly(0),
        ),
        (
            "opcode 4",
            oracle::header(4),
            Status::Unsupported,
            Shape::StatusOnly(4),
        ),
        (
            "response opcode as request",
            oracle::header(0x81),
            Status::Unsupported,
            Shape::StatusOnly(0x81),
        ),
        (
            "append without fixed part",
            oracle::header(1),
            Status::Malformed,
            Shape::Append,
        ),
        (
            "append with half a fixed part",
            [oracle::header(1), vec![3, 0, 0]].concat(),
            Status::Malformed,
            Shape::Append,
        ),
        (
            "append body shorter than declared",
            oracle::append_declared(3, 3, 2, 0, b"netu"),
            Status::Malformed,
            Shape::Append,
        ),
        (
            "append body longer than declared",
            trailing,
            Status::Malformed,
            Shape::Append,
        ),
        (
            "append level 0",
            oracle::append(0, b"a", b"b", b""),
            Status::Malformed,
            Shape::Append,
        ),
        (
            "append level 6",
            oracle::append(6, b"a", b"b", b""),
            Status::Malformed,
            Shape::Append,
        ),
        (
            "append level 255",
            oracle::append(255, b"a", b"b", b""),
            Status::Malformed,
            Shape::Append,
        ),
        (
            "append declares message over cap, short body",
            oracle::append_declared(3, 0, 300, 0, b"x"),
            Status::TooLarge,
            Shape::Append,
        ),
        (
            "append declares fields at u16 max",
            oracle::append_declared(3, 0, 0, 65535, b""),
            Status::TooLarge,
            Shape::Append,
        ),
        (
            "append declares scope at 255",
            oracle::append_declared(3, 255, 0, 0, b""),
            Status::TooLarge,
            Shape::Append,
        ),
        (
            "frame over 842 bytes",
            oversized,
            Status::TooLarge,
            Shape::Append,
        ),
        (
            "query one byte short",
            query_short,
            Status::Malformed,
            Shape::EmptyQuery,
        ),
        (
            "query one byte long",
            query_long,
            Status::Malformed,
            Shape::EmptyQuery,
        ),
        (
            "query without payload",
            oracle::header(2),
            Status::Malformed,
            Shape::EmptyQuery,
        ),
        (
            "stats with payload",
            stats_long,
            Status::Malformed,
            Shape::Stats,
        ),
    ];
    for (name, frame, status, shape) in cases {
        let mut j = journal();
        let response = serve(&mut j, 1, &frame);
        check_shape(name, &response, status, shape);
        assert_eq!(j.total(), 0, "{name}: nothing stored");
        assert_eq!(
            Request::parse(&frame).err().map(|e| e.status()),
            Some(status),
            "{name}: parse error maps to the status"
        );
        let decoded = Response::decode(&response).unwrap();
        assert_eq!(decoded.status(), status, "{name}: response decodes");
    }
}

#[test]
fn parse_errors_name_the_field_at_fault() {
    let cases: Vec<(Vec<u8>, FrameError)> = vec![
        (
            b"LO".to_vec(),
            FrameError::Truncated {
                field: "header",
                offset: 0,
            },
        ),
        (b"XO\x01\x01".to_vec(), FrameError::BadMagic),
        (b"LO\x07\x01".to_vec(), FrameError::UnsupportedVersion(7)),
        (b"LO\x01\x09".to_vec(), FrameError::UnsupportedOp(9)),
        (
            oracle::header(1),
            FrameError::Truncated {
                field: "level",
                offset: 4,
            },
        ),
        (
            oracle::append_declared(3, 65, 0, 0, b""),
            FrameError::TooLarge {
                field: "scope",
                len: 65,
                max: 64,
            },
        ),
        (
            oracle::append_declared(3, 0, 257, 0, b""),
            FrameError::TooLarge {
                field: "message",
                len: 257,
                max: 256,
            },
        ),
        (
            oracle::append_declared(3, 0, 0, 513, b""),
            FrameError::TooLarge {
                field: "fields",
                len: 513,
                max: 512,
            },
        ),
        (
            oracle::append_declared(3, 2, 0, 0, b"a"),
            FrameError::LengthMismatch {
                expected: 12,
                actual: 11,
            },
        ),
        (oracle::append(9, b"", b"", b""), FrameError::BadLevel(9)),
        (oracle::query(0, 17), FrameError::CountTooLarge(17)),
    ];
    for (frame, expected) in cases {
        assert_eq!(Request::parse(&frame), Err(expected), "{frame:?}");
        assert!(!expected.to_string().is_empty());
    }
}

#[test]
fn append_request_layout_is_byte_exact() {
    let entry = Entry::new(Level::Warn, b"netd", b"link down", b"if=eth0").unwrap();
    let frame = encode_append(&entry);
    assert_eq!(frame, oracle::append(2, b"netd", b"link down", b"if=eth0"));
    assert_eq!(
        frame,
        b"LO\x01\x01\x02\x04\x09\x00\x07\x00netdlink downif=eth0".to_vec()
    );
    assert_eq!(Request::parse(&frame), Ok(Request::Append(entry)));
    assert_eq!(
        encode_query(Query {
            since_nsec: 0x0102,
            max_count: 16
        }),
        b"LO\x01\x02\x02\x01\0\0\0\0\0\0\x10\x00".to_vec()
    );
    assert_eq!(encode_stats(), b"LO\x01\x03".to_vec());
    assert_eq!(Request::parse(b"LO\x01\x03"), Ok(Request::Stats));
    assert_eq!(Request::Stats.op(), Op::Stats);
}

#[test]
fn append_response_layout_is_byte_exact() {
    let mut j = journal();
    let r = serve(&mut j, 5, &oracle::append(3, b"a", b"b", b""));
    let mut expected = b"LO\x01\x81\x00".to_vec();
    expected.extend_from_slice(&1u64.to_le_bytes());
    expected.extend_from_slice(&0u64.to_le_bytes());
    assert_eq!(r, expected);
}

#[test]
fn query_response_layout_is_byte_exact() {
    let mut j = journal();
    serve(&mut j, 0x1111, &oracle::append(4, b"sc", b"msg", b"k=v"));
    let r = serve(&mut j, 0, &oracle::query(0, 16));
    let mut expected = b"LO\x01\x82\x00\x01\x00".to_vec();
    expected.extend_from_slice(&1u64.to_le_bytes()); // record_id
    expected.extend_from_slice(&0x1111u64.to_le_bytes()); // timestamp
    expected.extend_from_slice(&ORIGIN.0.to_le_bytes()); // service_id
    expected.extend_from_slice(&[4, 2, 3, 0, 3, 0]); // level, scope_len, msg_len, fields_len
    expected.extend_from_slice(b"scmsgk=v");
    expected.extend_from_slice(&1u64.to_le_bytes()); // total
    expected.extend_from_slice(&0u64.to_le_bytes()); // dropped
    assert_eq!(r, expected);
    let (status, records, total, dropped) = oracle::read_query_response(&r);
    assert_eq!((status, records.len(), total, dropped), (0, 1, 1, 0));
    assert_eq!(records[0].service, ORIGIN.0);
}

#[test]
fn stats_response_layout_is_byte_exact() {
    let config = JournalConfig {
        capacity_records: 3,
        capacity_bytes: 1000,
    };
    let mut j = Journal::new(config).unwrap();
    serve(&mut j, 1, &oracle::append(3, b"", &[b'x'; 10], b"")); // 40 bytes
    let r = serve(&mut j, 2, &oracle::stats());
    assert_eq!(r.len(), 37);
    assert_eq!(&r[..5], b"LO\x01\x83\x00");
    assert_eq!(u64_at(&r, 5), 1, "total");
    assert_eq!(u64_at(&r, 13), 0, "dropped");
    assert_eq!(u32_at(&r, 21), 3, "capacity_records");
    assert_eq!(u32_at(&r, 25), 1000, "capacity_bytes");
    assert_eq!(u32_at(&r, 29), 1, "used_records");
    assert_eq!(u32_at(&r, 33), 40, "used_bytes");
}

#[test]
fn error_responses_carry_the_current_counters() {
    let config = JournalConfig {
        capacity_records: 1,
        capacity_bytes: 1000,
    };
    let mut j = Journal::new(config).unwrap();
    for _ in 0..3 {
        serve(&mut j, 1, &oracle::append(3, b"", b"x", b""));
    }
    let r = serve(&mut j, 1, &oracle::append(0, b"", b"x", b""));
    assert_eq!(r[4], Status::Malformed as u8);
    assert_eq!(
        (u64_at(&r, 5), u64_at(&r, 13)),
        (0, 2),
        "record_id 0, dropped 2"
    );
    let r = serve(&mut j, 1, &oracle::query(0, 17));
    let (status, records, total, dropped) = oracle::read_query_response(&r);
    assert_eq!((status, records.len(), total, dropped), (3, 0, 3, 2));
}

#[test]
fn responses_decode_and_reject_damage() {
    let mut j = journal();
    let append = serve(&mut j, 1, &oracle::append(3, b"a", b"b", b""));
    assert!(
        matches!(Response::decode_for(Op::Append, &append), Ok(Response::Append(a)) if a.record_id == 1)
    );
    assert!(matches!(
        Response::decode_for(Op::Query, &append),
        Err(FrameError::UnexpectedOp {
            expected: 0x82,
            found: 0x81
        })
    ));
    let query = serve(&mut j, 1, &oracle::query(0, 16));
    let Ok(Response::Query(q)) = Response::decode(&query) else {
        panic!("query response")
    };
    assert_eq!(q.records().count(), 1);
    for cut in 0..query.len() {
        assert!(Response::decode(&query[..cut]).is_err(), "cut at {cut}");
    }
    let mut bad_status = append.clone();
    bad_status[4] = 9;
    assert_eq!(
        Response::decode(&bad_status),
        Err(FrameError::UnknownStatus(9))
    );
    let mut bad_count = query.clone();
    bad_count[5] = 2;
    assert!(
        Response::decode(&bad_count).is_err(),
        "count disagrees with records"
    );
    assert!(Response::decode(&vec![0; MAX_RESPONSE_LEN + 1]).is_err());
}

#[test]
fn service_ids_hold_the_os_and_the_host_identity_losslessly() {
    for (id, incarnation) in [(0u32, 0u32), (1, 1), (7, 3), (u32::MAX, u32::MAX)] {
        let s = ServiceId::from_kernel(id, incarnation);
        assert_eq!(s.0, (u64::from(incarnation) << 32) | u64::from(id));
        assert_eq!((s.kernel_id(), s.incarnation()), (id, incarnation));
    }
    assert_ne!(
        ServiceId::from_kernel(5, 1),
        ServiceId::from_kernel(5, 2),
        "a restarted program is told from its earlier run"
    );
    let host = ServiceId::from_uid_pid(1000, 4242);
    assert_eq!(host.0, (1000u64 << 32) | 4242);
    assert_eq!((host.uid(), host.pid()), (1000, 4242));
}
