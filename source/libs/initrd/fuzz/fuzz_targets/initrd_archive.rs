//! Fuzz target: the initrd archive reader and the boot manifest parser return `Ok` or a
//! typed error for any input, and every entry of an accepted archive is readable. The
//! body is `initrd::fuzz::initrd_archive`, which the corpus replay test runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| initrd::fuzz::initrd_archive(data));
