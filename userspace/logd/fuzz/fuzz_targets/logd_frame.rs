//! Fuzz target: any byte string, served as a request frame against a journal that holds
//! records, gets a response that decodes, within 2048 bytes, with the status the parser's
//! error implies; the response, record and fields decoders never panic on it either. The
//! body is `logd::fuzz::logd_frame`, which the corpus replay and property tests run too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| logd::fuzz::logd_frame(data));
