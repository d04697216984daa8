//! `nxcd`: the `.nxcd` crash dump container (format version 2), its typed sections, the
//! RISC-V register layout of `regs.bin`, and the garbage-collection plan for dump
//! directories, and the symbolization of a dump's frames with a `symbols.nxsym` index.
//!
//! The core is `no_std` + `alloc` and does no I/O, so the OS's crashd and the host's
//! `nx crash` share it. The default `std` feature adds only I/O adapters ([`fs`]): atomic
//! file writes and the `.nxcd.zst` wrapper.
//!
//! Invariants: the writer is deterministic (same [`Dump`], same bytes); the reader never
//! panics, checks every size against [`Limits`] before allocating, and reports any defect
//! as an [`Error`] naming the section, field or offset at fault. The byte layout is
//! specified in `docs/reliability/crashdump-v2.md`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod container;
mod dump;
mod error;
mod frames;
#[doc(hidden)]
pub mod fuzz;
pub mod gc;
mod header;
mod hex;
mod logs;
mod maps;
mod regs;
mod section;
mod spans;
pub mod symbolize;

#[cfg(feature = "std")]
pub mod fs;

pub use container::{
    Container, Limits, SectionEntry, FILE_HEADER_LEN, FORMAT_MAJOR, FORMAT_MINOR, MAGIC,
    SECTION_NAME_LEN, TABLE_ENTRY_LEN,
};
pub use dump::Dump;
pub use error::Error;
pub use frames::{Frame, SourceLocation};
pub use gc::{plan_gc, GcEntry, GcPlan, GcPolicy};
pub use header::{fault_exit_code, scause_name, DumpId, Header, MAX_DUMP_ID_LEN};
pub use hex::{format_address, parse_address, BuildId, MAX_BUILD_ID_LEN};
pub use logs::{level_from_number, Level, LogRecord};
pub use maps::{link_address, LinkAddress, MapEntry};
pub use regs::{Registers, REGISTER_NAMES, REGS_LEN, REG_COUNT};
pub use section::SectionName;
pub use spans::Span;
