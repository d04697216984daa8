//! Fuzz target: the GPT reader and the state header decoder return `Ok` or a typed error
//! for any input. The body is `image::fuzz::gpt_reader`, which the corpus replay test
//! runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| image::fuzz::gpt_reader(data));
