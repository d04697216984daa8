//! Memory: the kernel heap, physical frames, and per-process Sv39 address spaces.
//!
//! Physical RAM is identity-mapped (kernel-only) in every address space, so the kernel
//! reaches any frame at its physical address, and user memory through a page-table walk
//! that checks the U bit and the access rights first.

pub mod frame;
pub mod heap;
pub mod space;
