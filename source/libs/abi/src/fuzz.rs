//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/corpus.rs`) both call these functions, so the fuzzer and `cargo test` run the
//! same code. Not a stable API.

use crate::fault::{FaultRecord, MAX_MODULES, MAX_STACK_COPY};

/// The `fault_record` target: decodes `data` as a fault record and calls every accessor
/// of what it decoded (registers, stack copy, each module's range, build-id and name).
///
/// # Panics
///
/// When a decoded record breaks its bounds, or does not encode to a record of its
/// declared length that decodes to the same record: the finding the fuzzer reports.
pub fn fault_record(data: &[u8]) {
    let Ok(rec) = FaultRecord::decode(data) else {
        return;
    };
    let _ = (rec.scause(), rec.stval(), rec.pc(), rec.stack_base);
    let stack = rec.stack();
    assert!(stack.len() <= MAX_STACK_COPY && stack.len().is_multiple_of(8));
    assert!(rec.modules().len() <= MAX_MODULES);
    for m in rec.modules() {
        let _ = (m.start, m.end, m.link_base, m.build_id(), m.name());
    }
    let mut buf = [0u8; FaultRecord::MAX_LEN];
    let encoded = rec.encode(&mut buf);
    assert_eq!(
        encoded,
        Ok(rec.encoded_len()),
        "a decoded record does not encode"
    );
    let n = rec.encoded_len();
    assert!(n <= data.len(), "the record is longer than its input");
    assert_eq!(FaultRecord::decode(&buf[..n]), Ok(rec), "re-encoded record");
}
