//! Journal rules: bounds by count and by bytes with drop-oldest and counters, record ids,
//! the clock rule, QUERY ordering, `since` filtering, the 16-record and 2048-byte limits,
//! and paging without loss or repetition.

use logd::wire::{MAX_RECORD_LEN, MAX_RESPONSE_LEN, QUERY_RESPONSE_FIXED_LEN, RECORD_FIXED_LEN};
use logd::{ConfigError, Entry, Journal, JournalConfig, Level, Query, ServiceId, Stats};

use super::frames::{serve, ORIGIN};
use super::oracle;

fn entry(msg: &[u8]) -> Entry<'_> {
    Entry::new(Level::Info, b"t", msg, b"").unwrap()
}

fn ids(j: &Journal) -> Vec<u64> {
    j.records().map(|r| r.record_id).collect()
}

#[test]
fn capacities_are_validated() {
    let cases = [
        (0, 10_000, Err(ConfigError::NoRecords)),
        (
            1,
            861,
            Err(ConfigError::BytesTooSmall {
                capacity_bytes: 861,
                min: 862,
            }),
        ),
        (1, 862, Ok(())),
    ];
    for (records, bytes, expected) in cases {
        let config = JournalConfig {
            capacity_records: records,
            capacity_bytes: bytes,
        };
        assert_eq!(config.validate(), expected);
        assert_eq!(Journal::new(config).map(|_| ()), expected);
    }
    assert_eq!(MAX_RECORD_LEN, 862);
}

#[test]
fn overflow_by_count_drops_the_oldest_with_counters() {
    let mut j = Journal::new(JournalConfig {
        capacity_records: 3,
        capacity_bytes: 100_000,
    })
    .unwrap();
    let table: &[(u64, &[u64], u64)] = &[
        // (append number, ids held after it, dropped after it)
        (1, &[1], 0),
        (2, &[1, 2], 0),
        (3, &[1, 2, 3], 0),
        (4, &[2, 3, 4], 1),
        (5, &[3, 4, 5], 2),
        (6, &[4, 5, 6], 3),
    ];
    for &(n, held, dropped) in table {
        let a = j.append(n * 10, ORIGIN, &entry(b"m"));
        assert_eq!(a.record_id, n);
        assert_eq!(a.evicted, u32::from(n > 3));
        assert_eq!(ids(&j), held, "after append {n}");
        let s = j.stats();
        assert_eq!(
            (s.total, s.dropped, s.used_records),
            (n, dropped, held.len() as u32)
        );
    }
}

#[test]
fn overflow_by_bytes_drops_until_the_new_record_fits() {
    // Records of 30 + 1 (scope) + len bytes against a 1000-byte bound.
    let mut j = Journal::new(JournalConfig {
        capacity_records: 100,
        capacity_bytes: 1000,
    })
    .unwrap();
    let sizes = [200usize, 200, 200, 200, 100]; // 5 records of 231,231,231,231,131 = 1055 > 1000
    for (i, &len) in sizes.iter().enumerate() {
        j.append(i as u64, ORIGIN, &entry(&vec![b'x'; len]));
    }
    assert_eq!(ids(&j), [2, 3, 4, 5], "record 1 dropped to make room");
    let s = j.stats();
    assert_eq!((s.total, s.dropped, s.used_bytes), (5, 1, 231 * 3 + 131));
    // A largest record (862 bytes) evicts as many as it needs: 824 + 862 > 1000 until only
    // the 131-byte record is left (131 + 862 = 993).
    let big = Entry::new(Level::Error, &[b's'; 64], &[b'm'; 256], &[b'f'; 512]).unwrap();
    assert_eq!(big.record_len(), 862);
    let a = j.append(10, ORIGIN, &big);
    assert_eq!(a.evicted, 3);
    assert_eq!(ids(&j), [5, 6]);
    assert_eq!(j.stats().used_bytes, 993);
    assert_eq!(j.stats().dropped, 4);
}

#[test]
fn bytes_counted_are_the_query_encoding() {
    let mut j = Journal::new(JournalConfig::DEFAULT).unwrap();
    let e = Entry::new(Level::Info, b"scope", b"message!", b"a=1").unwrap();
    j.append(1, ORIGIN, &e);
    assert_eq!(j.stats().used_bytes as usize, RECORD_FIXED_LEN + 5 + 8 + 3);
    let r = serve(&mut j, 2, &oracle::query(0, 1));
    assert_eq!(
        r.len() - QUERY_RESPONSE_FIXED_LEN,
        j.stats().used_bytes as usize
    );
}

#[test]
fn both_bounds_hold_under_a_long_mixed_run() {
    let config = JournalConfig {
        capacity_records: 50,
        capacity_bytes: 5000,
    };
    let mut j = Journal::new(config).unwrap();
    let mut expected_dropped = 0u64;
    for i in 0..5000u64 {
        let len = (i * 7919 % 800) as usize;
        let fields_len = (i * 31 % 513) as usize;
        let scope_len = (i % 65) as usize;
        let e = Entry::new(
            Level::Debug,
            &[b's'; 64][..scope_len],
            &[b'm'; 256][..len.min(256)],
            &[b'f'; 512][..fields_len],
        )
        .unwrap();
        let before = j.stats().used_records;
        let a = j.append(i, ORIGIN, &e);
        expected_dropped += u64::from(a.evicted);
        let s = j.stats();
        assert!(
            s.used_records <= 50 && s.used_bytes <= 5000,
            "bounds at {i}: {s:?}"
        );
        assert_eq!(s.used_records, before + 1 - a.evicted);
        assert_eq!(s.total - s.dropped, u64::from(s.used_records));
        let held = ids(&j);
        assert_eq!(
            held.first().copied(),
            Some(s.dropped + 1),
            "oldest held id is dropped + 1"
        );
        assert_eq!(held.last().copied(), Some(s.total));
        let sum: usize = j.records().map(|r| r.encoded_len()).sum();
        assert_eq!(sum, s.used_bytes as usize);
        let newest = j.records().next_back().unwrap();
        assert_eq!(
            (newest.scope.len(), newest.fields.len()),
            (scope_len, fields_len)
        );
    }
    assert_eq!(j.dropped(), expected_dropped);
}

#[test]
fn timestamps_strictly_increase_whatever_the_clock_does() {
    let mut j = Journal::new(JournalConfig::DEFAULT).unwrap();
    let clock = [100u64, 100, 100, 50, 0, 200, 200, u64::MAX - 1, 3];
    let stamps: Vec<u64> = clock
        .iter()
        .map(|&now| j.append(now, ORIGIN, &entry(b"x")).timestamp_nsec)
        .collect();
    assert_eq!(
        stamps,
        [100, 101, 102, 103, 104, 200, 201, u64::MAX - 1, u64::MAX]
    );
    let mut zero = Journal::new(JournalConfig::DEFAULT).unwrap();
    let stamps: Vec<u64> = (0..4)
        .map(|_| zero.append(0, ORIGIN, &entry(b"x")).timestamp_nsec)
        .collect();
    assert_eq!(stamps, [0, 1, 2, 3], "no clock: stamps count from 0");
}

#[test]
fn query_returns_records_since_inclusive_oldest_first() {
    let mut j = Journal::new(JournalConfig::DEFAULT).unwrap();
    for t in [10u64, 20, 30, 40, 50] {
        j.append(t, ServiceId(t), &entry(b"x"));
    }
    let cases: &[(u64, u16, &[u64])] = &[
        (0, 16, &[10, 20, 30, 40, 50]),
        (30, 16, &[30, 40, 50]),
        (31, 16, &[40, 50]),
        (50, 16, &[50]),
        (51, 16, &[]),
        (u64::MAX, 16, &[]),
        (0, 2, &[10, 20]),
        (20, 2, &[20, 30]),
        (0, 0, &[]),
    ];
    for &(since, max, expected) in cases {
        let r = serve(&mut j, 0, &oracle::query(since, max));
        let (status, records, total, dropped) = oracle::read_query_response(&r);
        let got: Vec<u64> = records.iter().map(|r| r.ts).collect();
        assert_eq!(
            (status, got.as_slice(), total, dropped),
            (0, expected, 5, 0),
            "since {since} max {max}"
        );
        assert!(
            records.iter().all(|r| r.service == r.ts),
            "origin kept per record"
        );
        let direct: Vec<u64> = j
            .query(Query {
                since_nsec: since,
                max_count: max,
            })
            .map(|r| r.timestamp_nsec)
            .collect();
        assert_eq!(direct, expected, "Journal::query agrees with the frame");
    }
}

#[test]
fn query_returns_at_most_16_records() {
    let mut j = Journal::new(JournalConfig::DEFAULT).unwrap();
    for t in 0..40 {
        j.append(t, ORIGIN, &entry(b"0123456789abcdef0123456789abcdef"));
    }
    let (_, records, total, _) =
        oracle::read_query_response(&serve(&mut j, 0, &oracle::query(0, 16)));
    assert_eq!(records.len(), 16);
    assert_eq!(records.first().map(|r| r.id), Some(1));
    assert_eq!(records.last().map(|r| r.id), Some(16));
    assert_eq!(total, 40);
}

#[test]
fn query_response_stops_at_2048_bytes() {
    // Record sizes chosen to land exactly on, and one byte over, the 2048-byte limit.
    let budget = MAX_RESPONSE_LEN - QUERY_RESPONSE_FIXED_LEN; // 2025
    let cases: &[(&str, Vec<usize>, usize)] = &[
        (
            "largest records: two fit, the third does not",
            vec![862; 5],
            2,
        ),
        ("exactly 2048 bytes", vec![862, 862, budget - 2 * 862], 3),
        (
            "one byte over 2048",
            vec![862, 862, budget - 2 * 862 + 1, 40],
            2,
        ),
        ("small records: 16 fit", vec![40; 20], 16),
    ];
    for (name, sizes, expected) in cases {
        let mut j = Journal::new(JournalConfig {
            capacity_records: 100,
            capacity_bytes: 100_000,
        })
        .unwrap();
        for (i, &size) in sizes.iter().enumerate() {
            let payload = size - RECORD_FIXED_LEN;
            let fields = payload.min(512);
            let msg = (payload - fields).min(256);
            let scope = payload - fields - msg;
            let e = Entry::new(
                Level::Info,
                &[b's'; 64][..scope],
                &[b'm'; 256][..msg],
                &[b'f'; 512][..fields],
            )
            .unwrap();
            assert_eq!(e.record_len(), size);
            j.append(i as u64, ORIGIN, &e);
        }
        let r = serve(&mut j, 0, &oracle::query(0, 16));
        let (_, records, _, _) = oracle::read_query_response(&r);
        assert_eq!(records.len(), *expected, "{name}");
        assert!(r.len() <= MAX_RESPONSE_LEN, "{name}: {} bytes", r.len());
        let ids: Vec<u64> = records.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            (1..=*expected as u64).collect::<Vec<_>>(),
            "{name}: whole records, oldest first"
        );
    }
}

/// Pages through the journal the documented way; returns ids seen and gaps.
fn page_all(j: &mut Journal, last: &mut Option<(u64, u64)>) -> (Vec<u64>, u64) {
    let mut seen = Vec::new();
    let mut gaps = 0;
    for _ in 0..1000 {
        let since = last.map_or(0, |(_, ts)| ts + 1);
        let (_, records, _, dropped) =
            oracle::read_query_response(&serve(j, 0, &oracle::query(since, 16)));
        let last_id = last.map_or(0, |(id, _)| id);
        if let Some(first) = records.first() {
            gaps += first.id - last_id - 1;
        } else if dropped > last_id {
            gaps += dropped - last_id;
        }
        if records.is_empty() {
            break;
        }
        for r in &records {
            seen.push(r.id);
            *last = Some((r.id, r.ts));
        }
    }
    (seen, gaps)
}

#[test]
fn paging_with_since_last_plus_one_sees_every_id_once_or_counts_it_dropped() {
    let mut j = Journal::new(JournalConfig {
        capacity_records: 20,
        capacity_bytes: 100_000,
    })
    .unwrap();
    let mut last = None;
    let mut seen_all = Vec::new();
    let mut gaps_all = 0;
    let mut appended = 0u64;
    // Bursts larger and smaller than the capacity, with a clock that stalls.
    for burst in [5u64, 30, 1, 0, 19, 21, 64, 3] {
        for _ in 0..burst {
            appended += 1;
            j.append(appended / 4, ORIGIN, &entry(b"x"));
        }
        let (seen, gaps) = page_all(&mut j, &mut last);
        seen_all.extend(seen);
        gaps_all += gaps;
    }
    let mut sorted = seen_all.clone();
    sorted.dedup();
    assert_eq!(sorted, seen_all, "no id delivered twice, in order");
    assert_eq!(
        seen_all.len() as u64 + gaps_all,
        appended,
        "every id delivered or counted"
    );
    assert!(gaps_all <= j.dropped(), "gaps are drops");
}

#[test]
fn stats_track_occupancy() {
    let mut j = Journal::new(JournalConfig {
        capacity_records: 2,
        capacity_bytes: 10_000,
    })
    .unwrap();
    assert_eq!(
        j.stats(),
        Stats {
            total: 0,
            dropped: 0,
            capacity_records: 2,
            capacity_bytes: 10_000,
            used_records: 0,
            used_bytes: 0
        }
    );
    j.append(0, ORIGIN, &entry(b"ab"));
    j.append(0, ORIGIN, &entry(b"abc"));
    j.append(0, ORIGIN, &entry(b"abcd"));
    let s = j.stats();
    assert_eq!(
        (s.total, s.dropped, s.used_records, s.used_bytes),
        (3, 1, 2, 34 + 35)
    );
}

#[test]
fn storage_is_allocated_once() {
    let config = JournalConfig {
        capacity_records: 4,
        capacity_bytes: 2000,
    };
    assert_eq!(config.storage_bytes(), 2000 + 862 + 4 * 8);
}
