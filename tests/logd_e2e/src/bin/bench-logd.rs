//! `bench-logd`: logd's benchmark, each figure beside its floor or peer measured in the
//! same run (32-byte messages, scope `bench`, no fields):
//!
//! 1. APPEND in process (frame parse + journal append + response encode, and the journal
//!    append alone) beside copying the same record bytes into a preallocated ring;
//! 2. APPEND over the socket to the real daemon beside a bare `SOCK_SEQPACKET` echo
//!    server (its own process, one thread per connection, blocking I/O, like the daemon),
//!    both at 16 frames in flight;
//! 3. a QUERY of 16 records beside one bare echo round trip (of the 14-byte request, and
//!    of a frame as large as the QUERY response);
//! 4. memory: the daemon's resident size sampled while it takes 10 million appends at a
//!    fixed capacity, and the same for a journal in this process.
//!
//! Usage: `bench-logd --logd PATH [--quick] [--only in-process|socket|memory]`;
//! `--echo-server PATH` is the echo peer's own entry point. Prints a Markdown report on stdout.

use std::hint::black_box;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use logd::host::Client;
use logd::wire::MAX_RESPONSE_LEN;
use logd::{
    encode_append, encode_query, handle_request, Entry, Journal, JournalConfig, Level, Query,
    ServiceId,
};
use logd_e2e::{proc_status_kib, Daemon, KillOnDrop};
use rustix::net::{
    self, AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

const MESSAGE: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const SCOPE: &[u8] = b"bench";
const DEPTH: usize = 16;
const ROUNDS: usize = 5;
const USAGE: &str = "usage: bench-logd --logd PATH [--quick] [--only in-process|socket|memory]";

struct Settings {
    logd: PathBuf,
    in_process_ops: u64,
    socket_frames: u64,
    round_trips: u64,
    memory_appends: u64,
}

fn entry() -> anyhow::Result<Entry<'static>> {
    Ok(Entry::new(Level::Info, SCOPE, MESSAGE, b"")?)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `min-max` of per-round ratios (how much the shared machine moved them).
fn span(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{min:.2}-{max:.2}")
}

/// Nanoseconds per operation of one round of `n` calls of `op`.
fn round_ns(n: u64, mut op: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    for i in 0..n {
        op(i);
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// Rounds of the in-process part: the floor and both APPEND paths run one after the
/// other in every round, so load from other processes hits all three alike.
const IN_PROCESS_ROUNDS: usize = 21;

fn in_process(settings: &Settings, out: &mut String) -> anyhow::Result<()> {
    let config = JournalConfig::DEFAULT;
    let e = entry()?;
    let frame = encode_append(&e);
    let record_len = e.record_len();
    // Floor: the record's bytes copied into a preallocated ring of the journal's size.
    let mut record = vec![0u8; record_len];
    record[..8].copy_from_slice(&1u64.to_le_bytes());
    record[30..30 + SCOPE.len()].copy_from_slice(SCOPE);
    record[30 + SCOPE.len()..].copy_from_slice(MESSAGE);
    let mut ring = vec![0u8; config.capacity_bytes as usize + 862];
    let mut offset = 0usize;
    let n = settings.in_process_ops;
    let mut append_journal = Journal::new(config)?;
    let mut frame_journal = Journal::new(config)?;
    let mut response = [0u8; MAX_RESPONSE_LEN];
    let (mut floors, mut appends, mut frames) = (Vec::new(), Vec::new(), Vec::new());
    let (mut append_ratios, mut frame_ratios) = (Vec::new(), Vec::new());
    for round in 0..IN_PROCESS_ROUNDS as u64 {
        let base = round * n;
        let floor = round_ns(n, |_| {
            if offset + record_len > ring.len() {
                offset = 0;
            }
            ring[offset..offset + record_len].copy_from_slice(black_box(&record));
            offset += record_len;
            black_box(&ring);
        });
        let append = round_ns(n, |i| {
            black_box(append_journal.append(base + i, ServiceId(7), black_box(&e)));
        });
        let frame_path = round_ns(n, |i| {
            black_box(handle_request(
                &mut frame_journal,
                ServiceId(7),
                base + i,
                black_box(&frame),
                &mut response,
            ));
        });
        floors.push(floor);
        appends.push(append);
        frames.push(frame_path);
        append_ratios.push(append / floor);
        frame_ratios.push(frame_path / floor);
    }
    let (append_span, frame_span) = (span(&append_ratios), span(&frame_ratios));
    let (floor, append, frame_path) = (median(floors), median(appends), median(frames));
    let (append_ratio, frame_ratio) = (median(append_ratios), median(frame_ratios));
    out.push_str(&format!(
        "## 1. APPEND in process ({n} ops a round, {IN_PROCESS_ROUNDS} interleaved rounds, medians; record {record_len} bytes)\n\n\
         | what | ns/op | x floor (median of per-round ratios) | per-round ratios, min-max |\n| --- | ---: | ---: | ---: |\n\
         | floor: copy the record into a preallocated ring | {floor:.1} | 1.00 | |\n\
         | journal append | {append:.1} | {append_ratio:.2} | {append_span} |\n\
         | APPEND frame: parse + append + response | {frame_path:.1} | {frame_ratio:.2} | {frame_span} |\n\n\
         Target: APPEND at most 3x the floor: {}.\n\n",
        verdict(frame_ratio <= 3.0)
    ));
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

fn connect(path: &Path) -> anyhow::Result<Client> {
    let mut client = Client::connect(path)?;
    client.set_timeout(Some(Duration::from_secs(30)))?;
    Ok(client)
}

/// Frames a second at `DEPTH` frames in flight over one connection.
fn pipelined_rate(path: &Path, frame: &[u8], n: u64) -> anyhow::Result<f64> {
    let mut client = connect(path)?;
    let start = Instant::now();
    let mut in_flight = 0usize;
    for _ in 0..n {
        if in_flight == DEPTH {
            client.recv_frame()?;
            in_flight -= 1;
        }
        client.send_frame(frame)?;
        in_flight += 1;
    }
    for _ in 0..in_flight {
        client.recv_frame()?;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// Median microseconds of one request/response round trip.
fn round_trip_us(path: &Path, frame: &[u8], n: u64) -> anyhow::Result<f64> {
    let mut client = connect(path)?;
    let mut samples = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let start = Instant::now();
        client.call(frame)?;
        samples.push(start.elapsed().as_nanos() as f64 / 1000.0);
    }
    Ok(median(samples))
}

fn start_echo(dir: &Path) -> anyhow::Result<(KillOnDrop, PathBuf)> {
    let path = dir.join("echo.sock");
    let exe = std::env::current_exe()?;
    let mut child = KillOnDrop(
        Command::new(exe)
            .arg("--echo-server")
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()?,
    );
    let mut line = String::new();
    let stdout = child.0.stdout.as_mut().context("echo stdout")?;
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    if line.trim() != "echo: ready" {
        bail!("echo server did not start: {line:?}");
    }
    Ok((child, path))
}

fn socket(
    settings: &Settings,
    daemon: &Daemon,
    echo: &Path,
    out: &mut String,
) -> anyhow::Result<()> {
    let frame = encode_append(&entry()?);
    let n = settings.socket_frames;
    let mut logd_rates = Vec::new();
    let mut echo_rates = Vec::new();
    for _ in 0..ROUNDS {
        logd_rates.push(pipelined_rate(daemon.socket(), &frame, n)?);
        echo_rates.push(pipelined_rate(echo, &frame, n)?);
    }
    let (logd_rate, echo_rate) = (median(logd_rates), median(echo_rates));
    out.push_str(&format!(
        "## 2. APPEND over the socket ({n} frames a round, {DEPTH} in flight, median of {ROUNDS}, rounds interleaved)\n\n\
         | server | frames/s | vs echo |\n| --- | ---: | ---: |\n\
         | bare SEQPACKET echo ({} B frames) | {echo_rate:.0} | 100% |\n\
         | logd APPEND | {logd_rate:.0} | {:.0}% |\n\n\
         Target: logd at least 90% of the echo's rate: {}.\n\n",
        frame.len(),
        100.0 * logd_rate / echo_rate,
        verdict(logd_rate >= 0.9 * echo_rate)
    ));
    let query = encode_query(Query {
        since_nsec: 0,
        max_count: 16,
    });
    let response_len = connect(daemon.socket())?.call(&query)?.len();
    let big_echo = vec![0x5a; response_len];
    let rt = settings.round_trips;
    let mut q = Vec::new();
    let mut e_small = Vec::new();
    let mut e_big = Vec::new();
    for _ in 0..ROUNDS {
        q.push(round_trip_us(daemon.socket(), &query, rt)?);
        e_small.push(round_trip_us(echo, &query, rt)?);
        e_big.push(round_trip_us(echo, &big_echo, rt)?);
    }
    let (q, e_small, e_big) = (median(q), median(e_small), median(e_big));
    out.push_str(&format!(
        "## 3. QUERY of 16 records ({rt} round trips a round, median)\n\n\
         | request | us | vs echo of the request |\n| --- | ---: | ---: |\n\
         | echo round trip, {} B each way | {e_small:.2} | 1.00 |\n\
         | echo round trip, {response_len} B each way | {e_big:.2} | {:.2} |\n\
         | logd QUERY ({} B out, {response_len} B back) | {q:.2} | {:.2} |\n\n\
         Target: QUERY at most 2x an echo round trip: {}.\n\n",
        query.len(),
        e_big / e_small,
        query.len(),
        q / e_small,
        verdict(q <= 2.0 * e_small)
    ));
    Ok(())
}

fn memory(settings: &Settings, out: &mut String) -> anyhow::Result<()> {
    let config = JournalConfig::DEFAULT;
    let n = settings.memory_appends;
    let step = (n / 10).max(1);
    // The daemon, through the socket: two connections, 16 in flight each.
    let daemon = Daemon::start_with(
        &settings.logd,
        &[
            "--capacity-records",
            &config.capacity_records.to_string(),
            "--capacity-bytes",
            &config.capacity_bytes.to_string(),
        ],
    )?;
    let frame = encode_append(&entry()?);
    let pid = daemon.pid();
    let at_ready = proc_status_kib(pid, "VmRSS")?;
    let mut samples = vec![(0u64, at_ready)];
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < n {
        let chunk = step.min(n - sent);
        std::thread::scope(|s| -> anyhow::Result<()> {
            let a = s.spawn(|| pipelined_rate(daemon.socket(), &frame, chunk / 2));
            pipelined_rate(daemon.socket(), &frame, chunk - chunk / 2)?;
            a.join()
                .map_err(|_| anyhow::anyhow!("sender thread panicked"))??;
            Ok(())
        })?;
        sent += chunk;
        samples.push((sent, proc_status_kib(pid, "VmRSS")?));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let peak = proc_status_kib(pid, "VmHWM")?;
    let stats = connect(daemon.socket())?.stats()?;
    out.push_str(&format!(
        "## 4. Memory under {n} appends at a fixed capacity ({} records, {} bytes; journal storage {} KiB)\n\n\
         Daemon (over the socket, {:.0} appends/s): RSS at ready {at_ready} KiB, peak (VmHWM) {peak} KiB; \
         journal total {}, dropped {}.\n\n| appends | daemon RSS KiB |\n| ---: | ---: |\n",
        config.capacity_records,
        config.capacity_bytes,
        config.storage_bytes() / 1024,
        n as f64 / elapsed,
        stats.total,
        stats.dropped
    ));
    for (count, kib) in &samples {
        out.push_str(&format!("| {count} | {kib} |\n"));
    }
    let after_fill: Vec<u64> = samples.iter().skip(1).map(|&(_, k)| k).collect();
    let flat = after_fill.iter().max().copied().unwrap_or(0)
        - after_fill.iter().min().copied().unwrap_or(0);
    drop(daemon);
    // The same journal in this process.
    let me = std::process::id();
    let before = proc_status_kib(me, "VmRSS")?;
    let mut journal = Journal::new(config)?;
    let e = entry()?;
    let mut local = vec![(0u64, proc_status_kib(me, "VmRSS")?)];
    for i in 0..n {
        journal.append(i, ServiceId(7), &e);
        if (i + 1) % step == 0 {
            local.push((i + 1, proc_status_kib(me, "VmRSS")?));
        }
    }
    out.push_str(&format!(
        "\nIn process: RSS {before} KiB before the journal, {} KiB after creating it, {} KiB after {n} appends \
         (dropped {}).\n\nTarget: memory flat after the journal fills: daemon RSS varied by {flat} KiB \
         after the first {step} appends: {}.\n",
        local.first().map_or(0, |&(_, k)| k),
        local.last().map_or(0, |&(_, k)| k),
        journal.dropped(),
        verdict(flat <= 256)
    ));
    Ok(())
}

/// The echo peer: accepts connections and sends every message back, one thread each.
fn echo_server(path: &Path) -> anyhow::Result<()> {
    let addr = SocketAddrUnix::new(path)?;
    let listener = net::socket_with(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?;
    net::bind(&listener, &addr)?;
    net::listen(&listener, 128)?;
    println!("echo: ready");
    loop {
        let conn: OwnedFd = net::accept_with(&listener, SocketFlags::CLOEXEC)?;
        std::thread::spawn(move || {
            let mut buf = [0u8; MAX_RESPONSE_LEN + 1];
            loop {
                let Ok((len, _)) = net::recv(&conn, &mut buf[..], RecvFlags::empty()) else {
                    return;
                };
                if len == 0 || net::send(&conn, &buf[..len], SendFlags::NOSIGNAL).is_err() {
                    return;
                }
            }
        });
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = args.as_slice() {
        if flag == "--echo-server" {
            return echo_server(Path::new(path));
        }
    }
    let mut logd = None;
    let mut quick = false;
    let mut only: Option<String> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--logd" => logd = it.next().map(PathBuf::from),
            "--quick" => quick = true,
            "--only" => only = it.next().cloned(),
            other => bail!("unknown argument {other:?} ({USAGE})"),
        }
    }
    let logd = logd.context(USAGE)?;
    let part = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let scale = if quick { 10 } else { 1 };
    let settings = Settings {
        logd,
        in_process_ops: 2_000_000 / scale,
        socket_frames: 200_000 / scale,
        round_trips: 20_000 / scale,
        memory_appends: 10_000_000 / scale,
    };
    let mut out = String::from("# logd benchmark\n\n");
    out.push_str(&format!(
        "32-byte messages, scope `bench`, no fields; {} CPUs; {}.\n\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if quick {
            "quick run (counts / 10)"
        } else {
            "full run"
        }
    ));
    if part("in-process") {
        in_process(&settings, &mut out)?;
        print!("{out}");
        out.clear();
    }
    if part("socket") {
        let daemon = Daemon::start_with(&settings.logd, &[])?;
        let dir = tempfile::tempdir()?;
        let (_echo, echo_path) = start_echo(dir.path())?;
        socket(&settings, &daemon, &echo_path, &mut out)?;
        drop(daemon);
        print!("{out}");
        out.clear();
    }
    if part("memory") {
        memory(&settings, &mut out)?;
        print!("{out}");
    }
    Ok(())
}
