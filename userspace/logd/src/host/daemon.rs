//! The host daemon: a listening `SOCK_SEQPACKET` socket, one thread per connection
//! (blocking I/O, requests answered in order), one journal behind a mutex.
//!
//! Bounds: the journal's memory is allocated when the daemon starts; each connection
//! holds one request buffer (843 bytes) and one response buffer (2048 bytes) on a 64 KiB
//! thread stack; at most `max_clients` connections are served at once, and at most
//! `max_clients_per_uid` of one uid, so that one user cannot lock the others (root
//! included) out; more are closed when accepted. A connection that sends nothing for
//! `idle_timeout` is closed, so idle connections cannot hold the slots either. A frame over 842 bytes is answered `TOO_LARGE` (the receive buffer is
//! one byte longer than the largest request, so an oversized frame is seen as such and
//! the kernel discards the rest of it). A zero-length message closes the connection
//! (on `SOCK_SEQPACKET` it cannot be told apart from end of stream).

use std::collections::BTreeMap;
use std::eprintln;
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::prelude::rust_2021::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::{
    self, AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

use super::{monotonic_nsec, HostError};
use crate::wire::{MAX_REQUEST_LEN, MAX_RESPONSE_LEN};
use crate::{handle_request, Journal, JournalConfig, ServiceId};

/// Stack of each connection's thread.
const CONNECTION_STACK: usize = 64 * 1024;

/// What the daemon serves and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonConfig {
    /// Socket path.
    pub socket: PathBuf,
    /// Journal bounds.
    pub journal: JournalConfig,
    /// Permission bits of the socket file (connecting needs write permission).
    pub mode: u32,
    /// Most connections served at once (at least 1).
    pub max_clients: usize,
    /// Most connections of one uid served at once (at least 1).
    pub max_clients_per_uid: usize,
    /// A connection that sends no request for this long is closed (`None`: never).
    pub idle_timeout: Option<Duration>,
}

impl DaemonConfig {
    /// Defaults for a socket path: 4096 records, 256 KiB, mode 0600, 64 connections, 16
    /// of one uid, idle connections closed after 60 s.
    pub fn new(socket: PathBuf) -> DaemonConfig {
        DaemonConfig {
            socket,
            journal: JournalConfig::DEFAULT,
            mode: 0o600,
            max_clients: 64,
            max_clients_per_uid: 16,
            idle_timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// A bound, listening daemon.
#[derive(Debug)]
pub struct Daemon {
    listener: OwnedFd,
    journal: Arc<Mutex<Journal>>,
    config: DaemonConfig,
}

fn io_error(what: &'static str, path: &Path, e: impl Into<std::io::Error>) -> HostError {
    HostError::Io {
        what,
        path: path.to_path_buf(),
        cause: e.into(),
    }
}

/// Removes a socket file no daemon answers on; refuses to touch anything else.
fn clear_stale_socket(path: &Path) -> Result<(), HostError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("inspect", path, e)),
    };
    if !meta.file_type().is_socket() {
        return Err(HostError::NotASocket(path.to_path_buf()));
    }
    let addr = SocketAddrUnix::new(path).map_err(|e| io_error("socket path", path, e))?;
    let probe = net::socket_with(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| io_error("create socket for", path, e))?;
    match net::connect(&probe, &addr) {
        Ok(()) => Err(HostError::AlreadyRunning(path.to_path_buf())),
        Err(Errno::CONNREFUSED) => {
            std::fs::remove_file(path).map_err(|e| io_error("remove stale socket", path, e))
        }
        Err(e) => Err(io_error("probe", path, e)),
    }
}

impl Daemon {
    /// Allocates the journal, then binds and listens on the socket (replacing a stale
    /// socket file), and sets its permissions. Connections are accepted from here on.
    pub fn bind(config: DaemonConfig) -> Result<Daemon, HostError> {
        if config.max_clients == 0 {
            return Err(HostError::Limit(
                "max_clients is 0: no client could connect",
            ));
        }
        if config.max_clients_per_uid == 0 {
            return Err(HostError::Limit(
                "max_clients_per_uid is 0: no client could connect",
            ));
        }
        if config.idle_timeout == Some(Duration::ZERO) {
            return Err(HostError::Limit(
                "idle_timeout is 0: every connection would be closed at once",
            ));
        }
        let journal = Journal::new(config.journal)?;
        let path = config.socket.as_path();
        clear_stale_socket(path)?;
        let addr = SocketAddrUnix::new(path).map_err(|e| io_error("socket path", path, e))?;
        let listener = net::socket_with(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .map_err(|e| io_error("create socket for", path, e))?;
        net::bind(&listener, &addr).map_err(|e| io_error("bind", path, e))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(config.mode))
            .map_err(|e| io_error("set permissions of", path, e))?;
        net::listen(&listener, 128).map_err(|e| io_error("listen on", path, e))?;
        Ok(Daemon {
            listener,
            journal: Arc::new(Mutex::new(journal)),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &DaemonConfig {
        &self.config
    }

    /// Accepts and serves connections until accepting fails for good.
    pub fn run(self) -> Result<(), HostError> {
        let active = Arc::new(AtomicUsize::new(0));
        let per_uid: Arc<Mutex<BTreeMap<u32, usize>>> = Arc::default();
        let path = self.config.socket.clone();
        loop {
            let conn = match net::accept_with(&self.listener, SocketFlags::CLOEXEC) {
                Ok(conn) => conn,
                Err(Errno::INTR | Errno::CONNABORTED) => continue,
                Err(e @ (Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM)) => {
                    eprintln!("logd: accept on {}: {e}; retrying", path.display());
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                Err(e) => return Err(io_error("accept on", &path, e)),
            };
            let Ok(cred) = net::sockopt::socket_peercred(&conn) else {
                continue;
            };
            let service_id = ServiceId::from_uid_pid(
                cred.uid.as_raw(),
                cred.pid.as_raw_nonzero().get().unsigned_abs(),
            );
            let uid = cred.uid.as_raw();
            if active.fetch_add(1, Ordering::SeqCst) >= self.config.max_clients {
                active.fetch_sub(1, Ordering::SeqCst);
                eprintln!(
                    "logd: connection from service {service_id} refused: {} connections open",
                    self.config.max_clients
                );
                continue;
            }
            let admitted = {
                let mut counts = per_uid.lock().unwrap_or_else(|p| p.into_inner());
                let count = counts.entry(uid).or_insert(0);
                let admitted = *count < self.config.max_clients_per_uid;
                if admitted {
                    *count += 1;
                }
                admitted
            };
            if !admitted {
                active.fetch_sub(1, Ordering::SeqCst);
                eprintln!(
                    "logd: connection from service {service_id} refused: uid {uid} has {} \
                     connections open",
                    self.config.max_clients_per_uid
                );
                continue;
            }
            let slot = ActiveSlot {
                active: Arc::clone(&active),
                per_uid: Arc::clone(&per_uid),
                uid,
            };
            if let Some(idle) = self.config.idle_timeout {
                if net::sockopt::set_socket_timeout(&conn, net::sockopt::Timeout::Recv, Some(idle))
                    .is_err()
                {
                    continue;
                }
            }
            let journal = Arc::clone(&self.journal);
            let spawned = std::thread::Builder::new()
                .name("logd-conn".into())
                .stack_size(CONNECTION_STACK)
                .spawn(move || {
                    let _slot = slot;
                    serve_connection(&conn, service_id, &journal);
                });
            if let Err(e) = spawned {
                eprintln!("logd: cannot start a connection thread: {e}");
            }
        }
    }
}

/// Gives back a connection's slots (the global one and its uid's) when its thread ends.
struct ActiveSlot {
    active: Arc<AtomicUsize>,
    per_uid: Arc<Mutex<BTreeMap<u32, usize>>>,
    uid: u32,
}

impl Drop for ActiveSlot {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
        let mut counts = self.per_uid.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.uid) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.uid);
            }
        }
    }
}

/// Serves one connection until the peer closes it, it stays idle past the receive timeout
/// (`EAGAIN`), or an I/O error occurs.
fn serve_connection(conn: &OwnedFd, service_id: ServiceId, journal: &Mutex<Journal>) {
    let mut request = [0u8; MAX_REQUEST_LEN + 1];
    let mut response = [0u8; MAX_RESPONSE_LEN];
    loop {
        let len = match net::recv(conn, &mut request[..], RecvFlags::empty()) {
            Ok((0, _)) => return,
            Ok((len, _)) => len,
            Err(Errno::INTR) => continue,
            Err(_) => return,
        };
        let frame = request.get(..len).unwrap_or(&[]);
        let written = {
            let mut journal = journal
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            handle_request(
                &mut journal,
                service_id,
                monotonic_nsec(),
                frame,
                &mut response,
            )
        };
        let out = response.get(..written).unwrap_or(&[]);
        loop {
            match net::send(conn, out, SendFlags::NOSIGNAL) {
                Ok(_) => break,
                Err(Errno::INTR) => continue,
                Err(_) => return,
            }
        }
    }
}
