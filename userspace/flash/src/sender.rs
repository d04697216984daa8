//! The host side of the protocol: a sans-IO state machine driven by `poll_transmit`
//! (frames to send now), `handle` (frames received) and a clock in microseconds.
//!
//! A flash runs HELLO → INFO? → MANIFEST → WRITE… → DONE. Control frames are
//! stop-and-wait and retransmitted with the same seq (the device caches its reply).
//! WRITE frames are windowed: up to `window` in flight; every transmission takes a new
//! seq, so each ACK names exactly one transmission; ACKs carry a bitmap of the 64 seqs
//! below the highest received, so a lost ACK costs nothing. A WRITE is sent again when
//! its retransmission timer (RFC 6298 style, from measured round trips) expires or when
//! three later WRITEs were acknowledged before it (fast retransmit); each chunk has a
//! bounded number of attempts. With `resume`, the chunks the device reports written for
//! the same manifest (INFO) are skipped. A DONE refused as incomplete or mismatching
//! leads to one more INFO and the missing parts being sent again (at most twice).

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::{String, ToString as _};
use alloc::vec;
use alloc::vec::Vec;

use image::Manifest;
use sha2::Digest as _;

use crate::frame::{encode_parts, Command, Frame, FLAG_ATTACH, FLAG_RESUME, MAX_CHUNK};
use crate::proto::{
    DeviceState, HelloReply, InfoReply, ManifestPayload, Nak, NakCode, RebootMode, VerifyReply,
    WriteAck, WriteHeader,
};
use crate::ProtocolError;

/// Where the sender reads image bytes from.
pub trait ImageSource {
    /// Fills `buf` with the image bytes at `offset`.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String>;
}

impl ImageSource for &[u8] {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let start = usize::try_from(offset).map_err(|_| String::from("offset too large"))?;
        let src = self
            .get(start..start + buf.len())
            .ok_or_else(|| String::from("read past the end of the image"))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// What the session does.
#[derive(Debug, Clone)]
pub enum Task {
    /// Write an image.
    Flash {
        /// The manifest's canonical bytes.
        manifest: Vec<u8>,
        /// Its detached signature, if signed.
        signature: Option<[u8; 64]>,
        /// Continue from what the device already wrote for this manifest.
        resume: bool,
    },
    /// Ask the device to re-check every range of the image this manifest names (the
    /// manifest opens the session with the attach flag: a device that holds another image
    /// refuses it and nothing changes).
    Verify {
        /// The manifest's canonical bytes.
        manifest: Vec<u8>,
        /// Its detached signature, if signed.
        signature: Option<[u8; 64]>,
    },
    /// Ask the device to reboot.
    Reboot(RebootMode),
    /// Ask for the device's state.
    Info,
}

/// Timing and window settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderConfig {
    /// WRITE data per frame (at most 64 KiB; the device may lower it).
    pub chunk: usize,
    /// WRITE frames in flight (the device may lower it).
    pub window: usize,
    /// Retransmission timeout before any round trip is measured (µs).
    pub rto_initial_us: u64,
    /// Smallest retransmission timeout (µs).
    pub rto_min_us: u64,
    /// Largest retransmission timeout (µs).
    pub rto_max_us: u64,
    /// The link's rate, when known (bytes per second): times control frames.
    pub link_bytes_per_sec: Option<u64>,
    /// Attempts per frame before giving up.
    pub max_attempts: u32,
    /// Hashing rate assumed for the device when timing DONE and VERIFY, which hash the
    /// whole image there (bytes per second).
    pub device_hash_rate: u64,
}

impl SenderConfig {
    /// Settings for a link of `bytes_per_sec` (`None`: fast, e.g. a socket or pty).
    pub fn for_link(chunk: usize, bytes_per_sec: Option<u64>) -> SenderConfig {
        let chunk = chunk.clamp(1, MAX_CHUNK);
        let airtime_us = bytes_per_sec
            .map(|bps| (chunk as u64 + 64) * 1_000_000 / bps.max(1))
            .unwrap_or(1_000);
        // Enough frames to cover a round trip of 100 ms beside one frame's airtime, plus
        // four so that a loss is noticed by fast retransmit; on fast links, 256 KiB.
        let window = match bytes_per_sec {
            Some(_) => (100_000u64.div_ceil(airtime_us.max(1)) as usize + 5).clamp(4, 16),
            None => ((256 << 10) / chunk).clamp(4, 16),
        };
        SenderConfig {
            chunk,
            window,
            rto_initial_us: 2 * window as u64 * airtime_us + 1_000_000,
            rto_min_us: 2 * airtime_us + 200_000,
            rto_max_us: 60_000_000,
            link_bytes_per_sec: bytes_per_sec,
            max_attempts: 8,
            device_hash_rate: 10 << 20,
        }
    }
}

/// Counters of a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// Frames transmitted (all commands, retransmissions included).
    pub frames_sent: u64,
    /// Bytes transmitted on the wire.
    pub wire_bytes: u64,
    /// WRITE frames transmitted again.
    pub retransmits: u64,
    /// Retransmission timer expiries (WRITE and control frames).
    pub timeouts: u64,
    /// Image bytes to send in this session.
    pub data_total: u64,
    /// Image bytes acknowledged.
    pub data_acked: u64,
    /// Image bytes skipped because the device already had them (resume).
    pub skipped: u64,
    /// The device kept progress for this manifest.
    pub resumed: bool,
}

/// How a session ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every range written and verified by the device.
    Flashed,
    /// The device's per-range report.
    Verified(VerifyReply),
    /// The device accepted the reboot.
    Rebooted,
    /// The device's state.
    Info(InfoReply),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Hello,
    Info,
    Manifest,
    Write,
    Done,
    Verify,
    Reboot,
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    Pending,
    InFlight,
    Acked,
}

#[derive(Debug, Clone, Copy)]
struct Chunk {
    range: usize,
    offset: u64,
    len: u32,
    attempts: u32,
    state: ChunkState,
}

#[derive(Debug, Clone, Copy)]
struct Flight {
    chunk: usize,
    sent_at: u64,
    later_acks: u32,
    lost: bool,
}

#[derive(Debug, Clone)]
struct Control {
    command: Command,
    seq: u32,
    bytes: Vec<u8>,
    sent_at: u64,
    attempts: u32,
    timeout: u64,
}

/// Round-trip estimator (RFC 6298).
#[derive(Debug, Clone, Copy)]
struct Rtt {
    srtt: u64,
    rttvar: u64,
    measured: bool,
}

/// The host state machine.
pub struct Sender {
    task: Task,
    config: SenderConfig,
    ranges: Vec<(String, u64, u64)>,
    manifest_sha256: [u8; 32],
    phase: Phase,
    next_seq: u32,
    control: Option<Control>,
    chunks: Vec<Chunk>,
    pending: VecDeque<usize>,
    flights: BTreeMap<u32, Flight>,
    in_flight: usize,
    rtt: Rtt,
    stats: SenderStats,
    device: Option<HelloReply>,
    resume_from: Option<InfoReply>,
    refills: u32,
    outcome: Option<Result<Outcome, ProtocolError>>,
    buf: Vec<u8>,
    /// When the link is expected to have sent everything handed to it (known rate only).
    link_free_at: u64,
}

impl Sender {
    /// A session for `task`; a flash needs the parsed manifest of the task's bytes.
    pub fn new(task: Task, config: SenderConfig) -> Result<Sender, ProtocolError> {
        let (ranges, manifest_sha256) = match &task {
            Task::Flash { manifest, .. } | Task::Verify { manifest, .. } => {
                let m = Manifest::parse(manifest).map_err(|e| ProtocolError::Manifest {
                    message: e.to_string(),
                })?;
                let ranges = m
                    .ranges
                    .iter()
                    .map(|r| (r.name.clone(), r.offset, r.size))
                    .collect();
                (ranges, sha2::Sha256::digest(manifest).into())
            }
            _ => (Vec::new(), [0; 32]),
        };
        let mut config = config;
        config.chunk = config.chunk.clamp(1, MAX_CHUNK);
        config.window = config.window.max(1);
        Ok(Sender {
            task,
            config,
            ranges,
            manifest_sha256,
            phase: Phase::Hello,
            next_seq: 1,
            control: None,
            chunks: Vec::new(),
            pending: VecDeque::new(),
            flights: BTreeMap::new(),
            in_flight: 0,
            rtt: Rtt {
                srtt: 0,
                rttvar: 0,
                measured: false,
            },
            stats: SenderStats::default(),
            device: None,
            resume_from: None,
            refills: 0,
            outcome: None,
            buf: vec![0; MAX_CHUNK],
            link_free_at: 0,
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> SenderStats {
        self.stats
    }

    /// What the device said in its HELLO reply.
    pub fn device(&self) -> Option<&HelloReply> {
        self.device.as_ref()
    }

    /// The end of the session, once reached.
    pub fn outcome(&self) -> Option<&Result<Outcome, ProtocolError>> {
        self.outcome.as_ref()
    }

    /// Whether the session ended.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// The earliest time at which `poll_transmit` has something to do without new input.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.phase == Phase::Finished {
            return None;
        }
        let control = self.control.as_ref().map(|c| c.sent_at + c.timeout);
        let rto = self.rto();
        let write = self
            .flights
            .values()
            .filter(|f| !f.lost)
            .map(|f| f.sent_at + rto)
            .min();
        match (control, write) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn rto(&self) -> u64 {
        let raw = if self.rtt.measured {
            self.rtt.srtt + self.rtt.srtt / 2 + (4 * self.rtt.rttvar).max(10_000)
        } else {
            self.config.rto_initial_us
        };
        raw.clamp(self.config.rto_min_us, self.config.rto_max_us)
    }

    fn sample_rtt(&mut self, r: u64) {
        if !self.rtt.measured {
            self.rtt = Rtt {
                srtt: r,
                rttvar: r / 2,
                measured: true,
            };
        } else {
            let diff = self.rtt.srtt.abs_diff(r);
            self.rtt.rttvar = (3 * self.rtt.rttvar + diff) / 4;
            self.rtt.srtt = (7 * self.rtt.srtt + r) / 8;
        }
    }

    fn finish(&mut self, result: Result<Outcome, ProtocolError>) {
        self.phase = Phase::Finished;
        self.control = None;
        self.outcome = Some(result);
    }

    fn take_seq(&mut self) -> u32 {
        let s = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1).max(1);
        s
    }

    fn start_control(&mut self, command: Command, flags: u16, payload: &[u8], now: u64) -> Vec<u8> {
        let seq = self.take_seq();
        let mut bytes = Vec::with_capacity(payload.len() + 24);
        encode_parts(command, flags, seq, &[payload], &mut bytes);
        let timeout = match command {
            Command::Done | Command::Verify => {
                let image: u64 = self.ranges.iter().map(|r| r.2).sum::<u64>().max(64 << 20);
                self.rto().max(self.config.rto_initial_us)
                    + image * 1_000_000 / self.config.device_hash_rate.max(1)
            }
            _ => match (self.rtt.measured, self.config.link_bytes_per_sec) {
                // Before any round trip is measured: the frame's and a reply's airtime
                // twice over, plus a margin for latency.
                (false, Some(bps)) => (bytes.len() as u64 + 600) * 2_000_000 / bps.max(1) + 300_000,
                _ => self.rto().max(self.config.rto_initial_us),
            },
        };
        let sent_at = self.sent_time(now, bytes.len());
        self.control = Some(Control {
            command,
            seq,
            bytes: bytes.clone(),
            sent_at,
            attempts: 1,
            timeout,
        });
        self.count(&bytes);
        bytes
    }

    /// When a frame of `len` bytes handed to the link at `now` will have left it: on a
    /// link of known rate, frames queue behind each other, and a frame's timer starts
    /// when its last byte is expected on the wire, so queueing never looks like loss.
    fn sent_time(&mut self, now: u64, len: usize) -> u64 {
        match self.config.link_bytes_per_sec {
            Some(bps) => {
                let start = now.max(self.link_free_at);
                let end = start + (len as u64 * 1_000_000).div_ceil(bps.max(1));
                self.link_free_at = end;
                end
            }
            None => now,
        }
    }

    fn count(&mut self, bytes: &[u8]) {
        self.stats.frames_sent += 1;
        self.stats.wire_bytes += bytes.len() as u64;
    }

    /// The next frame to transmit at `now`, if any. Call repeatedly until `None`.
    pub fn poll_transmit(&mut self, now: u64, source: &mut dyn ImageSource) -> Option<Vec<u8>> {
        if let Some(c) = &mut self.control {
            if now < c.sent_at + c.timeout {
                return None;
            }
            if c.attempts >= self.config.max_attempts {
                let err = ProtocolError::Timeout {
                    command: c.command.name(),
                    seq: c.seq,
                    attempts: c.attempts,
                };
                self.finish(Err(err));
                return None;
            }
            c.attempts += 1;
            c.timeout = c
                .timeout
                .saturating_mul(2)
                .min(self.config.rto_max_us.max(c.timeout));
            let bytes = c.bytes.clone();
            self.stats.timeouts += 1;
            let sent_at = self.sent_time(now, bytes.len());
            if let Some(c) = &mut self.control {
                c.sent_at = sent_at;
            }
            self.count(&bytes);
            return Some(bytes);
        }
        match self.phase {
            Phase::Finished => None,
            Phase::Hello => Some(self.start_control(Command::Hello, 0, &[], now)),
            Phase::Info => Some(self.start_control(Command::Info, 0, &[], now)),
            Phase::Verify => Some(self.start_control(Command::Verify, 0, &[], now)),
            Phase::Done => Some(self.start_control(Command::Done, 0, &[], now)),
            Phase::Reboot => {
                let mode = match &self.task {
                    Task::Reboot(m) => *m,
                    _ => RebootMode::Normal,
                };
                Some(self.start_control(Command::Reboot, 0, &mode.encode(), now))
            }
            Phase::Manifest => {
                let (manifest, signature, flags) = match &self.task {
                    Task::Flash {
                        manifest,
                        signature,
                        resume,
                    } => {
                        let flags = if *resume && self.resume_from.is_some() {
                            FLAG_RESUME
                        } else {
                            0
                        };
                        (manifest, signature, flags)
                    }
                    Task::Verify {
                        manifest,
                        signature,
                    } => (manifest, signature, FLAG_ATTACH),
                    _ => return None,
                };
                let payload = ManifestPayload {
                    signature: *signature,
                    manifest: manifest.clone(),
                }
                .encode();
                Some(self.start_control(Command::Manifest, flags, &payload, now))
            }
            Phase::Write => self.poll_write(now, source),
        }
    }

    fn mark_lost(&mut self, seq: u32) -> Result<(), ProtocolError> {
        let Some(f) = self.flights.get_mut(&seq) else {
            return Ok(());
        };
        if f.lost {
            return Ok(());
        }
        f.lost = true;
        self.in_flight -= 1;
        let c = &mut self.chunks[f.chunk];
        if c.state == ChunkState::InFlight {
            if c.attempts >= self.config.max_attempts {
                return Err(ProtocolError::Timeout {
                    command: "WRITE",
                    seq,
                    attempts: c.attempts,
                });
            }
            c.state = ChunkState::Pending;
            self.pending.push_front(f.chunk);
            self.stats.retransmits += 1;
        }
        Ok(())
    }

    fn poll_write(&mut self, now: u64, source: &mut dyn ImageSource) -> Option<Vec<u8>> {
        let rto = self.rto();
        let expired: Vec<u32> = self
            .flights
            .iter()
            .filter(|(_, f)| !f.lost && now >= f.sent_at + rto)
            .map(|(s, _)| *s)
            .collect();
        self.stats.timeouts += expired.len() as u64;
        for seq in expired {
            if let Err(e) = self.mark_lost(seq) {
                self.finish(Err(e));
                return None;
            }
        }
        if self.in_flight < self.config.window {
            while let Some(idx) = self.pending.pop_front() {
                if self.chunks[idx].state != ChunkState::Pending {
                    continue;
                }
                let c = self.chunks[idx];
                let (name, base, _) = &self.ranges[c.range];
                let data = &mut self.buf[..c.len as usize];
                if let Err(message) = source.read_at(base + c.offset, data) {
                    let err = ProtocolError::Source {
                        range: name.clone(),
                        offset: c.offset,
                        message,
                    };
                    self.finish(Err(err));
                    return None;
                }
                let header = WriteHeader {
                    range: name,
                    offset: c.offset,
                }
                .encode();
                let seq = self.next_seq;
                let mut bytes = Vec::with_capacity(c.len as usize + 48);
                encode_parts(Command::Write, 0, seq, &[&header, data], &mut bytes);
                self.take_seq();
                self.chunks[idx].state = ChunkState::InFlight;
                self.chunks[idx].attempts += 1;
                let sent_at = self.sent_time(now, bytes.len());
                self.flights.insert(
                    seq,
                    Flight {
                        chunk: idx,
                        sent_at,
                        later_acks: 0,
                        lost: false,
                    },
                );
                self.in_flight += 1;
                self.count(&bytes);
                return Some(bytes);
            }
        }
        if self.in_flight == 0 && self.pending.is_empty() {
            self.flights.clear();
            self.phase = Phase::Done;
            return Some(self.start_control(Command::Done, 0, &[], now));
        }
        None
    }

    /// Handles a frame from the device at `now`.
    pub fn handle(&mut self, frame: &Frame, now: u64) {
        if self.phase == Phase::Finished {
            return;
        }
        match frame.command {
            Command::Ack | Command::Nak => {}
            _ => return,
        }
        if let Some(c) = &self.control {
            if c.seq == frame.seq {
                let command = c.command;
                let sent_at = c.sent_at;
                let first_try = c.attempts == 1;
                self.control = None;
                if first_try && command != Command::Done && command != Command::Verify {
                    self.sample_rtt(now.saturating_sub(sent_at));
                }
                self.on_control_reply(command, frame);
                return;
            }
        }
        if self.phase == Phase::Write {
            if let Err(e) = self.on_write_reply(frame, now) {
                self.finish(Err(e));
            }
        }
    }

    fn refused(command: Command, payload: &[u8]) -> ProtocolError {
        match Nak::decode(payload) {
            Ok(n) => ProtocolError::Refused {
                command: command.name(),
                code: n.code,
                message: n.message,
            },
            Err(e) => ProtocolError::Malformed(e),
        }
    }

    fn on_control_reply(&mut self, command: Command, frame: &Frame) {
        if frame.command == Command::Nak {
            let refill = command == Command::Done
                && self.refills < 2
                && Nak::decode(&frame.payload).is_ok_and(|n| {
                    n.code == NakCode::Incomplete as u16 || n.code == NakCode::Mismatch as u16
                });
            if refill {
                self.refills += 1;
                self.phase = Phase::Info;
                return;
            }
            let err = Self::refused(command, &frame.payload);
            self.finish(Err(err));
            return;
        }
        match command {
            Command::Hello => match HelloReply::decode(&frame.payload) {
                Ok(h) => {
                    if h.max_chunk == 0 || h.window == 0 {
                        self.finish(Err(ProtocolError::Incompatible {
                            what: "device reports a zero chunk size or window",
                        }));
                        return;
                    }
                    self.config.chunk = self.config.chunk.min(h.max_chunk as usize);
                    self.config.window = self.config.window.min(usize::from(h.window));
                    self.device = Some(h);
                    self.phase = match &self.task {
                        Task::Flash { .. } | Task::Info => Phase::Info,
                        Task::Verify { .. } => Phase::Manifest,
                        Task::Reboot(_) => Phase::Reboot,
                    };
                }
                Err(e) => self.finish(Err(ProtocolError::Malformed(e))),
            },
            Command::Info => match InfoReply::decode(&frame.payload) {
                Ok(info) => self.on_info(info),
                Err(e) => self.finish(Err(ProtocolError::Malformed(e))),
            },
            Command::Manifest if matches!(self.task, Task::Verify { .. }) => {
                self.phase = Phase::Verify;
            }
            Command::Manifest => {
                let resumed = frame.payload.first() == Some(&1);
                self.stats.resumed = resumed;
                let info = if resumed {
                    self.resume_from.take()
                } else {
                    None
                };
                self.plan_chunks(info.as_ref());
                self.phase = Phase::Write;
            }
            Command::Done => self.finish(Ok(Outcome::Flashed)),
            Command::Verify => match VerifyReply::decode(&frame.payload) {
                Ok(v) => self.finish(Ok(Outcome::Verified(v))),
                Err(e) => self.finish(Err(ProtocolError::Malformed(e))),
            },
            Command::Reboot => self.finish(Ok(Outcome::Rebooted)),
            _ => {}
        }
    }

    fn on_info(&mut self, info: InfoReply) {
        match &self.task {
            Task::Info => self.finish(Ok(Outcome::Info(info))),
            Task::Flash { resume, .. } => {
                let same =
                    info.state != DeviceState::Idle && info.manifest_sha256 == self.manifest_sha256;
                if self.refills > 0 {
                    // After a refused DONE: send again what the device lacks.
                    if !same {
                        self.finish(Err(ProtocolError::Incompatible {
                            what: "the device lost the manifest during the session",
                        }));
                        return;
                    }
                    self.plan_chunks(Some(&info));
                    self.phase = Phase::Write;
                } else {
                    self.resume_from = (*resume && same).then_some(info);
                    self.phase = Phase::Manifest;
                }
            }
            _ => {}
        }
    }

    /// Splits every range (minus what `info` reports written) into chunks.
    fn plan_chunks(&mut self, info: Option<&InfoReply>) {
        self.chunks.clear();
        self.pending.clear();
        self.flights.clear();
        self.in_flight = 0;
        let mut total = 0u64;
        let mut skipped = 0u64;
        let chunk = self.config.chunk as u64;
        for (idx, (name, _, size)) in self.ranges.iter().enumerate() {
            let missing = match info.and_then(|i| i.ranges.iter().find(|(n, _)| n == name)) {
                Some((_, ext)) => ext.missing(*size),
                None => vec![(0, *size)],
            };
            let mut here = 0;
            for (a, b) in missing {
                let mut at = a;
                while at < b {
                    let len = (b - at).min(chunk);
                    self.pending.push_back(self.chunks.len());
                    self.chunks.push(Chunk {
                        range: idx,
                        offset: at,
                        len: len as u32,
                        attempts: 0,
                        state: ChunkState::Pending,
                    });
                    at += len;
                    here += len;
                }
            }
            total += here;
            skipped += size - here;
        }
        self.stats.data_total += total;
        if self.refills == 0 {
            self.stats.skipped = skipped;
        }
    }

    fn on_write_reply(&mut self, frame: &Frame, now: u64) -> Result<(), ProtocolError> {
        if frame.command == Command::Nak {
            if self.flights.contains_key(&frame.seq) {
                return Err(Self::refused(Command::Write, &frame.payload));
            }
            return Ok(());
        }
        if !self.flights.contains_key(&frame.seq) {
            // A late duplicate (of a WRITE already acknowledged, or of a control reply).
            return Ok(());
        }
        let ack = WriteAck::decode(&frame.payload).map_err(ProtocolError::Malformed)?;
        let mut newly = Vec::new();
        for (seq, f) in &self.flights {
            if *seq == frame.seq || ack.covers(*seq) {
                newly.push((*seq, *f));
            }
        }
        for (seq, f) in newly {
            self.flights.remove(&seq);
            if !f.lost {
                self.in_flight -= 1;
                if seq == frame.seq && self.chunks[f.chunk].attempts == 1 {
                    self.sample_rtt(now.saturating_sub(f.sent_at));
                }
            }
            let c = &mut self.chunks[f.chunk];
            if c.state != ChunkState::Acked {
                c.state = ChunkState::Acked;
                self.stats.data_acked += u64::from(c.len);
            }
        }
        // Fast retransmit: a WRITE overtaken by three acknowledged later ones is lost.
        let overtaken: Vec<u32> = self
            .flights
            .iter_mut()
            .filter(|(seq, f)| !f.lost && **seq < frame.seq)
            .filter_map(|(seq, f)| {
                f.later_acks += 1;
                (f.later_acks >= 3).then_some(*seq)
            })
            .collect();
        for seq in overtaken {
            self.mark_lost(seq)?;
        }
        // Forget lost transmissions too old for any bitmap to mention.
        let floor = ack.highest.saturating_sub(64);
        self.flights.retain(|seq, f| !f.lost || *seq >= floor);
        Ok(())
    }
}
