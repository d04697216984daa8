//! Frames: `magic (4) | version (1) | command (1) | flags (2) | seq (4) | len (4) |
//! payload (len) | crc32 (4)`, little-endian, the CRC32 (IEEE) covering every byte before
//! it. The [`Decoder`] takes bytes in any split, drops anything that is not a whole valid
//! frame (counting it), and resynchronizes by scanning for the magic.

use alloc::vec::Vec;
use core::fmt;

/// Frame magic: `NXFL`.
pub const MAGIC: [u8; 4] = *b"NXFL";
/// Protocol version carried in every frame.
pub const VERSION: u8 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 16;
/// Bytes after the payload (the CRC32).
pub const TRAILER_LEN: usize = 4;
/// Largest WRITE data chunk (64 KiB).
pub const MAX_CHUNK: usize = 64 << 10;
/// Largest payload of any frame: a full chunk plus the WRITE header (name and offset).
pub const MAX_PAYLOAD: usize = MAX_CHUNK + 64;
/// Largest encoded frame.
pub const MAX_FRAME: usize = HEADER_LEN + MAX_PAYLOAD + TRAILER_LEN;

/// Frame flag on MANIFEST: keep what the device already wrote for this same manifest.
pub const FLAG_RESUME: u16 = 1;
/// Frame flag on MANIFEST: attach to the image the device already holds, never start a
/// new one (a manifest that is not the device's is refused with `NOT_HELD` and nothing
/// changes). `nx flash verify` sends it to open a session for VERIFY.
pub const FLAG_ATTACH: u16 = 2;

/// A frame sequence number, chosen by the host; replies carry the request's.
pub type FrameSeq = u32;

/// Frame commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Command {
    /// Open a session; the device answers with its limits.
    Hello = 0x01,
    /// Ask for the device's flashing state (`INFO?`).
    Info = 0x02,
    /// The signed image manifest.
    Manifest = 0x03,
    /// Data for a named range at an offset.
    Write = 0x04,
    /// Re-check every range on the device and report.
    Verify = 0x05,
    /// All data sent: the device checks every range's SHA-256.
    Done = 0x06,
    /// Reboot, normal or into recovery.
    Reboot = 0x07,
    /// Cancel the session and forget its progress.
    Abort = 0x08,
    /// Positive reply.
    Ack = 0x80,
    /// Negative reply with a code and a message.
    Nak = 0x81,
}

impl Command {
    /// Decodes a command byte.
    pub fn from_u8(b: u8) -> Option<Command> {
        Some(match b {
            0x01 => Command::Hello,
            0x02 => Command::Info,
            0x03 => Command::Manifest,
            0x04 => Command::Write,
            0x05 => Command::Verify,
            0x06 => Command::Done,
            0x07 => Command::Reboot,
            0x08 => Command::Abort,
            0x80 => Command::Ack,
            0x81 => Command::Nak,
            _ => return None,
        })
    }

    /// The command's name as the documentation writes it.
    pub fn name(self) -> &'static str {
        match self {
            Command::Hello => "HELLO",
            Command::Info => "INFO?",
            Command::Manifest => "MANIFEST",
            Command::Write => "WRITE",
            Command::Verify => "VERIFY",
            Command::Done => "DONE",
            Command::Reboot => "REBOOT",
            Command::Abort => "ABORT",
            Command::Ack => "ACK",
            Command::Nak => "NAK",
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The command.
    pub command: Command,
    /// Flags (see `FLAG_*`).
    pub flags: u16,
    /// Sequence number.
    pub seq: FrameSeq,
    /// Payload (at most [`MAX_PAYLOAD`] bytes).
    pub payload: Vec<u8>,
}

impl Frame {
    /// A frame without flags.
    pub fn new(command: Command, seq: FrameSeq, payload: Vec<u8>) -> Frame {
        Frame {
            command,
            flags: 0,
            seq,
            payload,
        }
    }

    /// Appends the encoded frame to `out`. A payload over [`MAX_PAYLOAD`] is the caller's
    /// bug; it is encoded anyway and the receiver drops it.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        encode_parts(self.command, self.flags, self.seq, &[&self.payload], out);
    }

    /// The encoded frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len() + TRAILER_LEN);
        self.encode_into(&mut out);
        out
    }
}

/// Encodes a frame whose payload is the concatenation of `parts` (no intermediate copy).
pub fn encode_parts(
    command: Command,
    flags: u16,
    seq: FrameSeq,
    parts: &[&[u8]],
    out: &mut Vec<u8>,
) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let start = out.len();
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(command as u8);
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Counters of what the decoder dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecoderStats {
    /// Frames decoded.
    pub frames: u64,
    /// Bytes skipped while looking for a magic.
    pub garbage_bytes: u64,
    /// Candidate frames with a bad version, command or length.
    pub bad_headers: u64,
    /// Candidate frames whose CRC32 did not match.
    pub bad_crcs: u64,
}

/// A streaming frame decoder with resynchronization. Memory is bounded: it never holds
/// more than one maximal frame plus the bytes of the last `push`.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    start: usize,
    stats: DecoderStats,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// What was decoded and dropped so far.
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Forgets any partial frame (after a reconnect).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && (self.start >= self.buf.len() / 2 || self.buf.len() > 2 * MAX_FRAME) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole, valid frame, if the buffered bytes hold one.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let avail = self.buf.get(self.start..)?;
            let Some(pos) = find_magic(avail) else {
                // Keep a tail that may be the start of a magic.
                let keep = avail.len().min(MAGIC.len() - 1);
                let skip = avail.len() - keep;
                self.stats.garbage_bytes += skip as u64;
                self.start += skip;
                return None;
            };
            self.stats.garbage_bytes += pos as u64;
            self.start += pos;
            let avail = self.buf.get(self.start..)?;
            let header = avail.get(..HEADER_LEN)?;
            let command = Command::from_u8(header[5]);
            let len = u32::from_le_bytes([header[12], header[13], header[14], header[15]]) as usize;
            let (Some(command), VERSION, true) = (command, header[4], len <= MAX_PAYLOAD) else {
                self.stats.bad_headers += 1;
                self.start += 1;
                continue;
            };
            let total = HEADER_LEN + len + TRAILER_LEN;
            let whole = avail.get(..total)?;
            let body = &whole[..HEADER_LEN + len];
            let crc_bytes = &whole[HEADER_LEN + len..];
            let crc = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
            if crc32fast::hash(body) != crc {
                self.stats.bad_crcs += 1;
                self.start += 1;
                continue;
            }
            let frame = Frame {
                command,
                flags: u16::from_le_bytes([header[6], header[7]]),
                seq: u32::from_le_bytes([header[8], header[9], header[10], header[11]]),
                payload: body[HEADER_LEN..].to_vec(),
            };
            self.start += total;
            self.stats.frames += 1;
            return Some(frame);
        }
    }
}

fn find_magic(bytes: &[u8]) -> Option<usize> {
    bytes.windows(MAGIC.len()).position(|w| w == MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample(seq: u32) -> Frame {
        Frame::new(Command::Write, seq, vec![seq as u8; 100])
    }

    #[test]
    fn roundtrips_in_any_split() {
        let mut bytes = Vec::new();
        for s in 0..3 {
            sample(s).encode_into(&mut bytes);
        }
        for split in 1..bytes.len() {
            let mut d = Decoder::new();
            d.push(&bytes[..split]);
            let mut got = Vec::new();
            while let Some(f) = d.next_frame() {
                got.push(f);
            }
            d.push(&bytes[split..]);
            while let Some(f) = d.next_frame() {
                got.push(f);
            }
            assert_eq!(got, vec![sample(0), sample(1), sample(2)], "split {split}");
        }
    }

    #[test]
    fn rejects_frame_with_bad_crc_and_resyncs_on_the_next() {
        let mut bytes = sample(1).encode();
        let n = bytes.len();
        bytes[n - 10] ^= 0xff;
        let mut garbage = b"noise NX NXF".to_vec();
        garbage.extend_from_slice(&bytes);
        sample(2).encode_into(&mut garbage);
        let mut d = Decoder::new();
        d.push(&garbage);
        assert_eq!(d.next_frame(), Some(sample(2)));
        assert_eq!(d.next_frame(), None);
        assert_eq!(d.stats().bad_crcs, 1);
    }

    #[test]
    fn rejects_oversized_length_without_waiting() {
        let mut bytes = sample(1).encode();
        bytes[12..16].copy_from_slice(&((MAX_PAYLOAD + 1) as u32).to_le_bytes());
        sample(3).encode_into(&mut bytes);
        let mut d = Decoder::new();
        d.push(&bytes);
        assert_eq!(d.next_frame(), Some(sample(3)));
        assert_eq!(d.stats().bad_headers, 1);
    }
}
