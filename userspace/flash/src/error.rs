//! Error types of the protocol core; each names the frame, field or range at fault.

use alloc::string::String;
use core::fmt;

/// Why a frame's payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// The command whose payload is malformed.
    pub command: &'static str,
    /// The field at fault.
    pub field: &'static str,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} frame: malformed field {}", self.command, self.field)
    }
}

impl core::error::Error for FrameError {}

/// Why a flashing session failed on the host side.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The device refused a frame (NAK) with a code and a message.
    Refused {
        /// The command that was refused.
        command: &'static str,
        /// NAK code (see [`crate::proto::NakCode`]).
        code: u16,
        /// The device's message.
        message: String,
    },
    /// A frame was retransmitted the maximum number of times without an answer.
    Timeout {
        /// The command that went unanswered.
        command: &'static str,
        /// Its last sequence number.
        seq: u32,
        /// Attempts made.
        attempts: u32,
    },
    /// The device answered with a malformed payload.
    Malformed(FrameError),
    /// The device speaks another protocol version or has limits we cannot meet.
    Incompatible {
        /// What does not fit.
        what: &'static str,
    },
    /// The image source could not be read.
    Source {
        /// Where: the range name.
        range: String,
        /// Offset within the range.
        offset: u64,
        /// The reader's message.
        message: String,
    },
    /// The manifest is unusable on the host side.
    Manifest {
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Refused {
                command,
                code,
                message,
            } => write!(f, "device refused {command} (code {code}): {message}"),
            ProtocolError::Timeout {
                command,
                seq,
                attempts,
            } => write!(
                f,
                "no answer to {command} (seq {seq}) after {attempts} attempts"
            ),
            ProtocolError::Malformed(e) => write!(f, "device answer: {e}"),
            ProtocolError::Incompatible { what } => write!(f, "incompatible device: {what}"),
            ProtocolError::Source {
                range,
                offset,
                message,
            } => write!(f, "reading {range} at offset {offset}: {message}"),
            ProtocolError::Manifest { message } => write!(f, "manifest: {message}"),
        }
    }
}

impl core::error::Error for ProtocolError {}
