//! Fuzz target: arbitrary bytes through the frame decoder (split at the first byte's
//! value), every payload decoder, and an insecure in-memory device.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    flash::fuzz::frame_decoder(data);
});
