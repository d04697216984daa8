//! Fuzz target: the symbol index reader and lookup must never panic on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(idx) = symindex::SymIndex::parse(data) else { return };
    for m in idx.modules() {
        let _ = idx.module(m.build_id());
        for a in [0u64, 1, 0x1000, 0x1010, 0x1100, 0x2000, 0x2100, u64::MAX] {
            if let Ok(frames) = m.lookup(a) {
                let mut s = String::new();
                let _ = symindex::render::gnu(&mut s, &frames);
            }
        }
    }
});
