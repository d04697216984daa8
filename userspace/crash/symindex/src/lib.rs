//! `symindex`: the Build-ID keyed symbol index (`symbols.nxsym`) of the crash pipeline.
//!
//! The lookup core is `no_std` + `alloc` so the OS's crash service can symbolize on the
//! device: [`SymIndex::parse`] opens an index in place, [`SymIndex::module`] finds a
//! module by Build-ID, [`Module::lookup`] turns a link-time address into its frames
//! (function, file and line of that address, then each inlined call outwards), as
//! `addr2line -f -i -C` would, without the ELF. A lookup binary-searches two packed block
//! directories and decodes one small block of each; nothing else is read.
//!
//! With the `std` feature, [`build`] reads ELF files (DWARF, or the symbol table when
//! there is none), finds separate debug files, and writes the index deterministically.
//! The format is specified in docs/reliability/crashdump-v2.md.
//!
//! [`IndexSet`] reads several indexes as one symbol store (first hit by Build-ID; one
//! Build-ID with two different contents refused) and merges them into one index.
//!
//! [`BuildId`] is the one Build-ID type of the crash pipeline: it lives here, the lowest
//! crate (`nxcd` re-exports it), with its JSON form behind the `serde` feature.
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod blocks;
mod build_id;
mod cbor;
mod error;
pub mod format;
#[doc(hidden)]
pub mod fuzz;
mod lookup;
mod raw;
pub mod render;
mod set;
mod write;

#[cfg(feature = "std")]
pub mod build;

pub use build_id::{BuildId, BuildIdError, MAX_BUILD_ID_LEN};
pub use error::Error;
pub use format::{BuildIdKind, DebugKind};
pub use lookup::{Frame, Module, SymIndex};
pub use set::{IndexSet, SetError};
pub use write::{write_index, ModuleData, Node, Strings};

/// Formats Build-ID bytes (as an index entry holds them) as lowercase hex.
pub fn build_id_hex(id: &[u8]) -> alloc::string::String {
    hex::encode(id)
}
