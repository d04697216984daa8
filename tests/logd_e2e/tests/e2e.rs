//! End-to-end: the `logd` daemon with client processes (`nx log`) of distinct pids and,
//! in a test of its own that needs root (CI runs as root), of other uids; identity that
//! cannot be forged through the payload; memory that stays within the journal's capacity
//! under a flood; `nx log tail` accounting for every record id under a flood; wire errors
//! over the socket; pipelining; the ready line and the socket path rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::process::CommandExt as _;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use logd::wire::MAX_REQUEST_LEN;
use logd::{encode_append, Entry, Level, Op, Query, Record, Response, ServiceId, Status};
use logd_e2e::{binaries, is_root, proc_status_kib, Daemon, KillOnDrop, SharedNx};

/// The uids the multi-uid checks run clients under (nobody and one below).
const OTHER_UIDS: [u32; 2] = [65534, 65533];

fn nx(daemon: &Daemon) -> Command {
    let mut cmd = Command::new(&binaries().unwrap().nx);
    cmd.arg("log")
        .env("LOGD_SOCKET", daemon.socket())
        .stdin(Stdio::null());
    cmd
}

/// `nx log` run as `uid` (its group too): from a copy every uid can reach, in `/`, so
/// the checkout's place (a home other users cannot enter) does not matter.
fn nx_as(daemon: &Daemon, shared: &SharedNx, uid: u32) -> Command {
    let mut cmd = Command::new(shared.path());
    cmd.arg("log")
        .env("LOGD_SOCKET", daemon.socket())
        .current_dir("/")
        .uid(uid)
        .gid(uid)
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pid {pid}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every record in the journal, paging with `since = last + 1`.
fn all_records(daemon: &Daemon) -> Vec<Record> {
    let mut client = daemon.client().unwrap();
    let mut records: Vec<Record> = Vec::new();
    for _ in 0..10_000 {
        let since = records.last().map_or(0, |r| r.timestamp_nsec + 1);
        let page = client
            .query(Query {
                since_nsec: since,
                max_count: 16,
            })
            .unwrap();
        if page.records.is_empty() {
            return records;
        }
        records.extend(page.records);
    }
    panic!("journal never ended");
}

/// Whether the multi-uid part can run. Not being root is a failure, unless the run opts
/// out explicitly with `LOGD_E2E_SKIP_UIDS=1` outside CI (CI runs the suite as root).
fn multi_uid_available(test: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: the multi-uid check needs root, and CI runs as root"
    );
    assert!(
        std::env::var("LOGD_E2E_SKIP_UIDS").is_ok_and(|v| v == "1"),
        "{test}: the multi-uid check needs root; run the suite as root, or set \
         LOGD_E2E_SKIP_UIDS=1 to skip this check explicitly"
    );
    eprintln!("{test}: not root and LOGD_E2E_SKIP_UIDS=1: the multi-uid check was skipped");
    false
}

/// Clients of other uids (needs root): each record carries its client's uid and pid, and
/// a uid written into the payload is not the origin.
#[test]
fn records_of_other_uids_carry_their_client_identity() {
    if !multi_uid_available("records_of_other_uids_carry_their_client_identity") {
        return;
    }
    client_process_identities(true);
    payload_identity_is_not_the_origin(Some(OTHER_UIDS[0]));
}

#[test]
fn each_record_carries_its_client_process_identity() {
    client_process_identities(false);
}

/// Four clients of this process's uid and, with `other_uids`, one client per uid in
/// `OTHER_UIDS`: each record carries its client's uid and pid.
fn client_process_identities(other_uids: bool) {
    let daemon = Daemon::start(&["--mode", "666"]).unwrap();
    let mut children = Vec::new();
    // Several client processes at once: distinct pids, same uid.
    for i in 0..4 {
        let child = nx(&daemon)
            .args([
                "append",
                "--scope",
                &format!("svc{i}"),
                &format!("hello from {i}"),
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        children.push((
            format!("svc{i}"),
            rustix::process::getuid().as_raw(),
            KillOnDrop(child),
        ));
    }
    if other_uids {
        let shared = SharedNx::new().unwrap();
        for uid in OTHER_UIDS {
            let child = nx_as(&daemon, &shared, uid)
                .args(["append", "--scope", &format!("uid{uid}"), "hello"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            children.push((format!("uid{uid}"), uid, KillOnDrop(child)));
        }
    }
    let mut expected = Vec::new();
    for (scope, uid, mut child) in children {
        let status = child.wait_timeout(Duration::from_secs(20)).unwrap();
        assert!(status.success(), "{scope}: {status}");
        expected.push((scope, ServiceId::from_uid_pid(uid, child.pid())));
    }
    let records = all_records(&daemon);
    assert_eq!(records.len(), expected.len());
    for (scope, id) in &expected {
        let r = records
            .iter()
            .find(|r| r.scope == scope.as_bytes())
            .unwrap();
        assert_eq!(r.service_id, *id, "{scope}");
    }
    let pids: std::collections::BTreeSet<u32> =
        records.iter().map(|r| r.service_id.pid()).collect();
    assert_eq!(pids.len(), records.len(), "distinct pids");
    if other_uids {
        let uids: std::collections::BTreeSet<u32> =
            records.iter().map(|r| r.service_id.uid()).collect();
        assert_eq!(uids.len(), 1 + OTHER_UIDS.len(), "distinct uids: {uids:?}");
    }
}

#[test]
fn identity_written_into_the_payload_is_not_the_origin() {
    payload_identity_is_not_the_origin(None);
}

/// A client claims root's identity in its payload, run as `as_uid` (else as this
/// process's uid); the record's origin is the client's real uid and pid.
fn payload_identity_is_not_the_origin(as_uid: Option<u32>) {
    let daemon = Daemon::start(&["--mode", "666"]).unwrap();
    let root = ServiceId::from_uid_pid(0, 1);
    let shared = SharedNx::new().unwrap();
    let mut cmd = match as_uid {
        Some(uid) => nx_as(&daemon, &shared, uid),
        None => nx(&daemon),
    };
    cmd.args([
        "append",
        "--scope",
        "init",
        "--field",
        &format!("service_id={}", root.0),
        "--field",
        "uid=0",
        "--field",
        "pid=1",
        &format!("service_id={} uid=0 pid=1", root.0),
    ]);
    let uid = as_uid.unwrap_or_else(|| rustix::process::getuid().as_raw());
    let child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let records = all_records(&daemon);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].scope, b"init");
    assert_eq!(
        records[0].service_id,
        ServiceId::from_uid_pid(uid, pid),
        "origin from SO_PEERCRED"
    );
    assert_ne!(records[0].service_id, root);
    // The same through nx's filters: the record is found by its real origin only.
    let by_pid = run(nx(&daemon).args(["query", "--pid", &pid.to_string(), "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&by_pid.stdout).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 1);
    assert_eq!(doc["records"][0]["uid"], uid);
    let by_claim = run(nx(&daemon).args(["query", "--service", &root.0.to_string(), "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&by_claim.stdout).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 0);
}

/// Appends `count` largest records from `threads` connections, pipelining 16 deep.
fn flood(daemon: &Daemon, threads: usize, count: usize) {
    let big = Entry::new(Level::Debug, &[b's'; 64], &[b'm'; 256], &[b'f'; 512]).unwrap();
    let frame = encode_append(&big);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let frame = &frame;
            s.spawn(move || {
                let mut client = daemon.client().unwrap();
                let mut in_flight = 0;
                for _ in 0..count / threads {
                    if in_flight == 16 {
                        let r = client.recv_frame().unwrap();
                        assert_eq!(Response::decode(r).unwrap().status(), Status::Ok);
                        in_flight -= 1;
                    }
                    client.send_frame(frame).unwrap();
                    in_flight += 1;
                }
                for _ in 0..in_flight {
                    let r = client.recv_frame().unwrap();
                    assert_eq!(Response::decode(r).unwrap().status(), Status::Ok);
                }
            });
        }
    });
}

#[test]
fn a_flood_keeps_the_daemon_memory_within_its_capacity() {
    let capacity_bytes = 256 * 1024;
    let daemon = Daemon::start(&[
        "--capacity-records",
        "4096",
        "--capacity-bytes",
        &capacity_bytes.to_string(),
    ])
    .unwrap();
    let baseline = proc_status_kib(daemon.pid(), "VmRSS").unwrap();
    let count = 24_000; // 24000 records of 862 bytes: about 20 MiB, 80 times the capacity
    flood(&daemon, 4, count);
    let stats = daemon.client().unwrap().stats().unwrap();
    assert_eq!(stats.total, count as u64);
    assert_eq!(stats.total - stats.dropped, u64::from(stats.used_records));
    assert!(stats.used_bytes <= capacity_bytes);
    let peak = proc_status_kib(daemon.pid(), "VmHWM").unwrap();
    let flooded_kib = (count * 862 / 1024) as u64;
    // The journal is allocated and touched before `logd: ready`, so growth past the
    // baseline is per-connection state (4 threads) and allocator noise only.
    let growth = peak.saturating_sub(baseline);
    eprintln!("daemon rss at ready {baseline} KiB, peak {peak} KiB, growth {growth} KiB, flooded {flooded_kib} KiB");
    assert!(
        growth < 2048,
        "daemon grew {growth} KiB under a {flooded_kib} KiB flood"
    );
}

#[derive(Debug)]
enum TailEvent {
    Record(u64),
    Gap {
        first: u64,
        last: u64,
        count: u64,
        dropped: u64,
    },
}

fn parse_tail(stdout: &[u8]) -> Vec<TailEvent> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["schema"], "nx.log.tail/1");
            match v["kind"].as_str().unwrap() {
                "record" => TailEvent::Record(v["id"].as_u64().unwrap()),
                "gap" => TailEvent::Gap {
                    first: v["first_id"].as_u64().unwrap(),
                    last: v["last_id"].as_u64().unwrap(),
                    count: v["count"].as_u64().unwrap(),
                    dropped: v["dropped"].as_u64().unwrap(),
                },
                other => panic!("unknown kind {other}"),
            }
        })
        .collect()
}

#[test]
fn tail_under_a_flood_accounts_for_every_record_id() {
    let daemon = Daemon::start(&["--capacity-records", "64", "--capacity-bytes", "65536"]).unwrap();
    let flooded = 12_000u64;
    let count = flooded + 1;
    // Record 1 first: once tail prints it, tail is reading and the flood may start.
    let first = Entry::new(Level::Info, b"start", b"1", b"").unwrap();
    assert_eq!(
        daemon.client().unwrap().append(&first).unwrap().record_id,
        1
    );
    let tail = nx(&daemon)
        .args([
            "tail",
            "--json",
            "-n",
            "1000000",
            "--poll-ms",
            "20",
            "--until-id",
            &count.to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut tail = KillOnDrop(tail);
    let stdout = tail.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = vec![rx.recv_timeout(Duration::from_secs(20)).unwrap()];
    flood(&daemon, 4, flooded as usize);
    let status = tail.wait_timeout(Duration::from_secs(40)).unwrap();
    assert!(status.success());
    lines.extend(rx.iter());
    let events = parse_tail(lines.join("\n").as_bytes());
    let final_dropped = daemon.client().unwrap().stats().unwrap().dropped;
    // Every id from the first one on appears exactly once, as a record or inside a gap.
    let mut next = match events.first() {
        Some(TailEvent::Record(id)) => *id,
        Some(TailEvent::Gap { first, .. }) => *first,
        None => panic!("tail printed nothing"),
    };
    let (mut delivered, mut gapped) = (0u64, 0u64);
    for event in &events {
        match *event {
            TailEvent::Record(id) => {
                assert_eq!(id, next, "record ids are delivered in order, none twice");
                delivered += 1;
                next = id + 1;
            }
            TailEvent::Gap {
                first,
                last,
                count,
                dropped,
            } => {
                assert_eq!(first, next, "a gap starts at the next id");
                assert_eq!(count, last - first + 1);
                assert_eq!(last, dropped, "a gap ends at the journal's dropped counter");
                gapped += count;
                next = last + 1;
            }
        }
    }
    assert_eq!(next, count + 1, "accounted up to the last id");
    assert_eq!(
        delivered + gapped,
        count,
        "ids 1..={count} all accounted for"
    );
    assert!(matches!(events.first(), Some(TailEvent::Record(1))));
    assert!(gapped <= final_dropped);
    eprintln!("tail: {delivered} delivered, {gapped} in gaps, journal dropped {final_dropped}");
}

#[test]
fn wire_errors_are_answered_and_the_connection_survives() {
    let daemon = Daemon::start(&[]).unwrap();
    let mut client = daemon.client().unwrap();
    let mut oversized = b"LO\x01\x01\x03\x00\x00\x00\x00\x00".to_vec();
    oversized.resize(4000, b'x');
    let mut over_largest = b"LO\x01\x01\x03\x40\x00\x01\x00\x02".to_vec();
    over_largest.resize(MAX_REQUEST_LEN + 1, b'x');
    let cases: Vec<(&str, Vec<u8>, Status)> = vec![
        ("oversized datagram", oversized, Status::TooLarge),
        (
            "one byte over the largest request",
            over_largest,
            Status::TooLarge,
        ),
        ("bad magic", b"XX\x01\x03".to_vec(), Status::Malformed),
        ("version 2", b"LO\x02\x03".to_vec(), Status::Unsupported),
        (
            "unknown opcode",
            b"LO\x01\x09".to_vec(),
            Status::Unsupported,
        ),
        (
            "scope over 64",
            [
                b"LO\x01\x01\x03\x41\x00\x00\x00\x00".as_slice(),
                &[b's'; 65],
            ]
            .concat(),
            Status::TooLarge,
        ),
        (
            "query count 17",
            b"LO\x01\x02\0\0\0\0\0\0\0\0\x11\x00".to_vec(),
            Status::TooLarge,
        ),
    ];
    for (name, frame, status) in cases {
        let response = client.call(&frame).unwrap();
        assert_eq!(
            Response::decode(response).unwrap().status(),
            status,
            "{name}"
        );
    }
    let entry = Entry::new(Level::Info, b"a", b"still served", b"").unwrap();
    assert_eq!(client.append(&entry).unwrap().record_id, 1);
    assert_eq!(client.stats().unwrap().total, 1);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let daemon = Daemon::start(&[]).unwrap();
    let mut client = daemon.client().unwrap();
    let entry = Entry::new(Level::Info, b"p", b"m", b"").unwrap();
    let frame = encode_append(&entry);
    for _ in 0..16 {
        client.send_frame(&frame).unwrap();
    }
    client.send_frame(&logd::encode_stats()).unwrap();
    for id in 1..=16u64 {
        match Response::decode_for(Op::Append, client.recv_frame().unwrap()).unwrap() {
            Response::Append(a) => assert_eq!(a.record_id, id),
            other => panic!("{other:?}"),
        }
    }
    match Response::decode_for(Op::Stats, client.recv_frame().unwrap()).unwrap() {
        Response::Stats(Status::Ok, stats) => assert_eq!(stats.total, 16),
        other => panic!("{other:?}"),
    }
}

/// Waits until `client` sees the daemon close its idle connection (at most `within`).
fn closed_by_the_daemon(client: &mut logd::host::Client, within: Duration) {
    client.set_timeout(Some(within)).unwrap();
    match client.recv_frame() {
        Err(logd::host::HostError::Full(_) | logd::host::HostError::Closed) => {}
        other => panic!("expected the daemon to close the idle connection, got {other:?}"),
    }
}

#[test]
fn one_uid_is_held_to_its_connection_cap_and_idle_connections_are_closed() {
    let daemon = Daemon::start(&["--max-clients-per-uid", "3", "--idle-timeout", "1"]).unwrap();
    // Three idle connections of this uid take its share.
    let mut idle: Vec<_> = (0..3)
        .map(|_| logd::host::Client::connect(daemon.socket()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut fourth = daemon.client().unwrap();
    let e = fourth.stats().unwrap_err();
    assert!(matches!(e, logd::host::HostError::Full(_)), "{e:?}");
    assert!(
        e.to_string().contains("closed the connection before answering: it is serving as many connections as it allows"),
        "{e}"
    );
    // Sending nothing for the idle timeout ends them, and the uid can log again.
    for c in &mut idle {
        closed_by_the_daemon(c, Duration::from_secs(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(daemon.client().unwrap().stats().unwrap().total, 0);
    // A connection that keeps asking is not idle.
    let mut busy = daemon.client().unwrap();
    for _ in 0..4 {
        busy.stats().unwrap();
        std::thread::sleep(Duration::from_millis(400));
    }
}

/// Idle connections held by another uid (needs root) cannot lock this uid out, and `nx`
/// says why when its own uid is at the cap.
#[test]
fn idle_connections_of_one_uid_do_not_lock_out_the_others() {
    if !multi_uid_available("idle_connections_of_one_uid_do_not_lock_out_the_others") {
        return;
    }
    let daemon = Daemon::start(&[
        "--mode",
        "666",
        "--max-clients-per-uid",
        "2",
        "--idle-timeout",
        "2",
    ])
    .unwrap();
    let uid = OTHER_UIDS[0];
    // Two idle holders as `uid` (socat connected, sending nothing).
    let mut holders: Vec<KillOnDrop> = (0..2)
        .map(|_| {
            let child = Command::new("socat")
                .arg("STDIO")
                .arg(format!("UNIX-CONNECT:{},type=5", daemon.socket().display()))
                .current_dir("/")
                .uid(uid)
                .gid(uid)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            KillOnDrop(child)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let shared = SharedNx::new().unwrap();
    let refused = nx_as(&daemon, &shared, uid)
        .args(["append", "--scope", "third", "hello"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(5));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("closed the connection before answering"),
        "{err}"
    );
    // This process's uid (root) is served all the while.
    run(nx(&daemon).args(["append", "--scope", "root", "still served"]));
    // After the idle timeout the holders are gone, and `uid` logs again.
    for h in &mut holders {
        // socat ends when the daemon closes its connection.
        h.wait_timeout(Duration::from_secs(10)).unwrap();
    }
    run(nx_as(&daemon, &shared, uid).args(["append", "--scope", "again", "hello"]));
    let scopes: Vec<Vec<u8>> = all_records(&daemon).into_iter().map(|r| r.scope).collect();
    assert_eq!(scopes, [b"root".to_vec(), b"again".to_vec()]);
}

#[test]
fn socket_path_rules_and_ready_line() {
    let bins = binaries().unwrap();
    let daemon = Daemon::start(&[]).unwrap();
    // Ready means accepting: a connection right after the line succeeds.
    assert_eq!(daemon.client().unwrap().stats().unwrap().total, 0);
    // Mode 0600 by default.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(daemon.socket()).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // A second daemon on a live socket refuses to start.
    let second = Command::new(&bins.logd)
        .arg("--socket")
        .arg(daemon.socket())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already answers"));
    // A regular file at the path is never removed.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-socket");
    std::fs::write(&file, b"keep me").unwrap();
    let refused = Command::new(&bins.logd)
        .arg("--socket")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    assert!(
        String::from_utf8_lossy(&refused.stdout).is_empty(),
        "no ready line on failure"
    );
    // Bad capacities are refused before anything is bound.
    let small = Command::new(&bins.logd)
        .arg("--socket")
        .arg(dir.path().join("s"))
        .args(["--capacity-bytes", "861"])
        .output()
        .unwrap();
    assert_eq!(small.status.code(), Some(2));
    assert!(!dir.path().join("s").exists());
    // Limits no client could work with are refused before anything is bound.
    for (option, value) in [
        ("--max-clients", "0"),
        ("--max-clients-per-uid", "0"),
        ("--idle-timeout", "0"),
    ] {
        let out = Command::new(&bins.logd)
            .arg("--socket")
            .arg(dir.path().join("s"))
            .args([option, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{option} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(option), "{option}: {err}");
        assert!(out.stdout.is_empty(), "{option}: no ready line");
        assert!(!dir.path().join("s").exists(), "{option}");
    }
}

#[test]
fn a_stale_socket_is_replaced() {
    let bins = binaries().unwrap();
    let mut first = Daemon::start(&[]).unwrap();
    let socket = first.socket().to_path_buf();
    // Kill the daemon but keep its directory, and the socket file in it.
    first.kill();
    assert!(socket.exists(), "socket file left behind");
    assert!(
        logd::host::Client::connect(&socket).is_err(),
        "nobody answers"
    );
    let child = Command::new(&bins.logd)
        .arg("--socket")
        .arg(&socket)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut second = KillOnDrop(child);
    let mut line = String::new();
    let stdout = second.0.stdout.as_mut().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    assert_eq!(line, "logd: ready\n");
    let mut client = logd::host::Client::connect(&socket).unwrap();
    client.set_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(client.stats().unwrap().total, 0);
}

#[test]
fn nx_log_commands_render_the_journal() {
    let daemon = Daemon::start(&["--capacity-records", "3"]).unwrap();
    for (level, msg) in [
        ("error", "disk full"),
        ("info", "ok"),
        ("debug", "detail"),
        ("warn", "slow"),
    ] {
        run(nx(&daemon).args([
            "append", "--level", level, "--scope", "fs", "-f", "dev=vda", msg,
        ]));
    }
    let stats = run(nx(&daemon).args(["stats", "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(
        (
            doc["schema"].as_str(),
            doc["total"].as_u64(),
            doc["dropped"].as_u64()
        ),
        (Some("nx.log.stats/1"), Some(4), Some(1))
    );
    let query = run(nx(&daemon).args(["query", "--level", "info"]));
    let text = String::from_utf8(query.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("#2 ") && lines[0].ends_with(" I fs: ok [dev=vda]"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("#4 ") && lines[1].ends_with(" W fs: slow [dev=vda]"),
        "{text}"
    );
    // Nothing stamped that late: no records, and the dropped record 1 is no gap.
    let late = run(nx(&daemon).args(["query", "--since", &u64::MAX.to_string()]));
    assert!(
        late.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&late.stdout)
    );
    // From the start: record 1 was dropped before the query, so it is not selected either.
    let all = run(nx(&daemon).args(["query", "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 3);
    assert_eq!(doc["gaps"].as_array().unwrap().len(), 0);
    let tail = run(nx(&daemon).args(["tail", "-n", "2", "--until-id", "4"]));
    let text = String::from_utf8(tail.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let bad = nx(&daemon)
        .args(["append", "-f", "Bad=1", "x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("error: field \"Bad=1\""));
}

#[test]
fn nx_log_query_reads_as_journalctl_does() {
    let daemon = Daemon::start(&[]).unwrap();
    for (level, scope, msg) in [
        ("info", "fs", "one"),
        ("warn", "fs", "two"),
        ("error", "net", "three"),
        ("warn", "fs", "four"),
        ("debug", "fs", "five"),
    ] {
        run(nx(&daemon).args(["append", "--level", level, "--scope", scope, msg]));
    }
    let lines = |args: &[&str]| -> Vec<String> {
        let out = run(nx(&daemon).arg("query").args(args));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let ids = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect()
    };
    // -n N: the last N, without following.
    assert_eq!(ids(&lines(&["-n", "2"])), ["#4", "#5"]);
    assert_eq!(
        ids(&lines(&["-n", "2", "--scope", "fs", "--level", "warn"])),
        ["#2", "#4"]
    );
    // -p/--priority and -u/--unit, as journalctl users type them.
    let long = lines(&["--level", "warn", "--scope", "fs"]);
    assert_eq!(ids(&long), ["#2", "#4"]);
    assert_eq!(lines(&["-p", "warn", "-u", "fs"]), long);
    assert_eq!(lines(&["--priority", "2", "--unit", "fs"]), long);
    // --since AGE counts back on logd's clock (the host's monotonic clock): everything was
    // stamped within the hour, nothing within the last millisecond after a pause.
    assert_eq!(lines(&["--since", "1h"]).len(), 5);
    std::thread::sleep(Duration::from_millis(50));
    assert!(lines(&["--since", "1ms"]).is_empty());
    let json = run(nx(&daemon).args(["query", "-n", "1", "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 1);
    assert_eq!(doc["records"][0]["id"], 5);
    // Colour: plain in a pipe, level letters painted with CLICOLOR_FORCE; never in JSON.
    let plain = run(nx(&daemon).args(["query", "--no-pager"]));
    assert!(!plain.stdout.contains(&0x1b));
    let forced = run(nx(&daemon).args(["query"]).env("CLICOLOR_FORCE", "1"));
    let text = String::from_utf8(forced.stdout).unwrap();
    assert!(
        text.contains("\u{1b}[31m") || text.contains("\u{1b}[1m"),
        "{text:?}"
    );
    let json = run(nx(&daemon)
        .args(["query", "--json"])
        .env("CLICOLOR_FORCE", "1"));
    assert!(!json.stdout.contains(&0x1b));
    // -n and --limit do not go together.
    let both = nx(&daemon)
        .args(["query", "-n", "1", "--limit", "1"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
}
