//! I/O adapters (feature `std`): links (serial ports through `serialport`, unix and TCP
//! sockets), a file-backed device disk with its journal, and the blocking drivers that
//! run the sans-IO state machines over a link.
//!
//! Port syntax: `unix:PATH`, `tcp:HOST:PORT`, anything else is a serial device (8N1 at
//! the given baud). On sockets the device side listens and the host side connects.

use std::boxed::Box;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::FileExt as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::string::{String, ToString as _};
use std::time::{Duration, Instant};
use std::vec::Vec;
use std::{fmt, format};

use crate::device::{Device, Event, Storage, StorageError};
use crate::frame::Decoder;
use crate::proto::RebootMode;
use crate::sender::{ImageSource, Outcome, Sender};
use crate::ProtocolError;

/// Where a link goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// A serial device (or a pseudo-terminal) at a baud rate, 8N1.
    Serial {
        /// Device path.
        path: String,
        /// Baud rate.
        baud: u32,
    },
    /// A unix socket path.
    Unix(PathBuf),
    /// A TCP address `HOST:PORT`.
    Tcp(String),
}

impl PortSpec {
    /// Parses `unix:PATH`, `tcp:HOST:PORT` or a serial device path.
    pub fn parse(text: &str, baud: u32) -> Result<PortSpec, LinkError> {
        if let Some(p) = text.strip_prefix("unix:") {
            if p.is_empty() {
                return Err(LinkError::BadPort(text.into()));
            }
            Ok(PortSpec::Unix(PathBuf::from(p)))
        } else if let Some(a) = text.strip_prefix("tcp:") {
            if !a.contains(':') {
                return Err(LinkError::BadPort(text.into()));
            }
            Ok(PortSpec::Tcp(a.into()))
        } else if text.is_empty() {
            Err(LinkError::BadPort(text.into()))
        } else {
            Ok(PortSpec::Serial {
                path: text.into(),
                baud,
            })
        }
    }

    /// The line rate in bytes per second for serial ports (10 bits a byte in 8N1).
    pub fn line_rate(&self) -> Option<u64> {
        match self {
            // A pseudo-terminal ignores the baud rate.
            PortSpec::Serial { path, baud } if !path.starts_with("/dev/pts/") => {
                Some(u64::from(*baud) / 10)
            }
            _ => None,
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Serial { path, baud } => write!(f, "{path} ({baud} baud, 8N1)"),
            PortSpec::Unix(p) => write!(f, "unix:{}", p.display()),
            PortSpec::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

/// Why a link or a session failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum LinkError {
    /// The port text is not `unix:PATH`, `tcp:HOST:PORT` or a device path.
    BadPort(String),
    /// Opening, reading or writing the link failed.
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The other side closed the link.
    Closed,
    /// The protocol failed.
    Protocol(ProtocolError),
    /// The device's storage failed.
    Storage(StorageError),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::BadPort(p) => write!(
                f,
                "port {p:?}: expected a serial device path, unix:PATH or tcp:HOST:PORT"
            ),
            LinkError::Io { what, source } => write!(f, "{what}: {source}"),
            LinkError::Closed => f.write_str("the link was closed by the other side"),
            LinkError::Protocol(e) => write!(f, "{e}"),
            LinkError::Storage(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LinkError::Io { source, .. } => Some(source),
            LinkError::Protocol(e) => Some(e),
            LinkError::Storage(e) => Some(e),
            _ => None,
        }
    }
}

/// Whether a read or write error only means that nothing moved within the timeout
/// (or the call was interrupted): the link is still up.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> LinkError {
    let what = what.into();
    move |source| LinkError::Io { what, source }
}

/// A byte stream with a read timeout.
pub trait Conn: Read + Write + Send {
    /// Sets how long a read waits before returning a timeout.
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()>;
}

impl Conn for UnixStream {
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        UnixStream::set_read_timeout(self, Some(timeout))
    }
}

impl Conn for TcpStream {
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        TcpStream::set_read_timeout(self, Some(timeout))
    }
}

struct SerialConn(Box<dyn serialport::SerialPort>);

impl Read for SerialConn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for SerialConn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Conn for SerialConn {
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.0.set_timeout(timeout).map_err(io::Error::from)
    }
}

/// An open link.
pub struct Link {
    conn: Box<dyn Conn>,
    name: String,
}

impl Link {
    /// Wraps any stream (tests use in-process pipes).
    pub fn new(conn: Box<dyn Conn>, name: impl Into<String>) -> Link {
        Link {
            conn,
            name: name.into(),
        }
    }

    /// What the link is connected to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads what is available within `timeout`: `Ok(0)` on timeout, `Err(Closed)` at
    /// the end of the stream.
    pub fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        self.conn
            .set_read_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(io_err(format!("setting a timeout on {}", self.name)))?;
        match self.conn.read(buf) {
            Ok(0) => Err(LinkError::Closed),
            Ok(n) => Ok(n),
            Err(e) if is_timeout(&e) => Ok(0),
            Err(e) => Err(LinkError::Io {
                what: format!("reading from {}", self.name),
                source: e,
            }),
        }
    }

    /// Writes all of `bytes`. A serial port's or socket's write timeout only means the
    /// line is busy (a 64 KiB frame takes seconds at 115200 baud): writing goes on until
    /// no byte could be written for [`WRITE_STALL`].
    pub fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), LinkError> {
        let mut progress_at = Instant::now();
        while !bytes.is_empty() {
            match self.conn.write(bytes) {
                Ok(0) => return Err(LinkError::Closed),
                Ok(n) => {
                    bytes = &bytes[n..];
                    progress_at = Instant::now();
                }
                Err(e) if is_timeout(&e) => {
                    if progress_at.elapsed() > WRITE_STALL {
                        return Err(LinkError::Io {
                            what: format!(
                                "writing to {}: no byte accepted for {} s",
                                self.name,
                                WRITE_STALL.as_secs()
                            ),
                            source: e,
                        });
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    return Err(LinkError::Closed)
                }
                Err(e) => {
                    return Err(LinkError::Io {
                        what: format!("writing to {}", self.name),
                        source: e,
                    })
                }
            }
        }
        self.conn
            .flush()
            .map_err(io_err(format!("flushing {}", self.name)))
    }
}

/// How long a write may make no progress before the link is declared stuck.
pub const WRITE_STALL: Duration = Duration::from_secs(30);

/// Write timeout of sockets: a write blocked this long returns, and is retried until
/// [`WRITE_STALL`].
const SOCKET_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

fn open_serial(path: &str, baud: u32) -> Result<Link, LinkError> {
    // Only a character device can be a serial port; anything else would be opened and
    // then refused by the terminal settings ("Not a typewriter").
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = meta.file_type();
        let what = if kind.is_dir() {
            Some("a directory")
        } else if kind.is_file() {
            Some("a regular file")
        } else if kind.is_fifo() {
            Some("a FIFO")
        } else if kind.is_socket() {
            Some("a unix socket (give it as unix:PATH)")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(LinkError::Io {
                what: format!("opening serial port {path}"),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("is {what}, not a serial device"),
                ),
            });
        }
    }
    let port = serialport::new(path, baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(Duration::from_millis(50))
        .open()
        .map_err(|e| {
            // A device that is not a terminal (`/dev/null`) is refused by the terminal
            // settings with ENOTTY's dated text; say what it is instead.
            let not_a_terminal =
                std::fs::File::open(path).is_ok_and(|f| !std::io::IsTerminal::is_terminal(&f));
            let source = if not_a_terminal {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "is a device that is not a terminal, not a serial device",
                )
            } else {
                io::Error::from(e)
            };
            LinkError::Io {
                what: format!("opening serial port {path}"),
                source,
            }
        })?;
    Ok(Link::new(Box::new(SerialConn(port)), path))
}

/// What kind of device a serial port is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialPortKind {
    /// A USB serial adapter, with what its descriptor says.
    Usb {
        /// USB vendor id.
        vid: u16,
        /// USB product id.
        pid: u16,
        /// Serial number, if the device reports one.
        serial_number: Option<String>,
        /// Manufacturer string, if reported.
        manufacturer: Option<String>,
        /// Product string, if reported.
        product: Option<String>,
    },
    /// A PCI serial card.
    Pci,
    /// A Bluetooth serial link.
    Bluetooth,
    /// A port whose kind the system does not say (a built-in UART, a pseudo-terminal).
    Unknown,
}

/// A serial port the system knows of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialPortInfo {
    /// The device path to give as the port (`/dev/ttyUSB0`).
    pub path: String,
    /// What kind of device it is.
    pub kind: SerialPortKind,
}

/// The serial ports the system knows of (enumerated by `serialport`), sorted by path.
pub fn serial_ports() -> Result<Vec<SerialPortInfo>, LinkError> {
    let ports = serialport::available_ports().map_err(|e| LinkError::Io {
        what: "listing serial ports".into(),
        source: io::Error::from(e),
    })?;
    let mut out: Vec<SerialPortInfo> = ports
        .into_iter()
        .map(|p| SerialPortInfo {
            path: p.port_name,
            kind: match p.port_type {
                serialport::SerialPortType::UsbPort(u) => SerialPortKind::Usb {
                    vid: u.vid,
                    pid: u.pid,
                    serial_number: u.serial_number,
                    manufacturer: u.manufacturer,
                    product: u.product,
                },
                serialport::SerialPortType::PciPort => SerialPortKind::Pci,
                serialport::SerialPortType::BluetoothPort => SerialPortKind::Bluetooth,
                serialport::SerialPortType::Unknown => SerialPortKind::Unknown,
            },
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// Opens the host side: a serial port, or connects to a listening socket.
pub fn connect(spec: &PortSpec) -> Result<Link, LinkError> {
    match spec {
        PortSpec::Serial { path, baud } => open_serial(path, *baud),
        PortSpec::Unix(p) => {
            let s = UnixStream::connect(p)
                .map_err(io_err(format!("connecting to unix:{}", p.display())))?;
            s.set_write_timeout(Some(SOCKET_WRITE_TIMEOUT))
                .map_err(io_err("setting a write timeout"))?;
            Ok(Link::new(Box::new(s), spec.to_string()))
        }
        PortSpec::Tcp(a) => {
            let s = TcpStream::connect(a).map_err(io_err(format!("connecting to tcp:{a}")))?;
            s.set_write_timeout(Some(SOCKET_WRITE_TIMEOUT))
                .map_err(io_err("setting a write timeout"))?;
            // Best effort: small frames (ACKs) should not wait for Nagle.
            let _ = s.set_nodelay(true);
            Ok(Link::new(Box::new(s), spec.to_string()))
        }
    }
}

/// The device side's endpoint: a serial port, or a listening socket.
pub enum Listener {
    /// A serial port, opened on each accept.
    Serial(String, u32),
    /// A unix socket (the socket file is removed on drop).
    Unix(UnixListener, PathBuf),
    /// A TCP socket.
    Tcp(TcpListener),
}

impl Listener {
    /// Binds (sockets) or checks nothing yet (serial ports).
    pub fn bind(spec: &PortSpec) -> Result<Listener, LinkError> {
        match spec {
            PortSpec::Serial { path, baud } => Ok(Listener::Serial(path.clone(), *baud)),
            PortSpec::Unix(p) => {
                let l = UnixListener::bind(p)
                    .map_err(io_err(format!("listening on unix:{}", p.display())))?;
                Ok(Listener::Unix(l, p.clone()))
            }
            PortSpec::Tcp(a) => {
                let l = TcpListener::bind(a).map_err(io_err(format!("listening on tcp:{a}")))?;
                Ok(Listener::Tcp(l))
            }
        }
    }

    /// Waits for the next connection (serial: opens the port).
    pub fn accept(&self) -> Result<Link, LinkError> {
        match self {
            Listener::Serial(path, baud) => open_serial(path, *baud),
            Listener::Unix(l, p) => {
                let (s, _) = l
                    .accept()
                    .map_err(io_err(format!("accepting on unix:{}", p.display())))?;
                s.set_write_timeout(Some(SOCKET_WRITE_TIMEOUT))
                    .map_err(io_err("setting a write timeout"))?;
                Ok(Link::new(Box::new(s), format!("unix:{}", p.display())))
            }
            Listener::Tcp(l) => {
                let (s, peer) = l.accept().map_err(io_err("accepting a TCP connection"))?;
                s.set_write_timeout(Some(SOCKET_WRITE_TIMEOUT))
                    .map_err(io_err("setting a write timeout"))?;
                let _ = s.set_nodelay(true);
                Ok(Link::new(Box::new(s), format!("tcp:{peer}")))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, p) = self {
            // Best effort: the socket file is ours.
            let _ = fs::remove_file(p);
        }
    }
}

/// An image file as the sender's source.
pub struct FileSource(pub File);

impl ImageSource for FileSource {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        self.0.read_exact_at(buf, offset).map_err(|e| e.to_string())
    }
}

/// Runs `sender` over `link` until the session ends. `progress` is called after every
/// batch of frames (callers rate-limit their own output).
pub fn run_sender(
    link: &mut Link,
    sender: &mut Sender,
    source: &mut dyn ImageSource,
    progress: &mut dyn FnMut(&Sender),
) -> Result<Outcome, LinkError> {
    let start = Instant::now();
    let now = |start: Instant| start.elapsed().as_micros() as u64;
    let mut decoder = Decoder::new();
    let mut buf = std::vec![0u8; 128 << 10];
    loop {
        while let Some(bytes) = sender.poll_transmit(now(start), source) {
            link.write_all(&bytes)?;
        }
        if let Some(outcome) = sender.outcome() {
            return outcome.clone().map_err(LinkError::Protocol);
        }
        let t = now(start);
        let wait = sender
            .next_deadline()
            .map(|d| d.saturating_sub(t))
            .unwrap_or(50_000)
            .clamp(1_000, 50_000);
        let n = link.read_some(&mut buf, Duration::from_micros(wait))?;
        if n > 0 {
            decoder.push(&buf[..n]);
            let t = now(start);
            while let Some(frame) = decoder.next_frame() {
                sender.handle(&frame, t);
            }
        }
        progress(sender);
    }
}

/// How a served connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeEnd {
    /// The host closed the link.
    Closed,
    /// The host asked for a reboot (after it was acknowledged).
    Reboot(RebootMode),
    /// `stop` returned true.
    Stopped,
}

/// Serves one connection: answers frames, checkpoints the journal when the link is idle,
/// and reports events to `log`. The connection is a session of its own: it starts and
/// ends with [`Device::end_link`], so nothing it was allowed carries over to the next.
pub fn serve_link<S: Storage>(
    link: &mut Link,
    device: &mut Device<S>,
    log: &mut dyn FnMut(&Event),
    stop: &dyn Fn() -> bool,
) -> Result<ServeEnd, LinkError> {
    device.end_link();
    let end = serve_frames(link, device, log, stop);
    device.end_link();
    end
}

fn serve_frames<S: Storage>(
    link: &mut Link,
    device: &mut Device<S>,
    log: &mut dyn FnMut(&Event),
    stop: &dyn Fn() -> bool,
) -> Result<ServeEnd, LinkError> {
    let mut decoder = Decoder::new();
    let mut buf = std::vec![0u8; 128 << 10];
    let mut out = Vec::new();
    loop {
        if stop() {
            device.checkpoint().map_err(LinkError::Storage)?;
            return Ok(ServeEnd::Stopped);
        }
        let n = match link.read_some(&mut buf, Duration::from_millis(100)) {
            Ok(n) => n,
            Err(LinkError::Closed) => {
                device.checkpoint().map_err(LinkError::Storage)?;
                return Ok(ServeEnd::Closed);
            }
            Err(e) => {
                // Keep what was written before reporting the failure.
                let _ = device.checkpoint();
                return Err(e);
            }
        };
        if n == 0 {
            device.checkpoint().map_err(LinkError::Storage)?;
            continue;
        }
        decoder.push(&buf[..n]);
        out.clear();
        while let Some(frame) = decoder.next_frame() {
            if let Some(reply) = device.handle(&frame) {
                reply.encode_into(&mut out);
            }
        }
        if !out.is_empty() {
            link.write_all(&out)?;
        }
        let mut reboot = None;
        for e in device.take_events() {
            if let Event::Reboot(mode) = e {
                reboot = Some(mode);
            }
            log(&e);
        }
        if let Some(mode) = reboot {
            device.checkpoint().map_err(LinkError::Storage)?;
            return Ok(ServeEnd::Reboot(mode));
        }
    }
}

/// A device disk backed by a file, with its journal beside it (`<disk>.flash-journal`).
pub struct FileStorage {
    file: File,
    path: PathBuf,
    journal: PathBuf,
    capacity: u64,
}

impl FileStorage {
    /// Opens (creating if needed) the disk file.
    pub fn open(path: &Path, capacity: u64) -> Result<FileStorage, LinkError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err(format!("opening disk {}", path.display())))?;
        let mut name = std::ffi::OsString::from(path.as_os_str());
        name.push(".flash-journal");
        Ok(FileStorage {
            file,
            path: path.to_path_buf(),
            journal: PathBuf::from(name),
            capacity,
        })
    }

    /// The journal's path.
    pub fn journal_path(&self) -> &Path {
        &self.journal
    }

    fn err(&self, what: &str, e: impl fmt::Display) -> StorageError {
        StorageError {
            message: format!("{what} {}: {e}", self.path.display()),
        }
    }
}

impl Storage for FileStorage {
    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn prepare(&mut self, image_len: u64) -> Result<(), StorageError> {
        self.file
            .set_len(0)
            .map_err(|e| self.err("truncating", e))?;
        self.file
            .set_len(image_len)
            .map_err(|e| self.err("sizing", e))
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), StorageError> {
        self.file
            .write_all_at(data, offset)
            .map_err(|e| self.err("writing", e))
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), StorageError> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| self.err("reading", e))
    }

    fn flush(&mut self) -> Result<(), StorageError> {
        self.file.sync_data().map_err(|e| self.err("syncing", e))
    }

    fn load_journal(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        match durable::read_capped(&self.journal, 1 << 20) {
            Ok(b) if b.is_empty() => Ok(None),
            Ok(b) => Ok(Some(b)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(StorageError {
                message: e.to_string(),
            }),
        }
    }

    fn store_journal(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        durable::write_atomic(&self.journal, bytes).map_err(|e| StorageError {
            message: e.to_string(),
        })
    }
}
