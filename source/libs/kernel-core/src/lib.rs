//! The kernel's pure, host-tested parts: turning a program's ELF into a load plan,
//! building Sv39 page tables over an abstract physical memory, finding the free RAM at
//! boot, checking device grants and keeping DMA books, and writing the tiny executable
//! the spawn-from-memory test runs.
//!
//! Nothing here touches hardware; the kernel supplies the memory (identity-mapped RAM)
//! and the host tests supply a map of fake frames.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod elf;
pub mod frames;
#[doc(hidden)]
pub mod fuzz;
pub mod grants;
pub mod sv39;
pub mod tiny_elf;
