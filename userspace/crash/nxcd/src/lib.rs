//! `nxcd`: the `.nxcd` crash dump container (format version 2), its typed sections, the
//! RISC-V register layout of `regs.bin`, and the garbage-collection plan for dump
//! directories, and the symbolization of a dump's frames with a `symbols.nxsym` index.
//!
//! The core is `no_std` + `alloc` and does no I/O, so the OS's crashd and the host's
//! `nx crash` share it, the rules of a dump directory included ([`listing`]: dump names,
//! listing order, id resolution). The default `std` feature adds only I/O adapters:
//! [`fs`] (atomic file writes and the `.nxcd.zst` wrapper) and [`store`] (scanning a dump
//! directory and opening a dump by id).
//!
//! Invariants: the writer is deterministic (same [`Dump`], same bytes); the reader never
//! panics, checks every size against [`Limits`] before allocating, and reports any defect
//! as an [`Error`] naming the section, field or offset at fault. The byte layout is
//! specified in `docs/reliability/crashdump-v2.md`.
//!
//! Shared vocabulary it does not own but re-exports, so a dump and its neighbours use one
//! type each: [`BuildId`] is `symindex`'s (the index is keyed by it), [`LogRecord`] is
//! `logd::Record` with logd's [`ServiceId`] (the crash service copies journal records
//! unchanged), and the fault exit code is `abi`'s rule, which this crate only reads back
//! ([`fault_cause`]; `nxcd` depends on no OS crate). The one `_b64` rule for bytes in
//! JSON is [`serialize_bytes_entry`].
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
pub mod listing;
mod logs;
mod maps;
mod regs;
mod section;
mod spans;
mod strict;
pub mod symbolize;

#[cfg(feature = "std")]
pub mod fs;
#[cfg(feature = "std")]
pub mod store;

pub use container::{
    Container, Limits, SectionEntry, FILE_HEADER_LEN, FORMAT_MAJOR, FORMAT_MINOR, MAGIC,
    SECTION_NAME_LEN, TABLE_ENTRY_LEN,
};
pub use dump::Dump;
pub use error::Error;
pub use frames::{Frame, SourceLocation};
pub use gc::{plan_gc, GcEntry, GcPlan, GcPolicy};
pub use header::{
    fault_cause, scause_name, DumpId, Header, MAX_DUMP_ID_LEN, REDACTED_FOREIGN_LOGS,
    REDACTED_STACK,
};
pub use hex::{format_address, parse_address, BuildId, MAX_BUILD_ID_LEN};
pub use logs::{level_from_number, serialize_bytes_entry, Level, LogRecord, ServiceId};
pub use maps::{link_address, LinkAddress, MapEntry};
pub use regs::{Registers, REGISTER_NAMES, REGS_LEN, REG_COUNT};
pub use section::SectionName;
pub use spans::Span;
