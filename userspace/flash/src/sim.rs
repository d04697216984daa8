//! A deterministic link simulator with a virtual clock, for tests and benchmarks.
//!
//! Each direction is a serial line: bytes leave one after another at the line rate (a
//! frame occupies the line for `len / rate`, replies included), then arrive `latency`
//! later; a frame is delivered when its last byte arrives. Loss drops whole frames (a
//! dropped frame still took its airtime). Nothing depends on the wall clock or on
//! randomness outside the seeded generator, so a run is reproducible.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::device::{Device, Storage};
use crate::frame::Decoder;
use crate::sender::{ImageSource, Outcome, Sender, SenderStats};
use crate::ProtocolError;

/// One direction of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineConfig {
    /// Bytes per second (115200 baud 8N1 is 11,520).
    pub bytes_per_sec: u64,
    /// One-way latency in microseconds.
    pub latency_us: u64,
}

/// Which frames a direction drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// None.
    None,
    /// Every `n`th frame (the 5th, 10th, ... for `n` = 5).
    EveryNth(u64),
    /// Each frame independently with probability `per_mille / 1000` (seeded).
    Random {
        /// Drop probability in thousandths.
        per_mille: u32,
        /// Generator seed.
        seed: u64,
    },
}

/// One direction in flight.
#[derive(Debug, Clone)]
pub struct Direction {
    line: LineConfig,
    loss: Loss,
    rng: u64,
    free_at: u64,
    frames: u64,
    /// Frames dropped so far.
    pub dropped: u64,
    in_transit: VecDeque<(u64, Vec<u8>)>,
}

impl Direction {
    /// A direction with the given line and loss.
    pub fn new(line: LineConfig, loss: Loss) -> Direction {
        let rng = match loss {
            Loss::Random { seed, .. } => seed | 1,
            _ => 1,
        };
        Direction {
            line,
            loss,
            rng,
            free_at: 0,
            frames: 0,
            dropped: 0,
            in_transit: VecDeque::new(),
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Hands a frame to the line at `now`.
    pub fn submit(&mut self, now: u64, bytes: Vec<u8>) {
        let start = now.max(self.free_at);
        let airtime = (bytes.len() as u64 * 1_000_000).div_ceil(self.line.bytes_per_sec.max(1));
        let end = start + airtime;
        self.free_at = end;
        self.frames += 1;
        let drop = match self.loss {
            Loss::None => false,
            Loss::EveryNth(n) => n > 0 && self.frames.is_multiple_of(n),
            Loss::Random { per_mille, .. } => self.next_random() % 1000 < u64::from(per_mille),
        };
        if drop {
            self.dropped += 1;
        } else {
            self.in_transit
                .push_back((end + self.line.latency_us, bytes));
        }
    }

    /// Frames whose last byte has arrived by `now`.
    pub fn deliver(&mut self, now: u64) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while self.in_transit.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, b)) = self.in_transit.pop_front() {
                out.push(b);
            }
        }
        out
    }

    /// When the next frame arrives.
    pub fn next_arrival(&self) -> Option<u64> {
        self.in_transit.front().map(|(t, _)| *t)
    }
}

/// The result of a simulated session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimResult {
    /// Virtual time from start to the end of the session (µs).
    pub elapsed_us: u64,
    /// How the session ended (`None`: the time limit was reached first).
    pub outcome: Option<Result<Outcome, ProtocolError>>,
    /// The sender's counters.
    pub stats: SenderStats,
    /// Frames dropped host → device and device → host.
    pub dropped: (u64, u64),
}

/// Runs `sender` against `device` over a simulated line until the session ends or
/// `limit_us` of virtual time passes.
pub fn run<S: Storage>(
    sender: &mut Sender,
    device: &mut Device<S>,
    mut image: &[u8],
    to_device: &mut Direction,
    to_host: &mut Direction,
    limit_us: u64,
) -> SimResult {
    let mut now = 0u64;
    let mut dev_rx = Decoder::new();
    let mut host_rx = Decoder::new();
    let source: &mut dyn ImageSource = &mut image;
    loop {
        while let Some(bytes) = sender.poll_transmit(now, source) {
            to_device.submit(now, bytes);
        }
        if sender.is_finished() || now > limit_us {
            break;
        }
        let mut delivered = false;
        for bytes in to_device.deliver(now) {
            delivered = true;
            dev_rx.push(&bytes);
            while let Some(frame) = dev_rx.next_frame() {
                if let Some(reply) = device.handle(&frame) {
                    to_host.submit(now, reply.encode());
                }
            }
        }
        for bytes in to_host.deliver(now) {
            delivered = true;
            host_rx.push(&bytes);
            while let Some(frame) = host_rx.next_frame() {
                sender.handle(&frame, now);
            }
        }
        if delivered {
            continue;
        }
        let next = [
            to_device.next_arrival(),
            to_host.next_arrival(),
            sender.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(t) if t > now => now = t,
            // Everything due now was handled above; step the clock.
            Some(_) => now += 1,
            None => break,
        }
    }
    SimResult {
        elapsed_us: now,
        outcome: sender.outcome().cloned(),
        stats: sender.stats(),
        dropped: (to_device.dropped, to_host.dropped),
    }
}
