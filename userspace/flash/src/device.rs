//! The device side of the protocol: a sans-IO state machine that answers each frame with
//! one reply frame and reaches its disk through [`Storage`].
//!
//! Rules: a MANIFEST is accepted only when its signature verifies with a trusted key (or
//! the device was explicitly configured insecure), its board matches and it fits the
//! disk. WRITE, VERIFY, DONE and ABORT are accepted only inside a *link session* whose
//! MANIFEST the device accepted: a link session begins when the device starts, at every
//! HELLO and when the driver reports a new connection ([`Device::end_link`]), and none of
//! them carries an earlier session's acceptance, so a host must (re-)send a signed
//! manifest before it may change or inspect what the device holds (a resumed flash re-sends
//! it with the resume flag, a verification with the attach flag). HELLO, INFO and REBOOT
//! need no manifest. A WRITE only lands inside a range the manifest names;
//! DONE checks every range's SHA-256 and reports the first mismatch by name, forgetting
//! that range's progress so the host can send it again. Progress is journaled durably
//! (disk flushed first, then the journal written atomically) every
//! [`DeviceConfig::checkpoint_bytes`], on DONE, and when the driver calls
//! [`Device::checkpoint`]; after a restart the device resumes from its journal.
//! Duplicated and reordered frames are harmless: WRITE is idempotent, and a repeated
//! control frame (same seq and command) gets the cached reply without running again.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use image::Manifest;
use sha2::Digest as _;
use signing::{Signature, TrustedKeys};

use crate::extents::Extents;
use crate::frame::{Command, Frame, FLAG_ATTACH, FLAG_RESUME, MAX_CHUNK};
use crate::proto::{
    DeviceState, HelloReply, InfoReply, ManifestPayload, Nak, NakCode, RangeStatus, Reader,
    RebootMode, VerifyReply, WriteAck, WriteHeader,
};

/// A storage failure, with the device's own description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    /// What failed.
    pub message: String,
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage: {}", self.message)
    }
}

impl core::error::Error for StorageError {}

/// The device's disk and its journal slot.
pub trait Storage {
    /// Bytes available for an image.
    fn capacity(&self) -> u64;
    /// Prepares the disk for a new image of `image_len` bytes: afterwards every byte of
    /// `[0, image_len)` not yet written reads as zero.
    fn prepare(&mut self, image_len: u64) -> Result<(), StorageError>;
    /// Writes `data` at `offset`.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), StorageError>;
    /// Reads `buf.len()` bytes at `offset`.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), StorageError>;
    /// Makes every completed write durable.
    fn flush(&mut self) -> Result<(), StorageError>;
    /// The last journal stored, if any.
    fn load_journal(&mut self) -> Result<Option<Vec<u8>>, StorageError>;
    /// Replaces the journal durably and atomically.
    fn store_journal(&mut self, bytes: &[u8]) -> Result<(), StorageError>;
}

/// Which manifests the device accepts.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Only manifests signed by one of these keys.
    Keys(TrustedKeys),
    /// Any manifest, signed or not, without checking (bring-up only; announced).
    InsecureAcceptUnsigned,
}

/// Device configuration.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// Trusted keys, or insecure mode.
    pub trust: Trust,
    /// The device's board; manifests for another board are refused. `None` skips the check.
    pub board: Option<String>,
    /// Largest WRITE data accepted (at most [`MAX_CHUNK`]).
    pub max_chunk: u32,
    /// Frames in flight the device can absorb.
    pub window: u16,
    /// Journal progress after this many written bytes.
    pub checkpoint_bytes: u64,
}

impl DeviceConfig {
    /// Defaults: 64 KiB chunks, a window of 32 frames, a checkpoint every 4 MiB.
    pub fn new(trust: Trust) -> DeviceConfig {
        DeviceConfig {
            trust,
            board: None,
            max_chunk: MAX_CHUNK as u32,
            window: 32,
            checkpoint_bytes: 4 << 20,
        }
    }
}

/// Something the device's driver may want to log or act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A HELLO opened a session.
    Hello,
    /// A manifest was accepted.
    ManifestAccepted {
        /// Board.
        board: String,
        /// System version.
        system_version: String,
        /// Progress for the same manifest was kept.
        resumed: bool,
        /// It was accepted without signature verification (insecure mode).
        unverified: bool,
    },
    /// A frame was refused.
    Refused {
        /// The command.
        command: Command,
        /// The NAK message.
        message: String,
    },
    /// DONE succeeded: every range matches.
    Complete,
    /// A reboot was requested (the driver performs it).
    Reboot(RebootMode),
    /// The session was aborted.
    Aborted,
    /// The journal could not be read back, or its manifest no longer verifies with the
    /// trusted keys, and it was ignored.
    JournalIgnored {
        /// Why.
        reason: String,
    },
}

struct Session {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    signature: Option<[u8; 64]>,
    sha256: [u8; 32],
    extents: Vec<Extents>,
    complete: bool,
}

/// The device state machine.
pub struct Device<S: Storage> {
    storage: S,
    config: DeviceConfig,
    session: Option<Session>,
    /// A MANIFEST was accepted in the current link session (see the module rules).
    manifest_on_link: bool,
    sack: WriteAck,
    last_control: Option<(u32, Command, Frame)>,
    unflushed: u64,
    journal_dirty: bool,
    events: Vec<Event>,
}

const JOURNAL_MAGIC: &[u8; 4] = b"NXFJ";
const JOURNAL_VERSION: u8 = 1;

fn nak(seq: u32, code: NakCode, message: String) -> Frame {
    Frame::new(
        Command::Nak,
        seq,
        Nak {
            code: code as u16,
            message,
        }
        .encode(),
    )
}

/// The refusal of a WRITE, VERIFY, DONE or ABORT outside a session with a manifest.
fn no_manifest(frame: &Frame) -> Frame {
    nak(
        frame.seq,
        NakCode::NoManifest,
        format!(
            "{} before a MANIFEST accepted in this session (send HELLO and the signed manifest first)",
            frame.command.name()
        ),
    )
}

fn ack(seq: u32, payload: Vec<u8>) -> Frame {
    Frame::new(Command::Ack, seq, payload)
}

impl<S: Storage> Device<S> {
    /// A device over `storage`, resuming the session its journal records (if the
    /// journal is valid and its manifest still verifies).
    pub fn new(mut storage: S, config: DeviceConfig) -> Device<S> {
        let mut events = Vec::new();
        let session = match storage.load_journal() {
            Ok(Some(bytes)) => {
                let s = decode_journal(&bytes).and_then(|s| {
                    check_trust(&config.trust, &s.manifest, &s.manifest_bytes, s.signature)
                        .map(|_| s)
                        .map_err(|e| format!("its {e}"))
                });
                match s {
                    Ok(s) => Some(s),
                    Err(reason) => {
                        events.push(Event::JournalIgnored { reason });
                        None
                    }
                }
            }
            Ok(None) => None,
            Err(e) => {
                events.push(Event::JournalIgnored { reason: e.message });
                None
            }
        };
        Device {
            storage,
            config,
            session,
            manifest_on_link: false,
            sack: WriteAck::default(),
            last_control: None,
            unflushed: 0,
            journal_dirty: false,
            events,
        }
    }

    /// The storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Gives the storage back (a device restart in tests keeps the storage).
    pub fn into_storage(self) -> S {
        self.storage
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        core::mem::take(&mut self.events)
    }

    /// Ends the current link session (the driver calls it when a connection closes or a
    /// new one opens): the next WRITE, VERIFY, DONE or ABORT needs a MANIFEST again, and
    /// no cached reply of the old session is replayed.
    pub fn end_link(&mut self) {
        self.manifest_on_link = false;
        self.last_control = None;
        self.sack = WriteAck::default();
    }

    /// Whether a MANIFEST was accepted in the current link session.
    pub fn has_manifest_on_link(&self) -> bool {
        self.manifest_on_link
    }

    /// Whether the device runs without signature checks.
    pub fn is_insecure(&self) -> bool {
        matches!(self.config.trust, Trust::InsecureAcceptUnsigned)
    }

    /// Flushes the disk and journals progress, if anything changed since the last time.
    pub fn checkpoint(&mut self) -> Result<(), StorageError> {
        if !self.journal_dirty {
            return Ok(());
        }
        self.storage.flush()?;
        let bytes = match &self.session {
            Some(s) => encode_journal(s),
            None => Vec::new(),
        };
        self.storage.store_journal(&bytes)?;
        self.unflushed = 0;
        self.journal_dirty = false;
        Ok(())
    }

    /// Handles one frame; returns the reply, or `None` for frames that get none (replies
    /// sent to the device).
    pub fn handle(&mut self, frame: &Frame) -> Option<Frame> {
        let reply = match frame.command {
            Command::Ack | Command::Nak => return None,
            Command::Write if !self.manifest_on_link => no_manifest(frame),
            Command::Write => self.on_write(frame),
            Command::Verify | Command::Done | Command::Abort if !self.manifest_on_link => {
                // Not cached: the same seq after a MANIFEST must run for real.
                no_manifest(frame)
            }
            command => {
                if let Some((seq, cmd, reply)) = &self.last_control {
                    if *seq == frame.seq && *cmd == command {
                        return Some(reply.clone());
                    }
                }
                let reply = match command {
                    Command::Hello => self.on_hello(frame),
                    Command::Info => self.on_info(frame),
                    Command::Manifest => self.on_manifest(frame),
                    Command::Verify => self.on_verify(frame),
                    Command::Done => self.on_done(frame),
                    Command::Reboot => self.on_reboot(frame),
                    _ => self.on_abort(frame),
                };
                self.last_control = Some((frame.seq, command, reply.clone()));
                reply
            }
        };
        if reply.command == Command::Nak {
            let message = Nak::decode(&reply.payload)
                .map(|n| n.message)
                .unwrap_or_default();
            self.events.push(Event::Refused {
                command: frame.command,
                message,
            });
        }
        Some(reply)
    }

    fn on_hello(&mut self, frame: &Frame) -> Frame {
        self.end_link();
        self.events.push(Event::Hello);
        ack(
            frame.seq,
            HelloReply {
                max_chunk: self.config.max_chunk.min(MAX_CHUNK as u32),
                window: self.config.window,
                insecure: self.is_insecure(),
                board: self.config.board.clone().unwrap_or_default(),
            }
            .encode(),
        )
    }

    fn on_info(&mut self, frame: &Frame) -> Frame {
        let reply = match &self.session {
            None => InfoReply {
                state: DeviceState::Idle,
                manifest_sha256: [0; 32],
                image_size: 0,
                written: 0,
                ranges: Vec::new(),
            },
            Some(s) => InfoReply {
                state: if s.complete {
                    DeviceState::Complete
                } else {
                    DeviceState::Writing
                },
                manifest_sha256: s.sha256,
                image_size: s.manifest.image.size,
                written: s.extents.iter().map(|e| e.covered()).sum(),
                ranges: s
                    .manifest
                    .ranges
                    .iter()
                    .zip(&s.extents)
                    .map(|(r, e)| (r.name.clone(), e.clone()))
                    .collect(),
            },
        };
        ack(frame.seq, reply.encode())
    }

    fn on_manifest(&mut self, frame: &Frame) -> Frame {
        let payload = match ManifestPayload::decode(&frame.payload) {
            Ok(p) => p,
            Err(e) => return nak(frame.seq, NakCode::Malformed, format!("{e}")),
        };
        let manifest = match Manifest::parse(&payload.manifest) {
            Ok(m) => m,
            Err(e) => return nak(frame.seq, NakCode::BadManifest, format!("{e}")),
        };
        let unverified = match check_trust(
            &self.config.trust,
            &manifest,
            &payload.manifest,
            payload.signature,
        ) {
            Ok(unverified) => unverified,
            Err(message) => return nak(frame.seq, NakCode::BadSignature, message),
        };
        if let Some(board) = &self.config.board {
            if *board != manifest.board {
                return nak(
                    frame.seq,
                    NakCode::WrongBoard,
                    format!(
                        "manifest is for board {}, this device is {board}",
                        manifest.board
                    ),
                );
            }
        }
        if manifest.image.size > self.storage.capacity() {
            return nak(
                frame.seq,
                NakCode::TooLarge,
                format!(
                    "image of {} bytes does not fit the disk ({} bytes)",
                    manifest.image.size,
                    self.storage.capacity()
                ),
            );
        }
        let sha256: [u8; 32] = sha2::Sha256::digest(&payload.manifest).into();
        let held = self.session.as_ref().is_some_and(|s| s.sha256 == sha256);
        if frame.flags & FLAG_ATTACH != 0 && !held {
            return nak(
                frame.seq,
                NakCode::NotHeld,
                match &self.session {
                    Some(s) => format!(
                        "this device holds another image (board {}, version {}); nothing changed",
                        s.manifest.board, s.manifest.system_version
                    ),
                    None => "this device holds no image; nothing changed".into(),
                },
            );
        }
        let resumed = frame.flags & (FLAG_RESUME | FLAG_ATTACH) != 0 && held;
        if !resumed {
            if let Err(e) = self.storage.prepare(manifest.image.size) {
                return nak(frame.seq, NakCode::Storage, format!("{e}"));
            }
            let n = manifest.ranges.len();
            self.session = Some(Session {
                manifest: manifest.clone(),
                manifest_bytes: payload.manifest,
                signature: payload.signature,
                sha256,
                extents: vec![Extents::new(); n],
                complete: false,
            });
            self.journal_dirty = true;
            if let Err(e) = self.checkpoint() {
                return nak(frame.seq, NakCode::Storage, format!("{e}"));
            }
        }
        self.manifest_on_link = true;
        self.events.push(Event::ManifestAccepted {
            board: manifest.board.clone(),
            system_version: manifest.system_version.clone(),
            resumed,
            unverified,
        });
        ack(frame.seq, vec![u8::from(resumed)])
    }

    fn on_write(&mut self, frame: &Frame) -> Frame {
        let Some(session) = &mut self.session else {
            return nak(
                frame.seq,
                NakCode::NoManifest,
                "WRITE before an accepted MANIFEST".into(),
            );
        };
        let (header, data) = match WriteHeader::decode(&frame.payload) {
            Ok(v) => v,
            Err(e) => return nak(frame.seq, NakCode::Malformed, format!("{e}")),
        };
        let Some(idx) = session
            .manifest
            .ranges
            .iter()
            .position(|r| r.name == header.range)
        else {
            return nak(
                frame.seq,
                NakCode::OutOfRange,
                format!(
                    "WRITE seq {}: range {} is not in the manifest",
                    frame.seq, header.range
                ),
            );
        };
        let range = &session.manifest.ranges[idx];
        let end = header.offset.checked_add(data.len() as u64);
        if data.is_empty()
            || data.len() > self.config.max_chunk as usize
            || end.is_none_or(|e| e > range.size)
        {
            return nak(
                frame.seq,
                NakCode::OutOfRange,
                format!(
                    "WRITE seq {}: {} bytes at offset {} do not fit range {} ({} bytes)",
                    frame.seq,
                    data.len(),
                    header.offset,
                    range.name,
                    range.size
                ),
            );
        }
        if let Err(e) = self.storage.write_at(range.offset + header.offset, data) {
            return nak(frame.seq, NakCode::Storage, format!("{e}"));
        }
        session.extents[idx].insert(header.offset, header.offset + data.len() as u64);
        session.complete = false;
        self.sack.record(frame.seq);
        self.unflushed += data.len() as u64;
        self.journal_dirty = true;
        if self.unflushed >= self.config.checkpoint_bytes {
            if let Err(e) = self.checkpoint() {
                return nak(frame.seq, NakCode::Storage, format!("{e}"));
            }
        }
        ack(frame.seq, self.sack.encode())
    }

    /// Hashes range `idx` of the session from the disk.
    fn range_matches(&mut self, idx: usize) -> Result<bool, StorageError> {
        let Some(s) = &self.session else {
            return Ok(false);
        };
        let r = &s.manifest.ranges[idx];
        let (offset, size, want) = (r.offset, r.size, r.sha256.0);
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 256 << 10];
        let mut at = 0u64;
        while at < size {
            let n = ((size - at) as usize).min(buf.len());
            self.storage.read_at(offset + at, &mut buf[..n])?;
            hasher.update(&buf[..n]);
            at += n as u64;
        }
        Ok(<[u8; 32]>::from(hasher.finalize()) == want)
    }

    fn on_verify(&mut self, frame: &Frame) -> Frame {
        let Some(s) = &self.session else {
            return nak(
                frame.seq,
                NakCode::NoManifest,
                "no manifest to verify against".into(),
            );
        };
        let plan: Vec<(String, bool)> = s
            .manifest
            .ranges
            .iter()
            .zip(&s.extents)
            .map(|(r, e)| (r.name.clone(), s.complete || e.is_complete(r.size)))
            .collect();
        let mut ranges = Vec::new();
        for (idx, (name, written)) in plan.into_iter().enumerate() {
            let status = if !written {
                RangeStatus::Incomplete
            } else {
                match self.range_matches(idx) {
                    Ok(true) => RangeStatus::Ok,
                    Ok(false) => RangeStatus::Mismatch,
                    Err(e) => return nak(frame.seq, NakCode::Storage, format!("{e}")),
                }
            };
            ranges.push((name, status));
        }
        ack(frame.seq, VerifyReply { ranges }.encode())
    }

    fn on_done(&mut self, frame: &Frame) -> Frame {
        let Some(s) = &self.session else {
            return nak(
                frame.seq,
                NakCode::NoManifest,
                "DONE before an accepted MANIFEST".into(),
            );
        };
        for (r, e) in s.manifest.ranges.iter().zip(&s.extents) {
            if !e.is_complete(r.size) {
                return nak(
                    frame.seq,
                    NakCode::Incomplete,
                    format!(
                        "range {}: {} of {} bytes written",
                        r.name,
                        e.covered(),
                        r.size
                    ),
                );
            }
        }
        if let Err(e) = self.storage.flush() {
            return nak(frame.seq, NakCode::Storage, format!("{e}"));
        }
        let count = s.manifest.ranges.len();
        for idx in 0..count {
            match self.range_matches(idx) {
                Ok(true) => {}
                Ok(false) => {
                    let mut name = String::new();
                    if let Some(s) = &mut self.session {
                        s.extents[idx] = Extents::new();
                        name = s.manifest.ranges[idx].name.clone();
                    }
                    self.journal_dirty = true;
                    let _ = self.checkpoint();
                    return nak(
                        frame.seq,
                        NakCode::Mismatch,
                        format!("range {name}: SHA-256 does not match the manifest"),
                    );
                }
                Err(e) => return nak(frame.seq, NakCode::Storage, format!("{e}")),
            }
        }
        if let Some(s) = &mut self.session {
            s.complete = true;
        }
        self.journal_dirty = true;
        if let Err(e) = self.checkpoint() {
            return nak(frame.seq, NakCode::Storage, format!("{e}"));
        }
        self.events.push(Event::Complete);
        ack(frame.seq, Vec::new())
    }

    fn on_reboot(&mut self, frame: &Frame) -> Frame {
        match RebootMode::decode(&frame.payload) {
            Ok(mode) => {
                if let Err(e) = self.checkpoint() {
                    return nak(frame.seq, NakCode::Storage, format!("{e}"));
                }
                self.events.push(Event::Reboot(mode));
                ack(frame.seq, Vec::new())
            }
            Err(e) => nak(frame.seq, NakCode::Malformed, format!("{e}")),
        }
    }

    fn on_abort(&mut self, frame: &Frame) -> Frame {
        self.session = None;
        self.manifest_on_link = false;
        self.journal_dirty = true;
        if let Err(e) = self.checkpoint() {
            return nak(frame.seq, NakCode::Storage, format!("{e}"));
        }
        self.events.push(Event::Aborted);
        ack(frame.seq, Vec::new())
    }
}

/// Checks a manifest against the trust configuration; `Ok(true)` when it was accepted
/// without verification (insecure mode).
fn check_trust(
    trust: &Trust,
    manifest: &Manifest,
    bytes: &[u8],
    signature: Option<[u8; 64]>,
) -> Result<bool, String> {
    match trust {
        Trust::InsecureAcceptUnsigned => Ok(true),
        Trust::Keys(keys) => {
            let Some(sig) = signature else {
                return Err("manifest is unsigned; this device only accepts manifests signed by a trusted key".into());
            };
            let signer = keys
                .verify(bytes, &Signature::from_bytes(sig))
                .map_err(|e| format!("manifest {e}"))?;
            manifest
                .profile
                .key_policy()
                .check(&signer)
                .map_err(|e| format!("manifest: {e}"))?;
            Ok(false)
        }
    }
}

fn encode_journal(s: &Session) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(JOURNAL_MAGIC);
    out.push(JOURNAL_VERSION);
    out.push(u8::from(s.complete));
    match &s.signature {
        Some(sig) => {
            out.push(64);
            out.extend_from_slice(sig);
        }
        None => out.push(0),
    }
    out.extend_from_slice(&(s.manifest_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&s.manifest_bytes);
    out.push(s.extents.len() as u8);
    for e in &s.extents {
        e.encode_into(&mut out);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Decodes a journal; the error says what is wrong with it.
fn decode_journal(bytes: &[u8]) -> Result<Session, String> {
    let field = |e: crate::FrameError| format!("malformed field {}", e.field);
    let body_len = bytes
        .len()
        .checked_sub(4)
        .ok_or_else(|| format!("{} bytes, too short for its CRC32", bytes.len()))?;
    let (body, crc) = bytes.split_at(body_len);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err("CRC32 mismatch (damaged)".into());
    }
    let mut r = Reader::new(body, "journal");
    if r.take(4, "magic").map_err(field)? != JOURNAL_MAGIC {
        return Err("bad magic (not a flash journal)".into());
    }
    let version = r.u8("version").map_err(field)?;
    if version != JOURNAL_VERSION {
        return Err(format!(
            "version {version}, this device reads version {JOURNAL_VERSION}"
        ));
    }
    let complete = r.u8("complete").map_err(field)? != 0;
    let signature = match r.u8("signature length").map_err(field)? {
        0 => None,
        64 => {
            let mut s = [0u8; 64];
            s.copy_from_slice(r.take(64, "signature").map_err(field)?);
            Some(s)
        }
        n => return Err(format!("signature length {n}, expected 0 or 64")),
    };
    let len = r.u32("manifest length").map_err(field)? as usize;
    if len > image::MAX_MANIFEST_LEN {
        return Err(format!(
            "manifest length {len}, more than {}",
            image::MAX_MANIFEST_LEN
        ));
    }
    let manifest_bytes = r.take(len, "manifest").map_err(field)?.to_vec();
    let manifest = Manifest::parse(&manifest_bytes).map_err(|e| format!("manifest: {e}"))?;
    let n = usize::from(r.u8("range count").map_err(field)?);
    if n != manifest.ranges.len() {
        return Err(format!(
            "{n} ranges of progress, but its manifest has {}",
            manifest.ranges.len()
        ));
    }
    let mut extents = Vec::with_capacity(n);
    for _ in 0..n {
        extents.push(Extents::decode_from(&mut r).map_err(field)?);
    }
    r.end("trailing bytes").map_err(field)?;
    let sha256 = sha2::Sha256::digest(&manifest_bytes).into();
    Ok(Session {
        manifest,
        manifest_bytes,
        signature,
        sha256,
        extents,
        complete,
    })
}

/// An in-memory disk for tests and the simulator. A "restart" ([`MemStorage::restart`])
/// keeps only what was flushed, like a power cut.
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    /// Current disk contents.
    pub disk: Vec<u8>,
    durable: Vec<u8>,
    journal: Option<Vec<u8>>,
    capacity: u64,
}

impl MemStorage {
    /// An empty disk of `capacity` bytes.
    pub fn new(capacity: u64) -> MemStorage {
        MemStorage {
            capacity,
            ..MemStorage::default()
        }
    }

    /// Loses every unflushed write, as a power cut would.
    pub fn restart(&mut self) {
        self.disk = self.durable.clone();
    }
}

impl Storage for MemStorage {
    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn prepare(&mut self, image_len: u64) -> Result<(), StorageError> {
        self.disk = vec![0; image_len as usize];
        Ok(())
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), StorageError> {
        let end = offset as usize + data.len();
        if self.disk.len() < end {
            self.disk.resize(end, 0);
        }
        self.disk[offset as usize..end].copy_from_slice(data);
        Ok(())
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), StorageError> {
        let src = self
            .disk
            .get(offset as usize..offset as usize + buf.len())
            .ok_or_else(|| StorageError {
                message: format!("read of {} bytes at {offset} past the end", buf.len()),
            })?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StorageError> {
        self.durable = self.disk.clone();
        Ok(())
    }

    fn load_journal(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.journal.clone().filter(|j| !j.is_empty()))
    }

    fn store_journal(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.journal = Some(bytes.to_vec());
        Ok(())
    }
}
