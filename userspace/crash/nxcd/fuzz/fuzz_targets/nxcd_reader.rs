//! Fuzz target: the `.nxcd` reader must return `Ok` or a typed error for any input, and
//! every accessor of what it returns must work without panicking. The body is
//! `nxcd::fuzz::nxcd_reader`, which the corpus replay test runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nxcd::fuzz::nxcd_reader(data));
