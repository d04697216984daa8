//! Support for the crash pipeline suite and its benchmark: reading an ELF's text ranges,
//! symbols and line-table addresses independently of the code under test, choosing
//! addresses, and asking binutils `addr2line` (the oracle) what they resolve to.
//! The tests live in `tests/`; the benchmark driver is `src/bin/bench-crash.rs`.

pub mod fixture;
pub mod oracle;
