//! Property tests: no mutation of a valid file panics the reader, and arbitrary dumps
//! roundtrip exactly.

use nxcd::{BuildId, Container, Dump, DumpId, Frame, Limits, LogRecord, SectionName, ServiceId};
use proptest::prelude::*;

use super::fixtures::{full_dump, minimal_dump};

/// Runs every accessor a consumer would, to surface any panic.
fn exercise(bytes: &[u8]) {
    if let Ok(container) = Container::parse(bytes, &Limits::DEFAULT) {
        let _ = container.minor_version();
        let _ = container.entries().len();
        for s in SectionName::ALL {
            let _ = container.section(s);
        }
        let _ = Dump::from_container(&container);
    }
    if let Ok(dump) = Dump::decode(bytes) {
        let _ = dump.encode();
        for f in &dump.frames {
            let _ = dump.link_address(f.pc);
            let _ = f.locations();
        }
    }
}

fn valid_files() -> Vec<Vec<u8>> {
    vec![
        full_dump().encode().unwrap(),
        minimal_dump().encode().unwrap(),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::FlipBit(i, b) => {
            if let Some(byte) = bytes.get_mut(i % len) {
                *byte ^= 1 << b;
            }
        }
        Mutation::SetByte(i, v) => {
            if let Some(byte) = bytes.get_mut(i % len) {
                *byte = *v;
            }
        }
        Mutation::Truncate(i) => bytes.truncate(i % len),
        Mutation::Insert(i, v) => {
            let at = i % (bytes.len() + 1);
            bytes.splice(at..at, v.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let at = i % len;
            let end = (at + n).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_files_never_panic_the_reader(
        which in 0usize..2,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = valid_files().swap_remove(which);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        exercise(&bytes);
    }

    #[test]
    fn random_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
        // With a valid magic and version, so the parser gets further.
        let mut prefixed = b"\x89NXCD\r\n\x1a\x02\x00".to_vec();
        prefixed.extend_from_slice(&bytes);
        exercise(&prefixed);
    }

    #[test]
    fn arbitrary_dumps_roundtrip(
        process in "[ -~]{0,32}",
        message in proptest::collection::vec(any::<u8>(), 0..64),
        fields in proptest::collection::vec(any::<u8>(), 0..64),
        level in 1u64..=5,
        pcs in proptest::collection::vec(any::<u64>(), 0..8),
        created_ns in any::<u64>(),
        build_id in proptest::collection::vec(any::<u8>(), 1..=64),
        id in "[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}",
    ) {
        let mut dump = full_dump();
        dump.header.process = process;
        dump.header.created_ns = created_ns;
        dump.header.dump_id = DumpId::new(&id).unwrap();
        dump.header.build_id = BuildId::new(&build_id).unwrap();
        dump.frames = pcs.into_iter().map(Frame::at).collect();
        dump.logs = Some(vec![LogRecord {
            record_id: 1,
            timestamp_nsec: created_ns,
            service_id: ServiceId(9),
            level: nxcd::level_from_number(level).unwrap(),
            scope: b"s".to_vec(),
            message,
            fields,
        }]);
        let bytes = dump.encode().unwrap();
        prop_assert_eq!(Dump::decode(&bytes).unwrap(), dump);
    }
}
