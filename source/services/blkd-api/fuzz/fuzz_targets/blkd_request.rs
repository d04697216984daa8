//! Fuzz target: `blkd_api::Request::decode` and the request handler answer any input
//! with a reply or a typed error, never reach past the disk, and serve only granted
//! senders. The body is `blkd_api::fuzz::blkd_request`, which the corpus replay test
//! runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| blkd_api::fuzz::blkd_request(data));
