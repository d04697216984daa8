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
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod blocks;
mod cbor;
mod error;
pub mod format;
#[doc(hidden)]
pub mod fuzz;
mod lookup;
mod raw;
pub mod render;
mod write;

#[cfg(feature = "std")]
pub mod build;

pub use error::Error;
pub use format::{BuildIdKind, DebugKind};
pub use lookup::{Frame, Module, SymIndex};
pub use write::{write_index, ModuleData, Node, Strings};

/// Formats a Build-ID as lowercase hex.
pub fn build_id_hex(id: &[u8]) -> alloc::string::String {
    use core::fmt::Write;
    let mut s = alloc::string::String::with_capacity(id.len() * 2);
    for b in id {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses a Build-ID from hex (case-insensitive); `None` if it is not even-length hex.
pub fn parse_build_id_hex(s: &str) -> Option<alloc::vec::Vec<u8>> {
    let s = s.trim();
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}
