//! Fuzz target: `abi::FaultRecord::decode` returns `Ok` or a typed error for any input,
//! and what it decodes stays in bounds and roundtrips. The body is
//! `abi::fuzz::fault_record`, which the corpus replay test runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| abi::fuzz::fault_record(data));
