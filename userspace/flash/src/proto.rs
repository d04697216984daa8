//! Command payloads: their byte layouts, encoders and bounds-checked decoders. All
//! integers are little-endian; names are a length byte followed by ASCII.

use alloc::string::String;
use alloc::vec::Vec;

use crate::extents::Extents;
use crate::FrameError;

/// Largest name (range or board) carried in a payload.
pub const MAX_NAME: usize = 32;

/// A bounds-checked reader over a payload.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    command: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], command: &'static str) -> Self {
        Reader { bytes, command }
    }

    fn err(&self, field: &'static str) -> FrameError {
        FrameError {
            command: self.command,
            field,
        }
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FrameError> {
        if self.bytes.len() < n {
            return Err(self.err(field));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, FrameError> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, FrameError> {
        let b = self.take(2, field)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, FrameError> {
        let b = self.take(4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, FrameError> {
        let b = self.take(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub(crate) fn name(&mut self, field: &'static str) -> Result<&'a str, FrameError> {
        let n = usize::from(self.u8(field)?);
        if n > MAX_NAME {
            return Err(self.err(field));
        }
        let b = self.take(n, field)?;
        if !b.iter().all(|c| c.is_ascii_graphic()) {
            return Err(self.err(field));
        }
        core::str::from_utf8(b).map_err(|_| self.err(field))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.bytes)
    }

    pub(crate) fn end(&self, field: &'static str) -> Result<(), FrameError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.err(field))
        }
    }
}

pub(crate) fn put_name(out: &mut Vec<u8>, name: &str) {
    let b = &name.as_bytes()[..name.len().min(MAX_NAME)];
    out.push(b.len() as u8);
    out.extend_from_slice(b);
}

/// NAK codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum NakCode {
    /// The payload is malformed.
    Malformed = 1,
    /// WRITE, VERIFY, DONE or ABORT without a manifest accepted in this link session
    /// (since the last HELLO, or since the connection opened).
    NoManifest = 2,
    /// The manifest's signature is missing or not made by a trusted key.
    BadSignature = 3,
    /// The manifest is invalid.
    BadManifest = 4,
    /// The manifest is for another board.
    WrongBoard = 5,
    /// The image does not fit the device's disk.
    TooLarge = 6,
    /// A WRITE names an unknown range or falls outside it.
    OutOfRange = 7,
    /// A range's SHA-256 differs from the manifest's.
    Mismatch = 8,
    /// DONE while ranges are not completely written.
    Incomplete = 9,
    /// The device's storage failed.
    Storage = 10,
    /// The command is not supported.
    Unsupported = 11,
    /// A MANIFEST with the attach flag names an image the device does not hold.
    NotHeld = 12,
}

impl NakCode {
    /// Decodes a code (unknown codes are kept as numbers by callers).
    pub fn from_u16(v: u16) -> Option<NakCode> {
        Some(match v {
            1 => NakCode::Malformed,
            2 => NakCode::NoManifest,
            3 => NakCode::BadSignature,
            4 => NakCode::BadManifest,
            5 => NakCode::WrongBoard,
            6 => NakCode::TooLarge,
            7 => NakCode::OutOfRange,
            8 => NakCode::Mismatch,
            9 => NakCode::Incomplete,
            10 => NakCode::Storage,
            11 => NakCode::Unsupported,
            12 => NakCode::NotHeld,
            _ => return None,
        })
    }
}

/// NAK payload: `code u16 | message (UTF-8, rest)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nak {
    /// Code.
    pub code: u16,
    /// Human-readable reason naming the field or range.
    pub message: String,
}

impl Nak {
    /// Encodes the payload (message capped at 512 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.message.len());
        out.extend_from_slice(&self.code.to_le_bytes());
        let mut end = self.message.len().min(512);
        while !self.message.is_char_boundary(end) {
            end -= 1;
        }
        out.extend_from_slice(&self.message.as_bytes()[..end]);
        out
    }

    /// Decodes the payload.
    pub fn decode(bytes: &[u8]) -> Result<Nak, FrameError> {
        let mut r = Reader::new(bytes, "NAK");
        let code = r.u16("code")?;
        let message = String::from_utf8_lossy(r.rest()).into_owned();
        Ok(Nak { code, message })
    }
}

/// HELLO reply: `max_chunk u32 | window u16 | flags u16 (bit 0: insecure) | board name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloReply {
    /// Largest WRITE data the device accepts.
    pub max_chunk: u32,
    /// Frames the device can have in flight (its receive buffering).
    pub window: u16,
    /// The device accepts unsigned or unverified manifests.
    pub insecure: bool,
    /// The device's board, empty when it does not check.
    pub board: String,
}

impl HelloReply {
    /// Encodes the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.max_chunk.to_le_bytes());
        out.extend_from_slice(&self.window.to_le_bytes());
        out.extend_from_slice(&u16::from(self.insecure).to_le_bytes());
        put_name(&mut out, &self.board);
        out
    }

    /// Decodes the payload.
    pub fn decode(bytes: &[u8]) -> Result<HelloReply, FrameError> {
        let mut r = Reader::new(bytes, "HELLO reply");
        let max_chunk = r.u32("max_chunk")?;
        let window = r.u16("window")?;
        let flags = r.u16("flags")?;
        let board = r.name("board")?.into();
        r.end("trailing bytes")?;
        Ok(HelloReply {
            max_chunk,
            window,
            insecure: flags & 1 != 0,
            board,
        })
    }
}

/// Device flashing state reported by INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum DeviceState {
    /// No manifest accepted.
    Idle = 0,
    /// A manifest is accepted; ranges are being written.
    Writing = 1,
    /// Every range was written and verified (DONE succeeded).
    Complete = 2,
}

/// INFO reply: `state u8 | manifest sha256 [32] | image size u64 | written u64 |
/// count u8 | count × (name | extent count u16 | extents × (start u64, end u64))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoReply {
    /// State.
    pub state: DeviceState,
    /// SHA-256 of the accepted manifest's bytes (zero when idle).
    pub manifest_sha256: [u8; 32],
    /// Image size of the accepted manifest.
    pub image_size: u64,
    /// Bytes of ranges written.
    pub written: u64,
    /// Written extents per range (offsets relative to the range).
    pub ranges: Vec<(String, Extents)>,
}

impl InfoReply {
    /// Encodes the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(self.state as u8);
        out.extend_from_slice(&self.manifest_sha256);
        out.extend_from_slice(&self.image_size.to_le_bytes());
        out.extend_from_slice(&self.written.to_le_bytes());
        out.push(self.ranges.len() as u8);
        for (name, ext) in &self.ranges {
            put_name(&mut out, name);
            ext.encode_into(&mut out);
        }
        out
    }

    /// Decodes the payload.
    pub fn decode(bytes: &[u8]) -> Result<InfoReply, FrameError> {
        let mut r = Reader::new(bytes, "INFO reply");
        let state = match r.u8("state")? {
            0 => DeviceState::Idle,
            1 => DeviceState::Writing,
            2 => DeviceState::Complete,
            _ => {
                return Err(FrameError {
                    command: "INFO reply",
                    field: "state",
                })
            }
        };
        let mut manifest_sha256 = [0u8; 32];
        manifest_sha256.copy_from_slice(r.take(32, "manifest_sha256")?);
        let image_size = r.u64("image_size")?;
        let written = r.u64("written")?;
        let count = r.u8("range count")?;
        let mut ranges = Vec::new();
        for _ in 0..count {
            let name = r.name("range name")?.into();
            let ext = Extents::decode_from(&mut r)?;
            ranges.push((name, ext));
        }
        r.end("trailing bytes")?;
        Ok(InfoReply {
            state,
            manifest_sha256,
            image_size,
            written,
            ranges,
        })
    }
}

/// MANIFEST payload: `signature length u8 (0 or 64) | signature | manifest bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestPayload {
    /// The detached Ed25519 signature, if any.
    pub signature: Option<[u8; 64]>,
    /// The manifest's canonical bytes.
    pub manifest: Vec<u8>,
}

impl ManifestPayload {
    /// Encodes the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(65 + self.manifest.len());
        match &self.signature {
            Some(s) => {
                out.push(64);
                out.extend_from_slice(s);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.manifest);
        out
    }

    /// Decodes the payload.
    pub fn decode(bytes: &[u8]) -> Result<ManifestPayload, FrameError> {
        let mut r = Reader::new(bytes, "MANIFEST");
        let signature = match r.u8("signature length")? {
            0 => None,
            64 => {
                let mut s = [0u8; 64];
                s.copy_from_slice(r.take(64, "signature")?);
                Some(s)
            }
            _ => {
                return Err(FrameError {
                    command: "MANIFEST",
                    field: "signature length",
                })
            }
        };
        Ok(ManifestPayload {
            signature,
            manifest: r.rest().to_vec(),
        })
    }
}

/// The fixed part of a WRITE payload: `range name | offset u64 | data (rest)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteHeader<'a> {
    /// Range name.
    pub range: &'a str,
    /// Offset within the range.
    pub offset: u64,
}

impl<'a> WriteHeader<'a> {
    /// Encodes the header part (the data follows it).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.range.len() + 8);
        put_name(&mut out, self.range);
        out.extend_from_slice(&self.offset.to_le_bytes());
        out
    }

    /// Decodes a WRITE payload into its header and data.
    pub fn decode(bytes: &'a [u8]) -> Result<(WriteHeader<'a>, &'a [u8]), FrameError> {
        let mut r = Reader::new(bytes, "WRITE");
        let range = r.name("range")?;
        let offset = r.u64("offset")?;
        Ok((WriteHeader { range, offset }, r.rest()))
    }
}

/// ACK payload of a WRITE: `highest seq u32 | bitmap u64`: the highest WRITE seq received
/// and which of the 64 seqs below it were received too (bit i: `highest - 1 - i`), so
/// one lost ACK costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteAck {
    /// Highest WRITE seq received in this session.
    pub highest: u32,
    /// Received seqs below `highest`.
    pub bitmap: u64,
}

impl WriteAck {
    /// Encodes the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12);
        out.extend_from_slice(&self.highest.to_le_bytes());
        out.extend_from_slice(&self.bitmap.to_le_bytes());
        out
    }

    /// Decodes the payload.
    pub fn decode(bytes: &[u8]) -> Result<WriteAck, FrameError> {
        let mut r = Reader::new(bytes, "WRITE ack");
        let highest = r.u32("highest")?;
        let bitmap = r.u64("bitmap")?;
        r.end("trailing bytes")?;
        Ok(WriteAck { highest, bitmap })
    }

    /// Records `seq` as received.
    pub fn record(&mut self, seq: u32) {
        if seq > self.highest {
            let shift = seq - self.highest;
            self.bitmap = if shift > 64 {
                0
            } else {
                let moved = if shift == 64 { 0 } else { self.bitmap << shift };
                moved | (1u64 << (shift - 1))
            };
            self.highest = seq;
        } else if seq < self.highest {
            let d = self.highest - seq - 1;
            if d < 64 {
                self.bitmap |= 1u64 << d;
            }
        }
    }

    /// Whether `seq` is reported received.
    pub fn covers(&self, seq: u32) -> bool {
        if seq == self.highest {
            return self.highest != 0;
        }
        if seq > self.highest {
            return false;
        }
        let d = self.highest - seq - 1;
        d < 64 && self.bitmap & (1u64 << d) != 0
    }
}

/// Result of checking one range (VERIFY reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RangeStatus {
    /// Written and its SHA-256 matches.
    Ok = 0,
    /// Its SHA-256 differs.
    Mismatch = 1,
    /// Not completely written yet.
    Incomplete = 2,
}

/// VERIFY reply: `count u8 | count × (name | status u8)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReply {
    /// Status of every range of the manifest, in manifest order.
    pub ranges: Vec<(String, RangeStatus)>,
}

impl VerifyReply {
    /// Encodes the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(self.ranges.len() as u8);
        for (name, st) in &self.ranges {
            put_name(&mut out, name);
            out.push(*st as u8);
        }
        out
    }

    /// Decodes the payload.
    pub fn decode(bytes: &[u8]) -> Result<VerifyReply, FrameError> {
        let mut r = Reader::new(bytes, "VERIFY reply");
        let n = r.u8("count")?;
        let mut ranges = Vec::new();
        for _ in 0..n {
            let name = r.name("range name")?.into();
            let st = match r.u8("status")? {
                0 => RangeStatus::Ok,
                1 => RangeStatus::Mismatch,
                2 => RangeStatus::Incomplete,
                _ => {
                    return Err(FrameError {
                        command: "VERIFY reply",
                        field: "status",
                    })
                }
            };
            ranges.push((name, st));
        }
        r.end("trailing bytes")?;
        Ok(VerifyReply { ranges })
    }
}

/// REBOOT payload: one byte, 0 normal, 1 recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebootMode {
    /// Boot the installed system.
    Normal,
    /// Boot into recovery.
    Recovery,
}

impl RebootMode {
    /// Encodes the payload.
    pub fn encode(self) -> Vec<u8> {
        alloc::vec![match self {
            RebootMode::Normal => 0,
            RebootMode::Recovery => 1,
        }]
    }

    /// Decodes the payload.
    pub fn decode(bytes: &[u8]) -> Result<RebootMode, FrameError> {
        match bytes {
            [0] => Ok(RebootMode::Normal),
            [1] => Ok(RebootMode::Recovery),
            _ => Err(FrameError {
                command: "REBOOT",
                field: "mode",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_ack_bitmap_tracks_recent_seqs() {
        let mut a = WriteAck::default();
        for s in [5u32, 3, 7, 6] {
            a.record(s);
        }
        for s in [3u32, 5, 6, 7] {
            assert!(a.covers(s), "{s}");
        }
        for s in [1u32, 2, 4, 8] {
            assert!(!a.covers(s), "{s}");
        }
        a.record(200);
        assert!(a.covers(200) && !a.covers(7));
        assert_eq!(WriteAck::decode(&a.encode()), Ok(a));
    }

    #[test]
    fn payloads_roundtrip() {
        let h = HelloReply {
            max_chunk: 65536,
            window: 16,
            insecure: true,
            board: "qemu-virt".into(),
        };
        assert_eq!(HelloReply::decode(&h.encode()), Ok(h));
        let v = VerifyReply {
            ranges: alloc::vec![("kernel".into(), RangeStatus::Mismatch)],
        };
        assert_eq!(VerifyReply::decode(&v.encode()), Ok(v));
        let m = ManifestPayload {
            signature: Some([3; 64]),
            manifest: b"{}".to_vec(),
        };
        assert_eq!(ManifestPayload::decode(&m.encode()), Ok(m));
        let (w, data) = WriteHeader::decode(&[
            6, b'k', b'e', b'r', b'n', b'e', b'l', 1, 0, 0, 0, 0, 0, 0, 0, 9,
        ])
        .unwrap();
        assert_eq!((w.range, w.offset, data), ("kernel", 1, &[9u8][..]));
        assert!(WriteHeader::decode(&[40]).is_err());
    }
}
