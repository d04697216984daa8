//! Fuzz target: every reader of the `updates` crate (system-set verifier, bundle reader,
//! index and manifest decoders, BootCtrl record) returns `Ok` or a typed error for any
//! input, fed in one piece or in small chunks, without panicking. The body is
//! `updates::fuzz::updates_readers`, which the corpus replay test runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| updates::fuzz::updates_readers(data));
