//! The facade's rules: fields encoded by the convention, level filtering, message cut at
//! 256 bytes on a character boundary, scope cap, no success without logd's OK, and the
//! socket backend against a real daemon (origin from the peer credentials, not the
//! payload).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use logd::host::{Client, Daemon, DaemonConfig};
use logd::{Journal, JournalConfig, Query};
use nexus_log::{
    Backend, Fields, JournalBackend, Level, LogError, Logger, ServiceId, SocketBackend,
};

fn logger() -> Logger<JournalBackend> {
    let backend = JournalBackend {
        journal: Journal::new(JournalConfig::DEFAULT).unwrap(),
        service_id: ServiceId(77),
        now_nsec: 1_000,
    };
    Logger::new(backend, "netd").unwrap()
}

#[test]
fn records_carry_level_scope_message_and_sorted_fields() {
    let mut log = logger();
    let mut fields = Fields::new();
    fields
        .insert("speed", "1000")
        .unwrap()
        .insert("if", "eth0")
        .unwrap();
    assert_eq!(log.log(Level::Warn, "link up", &fields).unwrap(), Some(1));
    assert_eq!(
        log.log_in(Level::Error, "dhcp", "no lease", &Fields::new())
            .unwrap(),
        Some(2)
    );
    let records: Vec<_> = log
        .backend_mut()
        .journal
        .records()
        .map(|r| r.to_record())
        .collect();
    assert_eq!(records[0].scope, b"netd");
    assert_eq!(records[0].level, Level::Warn);
    assert_eq!(records[0].message, b"link up");
    assert_eq!(records[0].fields, b"if=eth0\nspeed=1000");
    assert_eq!(records[0].service_id, ServiceId(77));
    assert_eq!(records[1].scope, b"dhcp");
}

#[test]
fn levels_above_the_maximum_are_not_sent() {
    let mut log = logger();
    assert_eq!(log.debug("hidden").unwrap(), None);
    assert_eq!(log.info("shown").unwrap(), Some(1));
    log.set_max_level(Level::Trace);
    assert_eq!(log.trace("now shown").unwrap(), Some(2));
    log.set_max_level(Level::Error);
    assert_eq!(log.warn("hidden").unwrap(), None);
    assert_eq!(log.error("shown").unwrap(), Some(3));
    assert_eq!(log.backend_mut().journal.total(), 3);
}

#[test]
fn long_messages_are_cut_on_a_character_boundary() {
    let mut log = logger();
    let message = format!("{}é", "x".repeat(255)); // 257 bytes, 'é' straddles 256
    log.info(&message).unwrap();
    let stored = log
        .backend_mut()
        .journal
        .records()
        .next()
        .unwrap()
        .message
        .to_vec();
    assert_eq!(stored, "x".repeat(255).into_bytes());
}

#[test]
fn scope_over_64_bytes_is_an_error() {
    let backend = JournalBackend {
        journal: Journal::new(JournalConfig::DEFAULT).unwrap(),
        service_id: ServiceId(1),
        now_nsec: 0,
    };
    assert!(matches!(
        Logger::new(backend, &"s".repeat(65)),
        Err(LogError::ScopeTooLong(65))
    ));
    let mut log = logger();
    assert!(matches!(
        log.log_in(Level::Info, &"s".repeat(65), "m", &Fields::new()),
        Err(LogError::ScopeTooLong(65))
    ));
    assert!(log
        .log_in(Level::Info, &"s".repeat(64), "m", &Fields::new())
        .is_ok());
}

#[test]
fn fields_over_512_bytes_are_an_error() {
    let mut log = logger();
    let mut fields = Fields::new();
    fields.insert("k", &"v".repeat(511)).unwrap();
    assert!(matches!(
        log.log(Level::Info, "m", &fields),
        Err(LogError::Fields(_))
    ));
    assert_eq!(log.backend_mut().journal.total(), 0);
}

/// A backend whose logd answers with an error status.
struct Refusing;

impl Backend for Refusing {
    type Error = nexus_log::Infallible;
    fn call(&mut self, _: &[u8], response: &mut logd::ResponseBuf) -> Result<usize, Self::Error> {
        response[..5].copy_from_slice(b"LO\x01\x81\x02");
        Ok(5)
    }
}

#[test]
fn no_success_without_an_ok_from_logd() {
    let mut log = Logger::new(Refusing, "a").unwrap();
    assert!(matches!(
        log.info("m"),
        Err(LogError::Rejected(logd::Status::Unsupported))
    ));
}

#[test]
fn socket_backend_logs_under_the_peer_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("logd.sock");
    let daemon = Daemon::bind(DaemonConfig::new(socket.clone())).unwrap();
    std::thread::spawn(move || daemon.run());
    let backend = SocketBackend::connect(&socket, Duration::from_secs(5)).unwrap();
    let mut log = Logger::new(backend, "spoof").unwrap();
    let mut fields = Fields::new();
    fields.insert("service_id", "1").unwrap();
    assert_eq!(
        log.log(Level::Info, "service_id=1", &fields).unwrap(),
        Some(1)
    );
    let mut client = Client::connect(&socket).unwrap();
    client.set_timeout(Some(Duration::from_secs(5))).unwrap();
    let page = client
        .query(Query {
            since_nsec: 0,
            max_count: 16,
        })
        .unwrap();
    let me = ServiceId::from_uid_pid(real_uid(), std::process::id());
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].service_id, me);
}

fn real_uid() -> u32 {
    // The test process's real uid, as SO_PEERCRED reports it.
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap()
}
