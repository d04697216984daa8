//! Properties: no byte string panics the frame parser, the request handler or the response
//! decoder; every response is a well-formed frame within 2048 bytes; encodings roundtrip.

use logd::wire::{MAX_REQUEST_LEN, MAX_RESPONSE_LEN};
use logd::{
    encode_append, handle_request, Entry, Journal, JournalConfig, Level, Request, Response,
    ServiceId, Status,
};
use proptest::prelude::*;

use super::oracle;

/// Feeds one frame to every parser and checks the handler's response: the fuzz target's
/// body.
fn exercise(frame: &[u8]) {
    logd::fuzz::logd_frame(frame);
}

/// Frames near the valid ones: a valid frame with some bytes overwritten, cut or extended.
fn near_valid() -> impl Strategy<Value = Vec<u8>> {
    let base = prop_oneof![
        (
            0u8..8,
            proptest::collection::vec(any::<u8>(), 0..70),
            proptest::collection::vec(any::<u8>(), 0..300),
            proptest::collection::vec(any::<u8>(), 0..600)
        )
            .prop_map(|(l, s, m, f)| oracle::append(l, &s, &m, &f)),
        (any::<u64>(), 0u16..40).prop_map(|(s, m)| oracle::query(s, m)),
        Just(oracle::stats()),
    ];
    (
        base,
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        any::<usize>(),
        proptest::collection::vec(any::<u8>(), 0..3),
    )
        .prop_map(|(mut frame, flips, cut, tail)| {
            for (at, byte) in flips {
                if !frame.is_empty() {
                    let i = at % frame.len();
                    frame[i] = byte;
                }
            }
            frame.truncate(cut % (frame.len() + 2));
            frame.extend(tail);
            frame
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_byte_string_panics_the_parsers(frame in proptest::collection::vec(any::<u8>(), 0..(MAX_REQUEST_LEN + 64))) {
        exercise(&frame);
    }

    #[test]
    fn no_near_valid_frame_panics_the_parsers(frame in near_valid()) {
        exercise(&frame);
    }

    #[test]
    fn valid_appends_roundtrip_through_the_journal(
        level in 1u8..=5,
        scope in proptest::collection::vec(any::<u8>(), 0..=64),
        msg in proptest::collection::vec(any::<u8>(), 0..=256),
        fields in proptest::collection::vec(any::<u8>(), 0..=512),
    ) {
        let level = Level::from_byte(level).unwrap();
        let entry = Entry::new(level, &scope, &msg, &fields).unwrap();
        let frame = encode_append(&entry);
        prop_assert_eq!(&frame, &oracle::append(level as u8, &scope, &msg, &fields));
        prop_assert_eq!(Request::parse(&frame), Ok(Request::Append(entry)));
        let mut j = Journal::new(JournalConfig::DEFAULT).unwrap();
        j.append(5, ServiceId(9), &entry);
        let stored = j.records().next().unwrap();
        prop_assert_eq!(stored.entry(), entry);
        prop_assert_eq!(stored.encoded_len(), entry.record_len());
        // A parsed frame is stored by copying its payload; the bytes must be the same as
        // storing the entry part by part.
        let mut from_frame = Journal::new(JournalConfig::DEFAULT).unwrap();
        let Ok(Request::Append(parsed)) = Request::parse(&frame) else { panic!("parses") };
        from_frame.append(5, ServiceId(9), &parsed);
        let query = oracle::query(0, 16);
        let mut a = [0u8; MAX_RESPONSE_LEN];
        let mut b = [0u8; MAX_RESPONSE_LEN];
        let la = handle_request(&mut j, ServiceId(1), 0, &query, &mut a);
        let lb = handle_request(&mut from_frame, ServiceId(1), 0, &query, &mut b);
        prop_assert_eq!(&a[..la], &b[..lb]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Whatever the sizes, the order of wraps and the bounds, every record held reads back
    /// exactly as appended (no placement in the ring overwrites a record still held), the
    /// held ids are `dropped + 1 ..= total`, and both bounds hold.
    #[test]
    fn the_ring_never_overwrites_a_held_record(
        capacity_records in 1u32..40,
        capacity_bytes in 862u32..4000,
        appends in proptest::collection::vec(
            (0usize..=64, 0usize..=256, 0usize..=512, any::<bool>()),
            1..200,
        ),
    ) {
        let config = JournalConfig { capacity_records, capacity_bytes };
        let mut j = Journal::new(config).unwrap();
        let mut model: std::collections::VecDeque<(u64, Vec<u8>, Vec<u8>, Vec<u8>)> =
            std::collections::VecDeque::new();
        let mut out = [0u8; MAX_RESPONSE_LEN];
        for (i, (s, m, f, as_frame)) in appends.into_iter().enumerate() {
            let fill = |n: usize, salt: u8| -> Vec<u8> {
                (0..n).map(|k| (k as u8).wrapping_mul(31).wrapping_add(salt ^ i as u8)).collect()
            };
            let (scope, msg, fields) = (fill(s, 1), fill(m, 2), fill(f, 3));
            let entry = Entry::new(Level::Warn, &scope, &msg, &fields).unwrap();
            if as_frame {
                let len = handle_request(&mut j, ServiceId(3), i as u64, &encode_append(&entry), &mut out);
                prop_assert_eq!(Response::decode(&out[..len]).unwrap().status(), Status::Ok);
            } else {
                j.append(i as u64, ServiceId(3), &entry);
            }
            model.push_back((j.total(), scope, msg, fields));
            let stats = j.stats();
            while model.len() > stats.used_records as usize {
                model.pop_front();
            }
            prop_assert!(stats.used_records <= capacity_records && stats.used_bytes <= capacity_bytes);
            prop_assert_eq!(stats.total - stats.dropped, u64::from(stats.used_records));
            let held: Vec<_> = j.records().collect();
            prop_assert_eq!(held.len(), model.len());
            for (r, (id, scope, msg, fields)) in held.iter().zip(&model) {
                prop_assert_eq!(r.record_id, *id);
                prop_assert_eq!((r.scope, r.message, r.fields), (&scope[..], &msg[..], &fields[..]));
            }
            prop_assert_eq!(held.first().map(|r| r.record_id), Some(stats.dropped + 1));
        }
    }
}
