//! Fuzz target: the image manifest parser returns `Ok` or a typed error for any input,
//! and accepts only valid, canonical manifests. The body is
//! `image::fuzz::manifest_parser`, which the corpus replay test runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| image::fuzz::manifest_parser(data));
