//! IPC vocabulary: service ids, message kinds and the header `recv` writes.
//!
//! Every process is addressed by its service id, the 1-based line of its program in the
//! boot manifest (id 0 is the kernel itself, the sender of child-exit notices). A
//! process's endpoint is its service id: `send`/`call` name the receiver by it, and the
//! kernel stamps the sender's id into the [`RecvHeader`]; payloads carry no identity.

/// Largest message payload, in bytes, carried inline by `send`, `call` and `reply`.
pub const MAX_MSG: usize = 4096;

/// A process's identity and endpoint: its 1-based line in the boot manifest.
///
/// As the origin of a log record (and of a crash dump's log lines) it becomes logd's
/// 64-bit `ServiceId`, the one identity of the log and crash pipeline, through
/// `logd::ServiceId::from_kernel(id, incarnation)` (`(incarnation << 32) | id`, the
/// incarnation from [`RecvHeader`]): the OS converts at its edge, since domain crates do
/// not depend on this crate. On the host that identity is `(uid << 32) | pid`.
pub type ServiceId = u32;

/// The kernel's own id: the sender of [`MsgKind::ChildExited`] notices.
pub const KERNEL_ID: ServiceId = 0;

/// What kind of message `recv` returned.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgKind {
    /// A one-way `send`; no reply is expected.
    Send = 0,
    /// A `call`; the sender is blocked until the receiver `reply`s to it.
    Call = 1,
    /// From the kernel: a child of the receiver ended. The payload is the child's id as
    /// 4 little-endian bytes; `wait` on it returns at once.
    ChildExited = 2,
}

impl MsgKind {
    /// The kind with code `code`, if any.
    pub fn from_code(code: u32) -> Option<MsgKind> {
        match code {
            0 => Some(MsgKind::Send),
            1 => Some(MsgKind::Call),
            2 => Some(MsgKind::ChildExited),
            _ => None,
        }
    }
}

/// The 16-byte header the kernel writes for each received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvHeader {
    /// The sender's service id, filled in by the kernel.
    pub sender: ServiceId,
    /// The message kind.
    pub kind: MsgKind,
    /// Payload length in bytes (at most [`MAX_MSG`]).
    pub len: u32,
    /// The sender's incarnation, filled in by the kernel: how many times a program has
    /// been started in the sender's slot since boot (1 for its first run; 0 for the
    /// kernel). A restarted program keeps its service id and gets the next incarnation.
    pub incarnation: u32,
}

impl RecvHeader {
    /// Encoded size in bytes.
    pub const LEN: usize = 16;

    /// Little-endian encoding: sender, kind, len, incarnation.
    #[inline]
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[0..4].copy_from_slice(&self.sender.to_le_bytes());
        out[4..8].copy_from_slice(&(self.kind as u32).to_le_bytes());
        out[8..12].copy_from_slice(&self.len.to_le_bytes());
        out[12..16].copy_from_slice(&self.incarnation.to_le_bytes());
        out
    }

    /// Decodes a header; `None` for an unknown kind or an oversized length.
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Option<RecvHeader> {
        let word = |i: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&bytes[i..i + 4]);
            u32::from_le_bytes(w)
        };
        let len = word(8);
        if len as usize > MAX_MSG {
            return None;
        }
        Some(RecvHeader {
            sender: word(0),
            kind: MsgKind::from_code(word(4))?,
            len,
            incarnation: word(12),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrips() {
        let h = RecvHeader {
            sender: 7,
            kind: MsgKind::Call,
            len: 4096,
            incarnation: 3,
        };
        let b = h.to_bytes();
        assert_eq!(b, [7, 0, 0, 0, 1, 0, 0, 0, 0, 0x10, 0, 0, 3, 0, 0, 0]);
        assert_eq!(RecvHeader::from_bytes(&b), Some(h));
    }

    #[test]
    fn header_rejects_bad_kind_and_length() {
        let good = RecvHeader {
            sender: 1,
            kind: MsgKind::Send,
            len: 1,
            incarnation: 1,
        }
        .to_bytes();
        let mut b = good;
        b[4] = 9;
        assert_eq!(RecvHeader::from_bytes(&b), None);
        let mut b = good;
        b[8..12].copy_from_slice(&4097u32.to_le_bytes());
        assert_eq!(RecvHeader::from_bytes(&b), None);
    }
}
