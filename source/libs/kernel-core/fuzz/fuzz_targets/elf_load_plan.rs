//! Fuzz target: the kernel's ELF load plan returns `Ok` or a typed error for any input,
//! and every plan it accepts stays inside the user image window and the file. The body
//! is `kernel_core::fuzz::elf_load_plan`, which the corpus replay test runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kernel_core::fuzz::elf_load_plan(data));
