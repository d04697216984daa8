//! crash.v1 reports: the exact marker, the bounded fields, the recent-record window, and
//! determinism.

use logd::crash::{sanitize_name, CRASH_SCOPE, MAX_BUILD_ID_LEN};
use logd::{
    CrashPolicy, CrashReport, Entry, ExitEvent, Fields, Journal, JournalConfig, Level, ServiceId,
};

fn event(name: &str, code: i64) -> ExitEvent<'_> {
    ExitEvent {
        pid: 42,
        code,
        name,
        service_id: None,
        build_id: None,
        dump_path: None,
        functions: None,
    }
}

fn journal_with(stamps: &[(u64, u64)]) -> Journal {
    let mut j = Journal::new(JournalConfig::DEFAULT).unwrap();
    for &(ts, service) in stamps {
        j.append(
            ts,
            ServiceId(service),
            &Entry::new(Level::Info, b"s", b"m", b"").unwrap(),
        );
    }
    j
}

#[test]
fn report_has_the_exact_marker_and_crash_v1_fields() {
    let j = journal_with(&[(1_000, 1), (5_000, 2), (9_000, 1)]);
    let policy = CrashPolicy {
        window_nsec: 5_000,
        max_records: 16,
    };
    let r = CrashReport::from_journal(&event("demo-app", -14), 10_000, policy, &j).unwrap();
    assert_eq!(
        r.message,
        "execd: crash report pid=42 code=-14 name=demo-app"
    );
    assert_eq!(
        String::from_utf8(r.fields.clone()).unwrap(),
        "code=-14\nevent=crash.v1\nname=demo-app\npid=42\nrecent_count=2\nrecent_window_nsec=5000"
    );
    assert_eq!(r.recent_record_ids, [2, 3]);
    let e = r.entry();
    assert_eq!(
        (e.level(), e.scope()),
        (Level::Error, CRASH_SCOPE.as_bytes())
    );
    assert_eq!(e.message(), r.message.as_bytes());
    let parsed = Fields::parse(e.fields()).unwrap();
    let keys: Vec<&str> = parsed.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "code",
            "event",
            "name",
            "pid",
            "recent_count",
            "recent_window_nsec"
        ]
    );
}

#[test]
fn clean_exit_is_not_a_crash() {
    assert_eq!(
        CrashReport::build(&event("a", 0), 0, CrashPolicy::DEFAULT, []),
        None
    );
}

#[test]
fn recent_records_are_bounded_by_window_count_and_service() {
    let stamps: Vec<(u64, u64)> = (0..40u64).map(|i| (i * 100, i % 2)).collect();
    let j = journal_with(&stamps);
    let cases: &[(&str, u64, u16, Option<u64>, u64, &[u64])] = &[
        // name, window, max, service, now, expected ids
        ("window only", 250, 16, None, 3_900, &[38, 39, 40]),
        (
            "count bound keeps the newest",
            10_000,
            4,
            None,
            3_900,
            &[37, 38, 39, 40],
        ),
        (
            "only the crashed service",
            450,
            16,
            Some(1),
            3_900,
            &[36, 38, 40],
        ),
        (
            "records after now are ignored",
            150,
            16,
            None,
            1_000,
            &[10, 11],
        ),
        ("window before the first record", 50, 16, None, 0, &[1]),
        ("empty journal window", 10, 16, None, 1_000_000, &[]),
    ];
    for &(name, window, max, service, now, expected) in cases {
        let ev = ExitEvent {
            pid: 7,
            code: 1,
            name: "x",
            service_id: service.map(ServiceId),
            build_id: None,
            dump_path: None,
            functions: None,
        };
        let policy = CrashPolicy {
            window_nsec: window,
            max_records: max,
        };
        let r = CrashReport::from_journal(&ev, now, policy, &j).unwrap();
        assert_eq!(r.recent_record_ids, expected, "{name}");
        let fields = Fields::parse(&r.fields).unwrap();
        assert_eq!(
            fields.get("recent_count"),
            Some(expected.len().to_string().as_str()),
            "{name}"
        );
        // The same report from the records in any order.
        let mut records: Vec<_> = j.records().collect();
        records.reverse();
        assert_eq!(
            CrashReport::build(&ev, now, policy, records),
            Some(r),
            "{name}: deterministic"
        );
    }
}

#[test]
fn names_are_one_line_and_bounded() {
    assert_eq!(sanitize_name("a\nb\tc\u{7f}"), "a?b?c?");
    let long = "é".repeat(40); // 80 bytes
    let cut = sanitize_name(&long);
    assert_eq!(cut.len(), 64);
    assert_eq!(sanitize_name(&"x".repeat(65)).len(), 64);
    let r = CrashReport::build(
        &event(&"\n".repeat(300), i64::MIN),
        u64::MAX,
        CrashPolicy::DEFAULT,
        [],
    )
    .unwrap();
    assert!(!r.message.contains('\n'));
    assert!(r.message.len() <= 256 && r.fields.len() <= 512);
    let e = r.entry();
    assert_eq!(
        e.message().len(),
        r.message.len(),
        "nothing cut from the entry"
    );
    assert!(r
        .message
        .starts_with("execd: crash report pid=42 code=-9223372036854775808 name=???"));
}

#[test]
fn build_id_and_dump_path_join_the_sorted_fields() {
    let ev = ExitEvent {
        build_id: Some("0123456789abcdef0123456789abcdef01234567"),
        dump_path: Some("state:/crash/123-crash-demo-15.nxcd"),
        ..event("crash-demo", -16)
    };
    let r = CrashReport::build(&ev, 1_000, CrashPolicy::DEFAULT, []).unwrap();
    assert_eq!(
        String::from_utf8(r.fields.clone()).unwrap(),
        "build_id=0123456789abcdef0123456789abcdef01234567\ncode=-16\n\
         dump_path=state:/crash/123-crash-demo-15.nxcd\nevent=crash.v1\nname=crash-demo\n\
         pid=42\nrecent_count=0\nrecent_window_nsec=10000000000"
    );
    assert_eq!(
        r.message,
        "execd: crash report pid=42 code=-16 name=crash-demo"
    );
}

/// The largest fixed pairs: the longest name, code, pid and window.
fn widest(build_id: &str, dump_path: &str) -> Fields {
    let name = "n".repeat(200);
    let ev = ExitEvent {
        pid: u32::MAX,
        code: i64::MIN,
        name: &name,
        service_id: None,
        build_id: Some(build_id),
        dump_path: Some(dump_path),
        functions: None,
    };
    let policy = CrashPolicy {
        window_nsec: u64::MAX,
        max_records: u16::MAX,
    };
    let r = CrashReport::build(&ev, u64::MAX, policy, []).unwrap();
    assert!(r.fields.len() <= 512, "{} bytes", r.fields.len());
    Fields::parse(&r.fields).unwrap()
}

#[test]
fn values_over_the_cap_are_cut_and_named_never_dropped() {
    // Both fit: nothing cut, no `truncated` pair.
    let f = widest("ab", "state:/crash/x.nxcd");
    assert_eq!(f.get("dump_path"), Some("state:/crash/x.nxcd"));
    assert_eq!(f.get("truncated"), None);
    // A path too long for what remains is cut to fit, and named.
    let long = "p".repeat(600);
    let f = widest("ab", &long);
    let kept = f.get("dump_path").unwrap();
    assert!(
        long.starts_with(kept) && kept.len() >= 200,
        "{}",
        kept.len()
    );
    assert_eq!(f.get("truncated"), Some("dump_path"));
    assert_eq!(f.get("build_id"), Some("ab"));
    // The cut uses every byte the cap leaves.
    assert_eq!(f.encoded_len(), 512);
    // A build-id over its bound is cut to it, and named with the path.
    let id = "f".repeat(MAX_BUILD_ID_LEN + 5);
    let f = widest(&id, &long);
    assert_eq!(f.get("build_id").map(str::len), Some(MAX_BUILD_ID_LEN));
    assert_eq!(f.get("truncated"), Some("build_id,dump_path"));
    // Control characters in a value become `?`; a path cut inside a character keeps
    // whole characters only.
    let f = widest("a\nb", &"é".repeat(300));
    assert_eq!(f.get("build_id"), Some("a?b"));
    let path = f.get("dump_path").unwrap();
    assert!(path.chars().all(|c| c == 'é'));
}

#[test]
fn a_path_that_just_fits_is_kept_whole() {
    let probe = widest("ab", &"p".repeat(600));
    let kept = probe.get("dump_path").unwrap().len();
    // Without the `truncated` pair there is room for its length more.
    let room = kept + "\ntruncated=dump_path".len();
    let f = widest("ab", &"q".repeat(room));
    assert_eq!(f.get("dump_path").map(str::len), Some(room));
    assert_eq!(f.get("truncated"), None);
    let f = widest("ab", &"q".repeat(room + 1));
    assert_eq!(f.get("truncated"), Some("dump_path"));
}

#[test]
fn functions_follow_the_path_and_are_cut_after_it() {
    let chain =
        "crash_demo::crash_inner;crash_demo::crash_middle<crash_demo::crash_outer;crash_demo::main";
    let ev = ExitEvent {
        build_id: Some("ab"),
        dump_path: Some("state:/crash/1-crash-demo-15.nxcd"),
        functions: Some(chain),
        ..event("crash-demo", -16)
    };
    let r = CrashReport::build(&ev, 1_000, CrashPolicy::DEFAULT, []).unwrap();
    let f = Fields::parse(&r.fields).unwrap();
    assert_eq!(f.get("functions"), Some(chain));
    assert_eq!(f.get("truncated"), None);
    // A chain too long for what remains is cut to fit, the path kept whole, both named
    // only as far as they were cut.
    let long = "f<".repeat(400);
    let name = "n".repeat(200);
    let ev = ExitEvent {
        pid: u32::MAX,
        code: i64::MIN,
        name: &name,
        service_id: None,
        build_id: Some("ab"),
        dump_path: Some("state:/crash/1-crash-demo-15.nxcd"),
        functions: Some(&long),
    };
    let policy = CrashPolicy {
        window_nsec: u64::MAX,
        max_records: u16::MAX,
    };
    let r = CrashReport::build(&ev, u64::MAX, policy, []).unwrap();
    assert!(r.fields.len() <= 512);
    let f = Fields::parse(&r.fields).unwrap();
    assert_eq!(
        f.get("dump_path"),
        Some("state:/crash/1-crash-demo-15.nxcd")
    );
    let kept = f.get("functions").unwrap();
    assert!(
        long.starts_with(kept) && kept.len() >= 180,
        "{}",
        kept.len()
    );
    assert_eq!(f.get("truncated"), Some("functions"));
    assert_eq!(f.encoded_len(), 512);
    // Path and chain both too long: both cut, both named, in key order.
    let ev = ExitEvent {
        dump_path: Some(&long),
        ..ev
    };
    let r = CrashReport::build(&ev, u64::MAX, policy, []).unwrap();
    let f = Fields::parse(&r.fields).unwrap();
    assert_eq!(f.get("truncated"), Some("dump_path,functions"));
    assert!(r.fields.len() <= 512);
}
