//! Fuzz target: the symbol index reader and lookup must never panic on any bytes. The
//! body is `symindex::fuzz::index_reader`, which the corpus replay test runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| symindex::fuzz::index_reader(data));
