//! `flash`: the flasher protocol that writes an OS image to a device over a byte link.
//!
//! - [`frame`]: the frame format (magic, header, seq, len, payload, CRC32) and a decoder
//!   that resynchronizes after garbage by scanning for the magic;
//! - [`proto`]: commands and their payloads;
//! - [`device`]: the device state machine (verifies the signed manifest before any write,
//!   writes ranges by name and offset, checks every range's SHA-256 before DONE, keeps a
//!   durable resume journal);
//! - [`sender`]: the host state machine (a window of WRITE frames in flight, selective
//!   acknowledgements, retransmission on timeout with bounded retries, resume);
//! - [`sim`]: a deterministic serial-line simulator with a virtual clock, for tests and
//!   benchmarks.
//!
//! Both state machines are sans-IO: they take frames and times and return frames; the
//! device reaches its disk through the [`device::Storage`] trait. The core is `no_std` +
//! `alloc`; the default `std` feature adds [`io`] (serial ports, sockets, a file-backed
//! disk, blocking drivers). Byte layouts and state machines: `docs/provisioning/protocol.md`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod device;
mod error;
pub mod extents;
pub mod frame;
#[doc(hidden)]
pub mod fuzz;
pub mod proto;
pub mod sender;
pub mod sim;

#[cfg(feature = "std")]
pub mod io;

pub use error::{FrameError, ProtocolError};
pub use frame::{Command, Decoder, Frame, FrameSeq, MAGIC, MAX_CHUNK, MAX_PAYLOAD, VERSION};
