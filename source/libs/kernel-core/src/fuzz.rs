//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/corpus.rs`) both call these functions, so the fuzzer and `cargo test` run the
//! same code. Not a stable API.

use abi::layout::{HEAP_BASE, USER_IMAGE_START};

use crate::elf::{find_build_id, plan, MAX_BUILD_ID, MAX_SEGMENTS};

/// The `elf_load_plan` target: builds the load plan of `data` and calls every accessor of
/// what it planned (segments, build-id, span); also runs the build-id note parser over
/// `data` as a note segment.
///
/// # Panics
///
/// When an accepted plan has a segment outside the user image window, file bytes outside
/// the file or beyond the segment's memory size, an entry point outside every executable
/// segment, or a span that does not cover its segments: the finding the fuzzer reports.
pub fn elf_load_plan(data: &[u8]) {
    if let Some(id) = find_build_id(data) {
        assert!(id.len() <= data.len());
    }
    let Ok(p) = plan(data) else {
        return;
    };
    let segments = p.segments();
    assert!(!segments.is_empty() && segments.len() <= MAX_SEGMENTS);
    assert!(p.build_id().len() <= MAX_BUILD_ID);
    let (start, end) = p.span();
    for (i, s) in segments.iter().enumerate() {
        let _ = (s.perms.read, s.perms.write, s.perms.exec);
        assert!(
            s.vaddr >= USER_IMAGE_START && s.vaddr + s.mem_len <= HEAP_BASE,
            "segment {i} outside the user image window"
        );
        assert!(
            s.file_len <= s.mem_len && s.file_offset + s.file_len <= data.len(),
            "segment {i} file range invalid"
        );
        assert!(
            start <= s.vaddr && s.vaddr + s.mem_len <= end,
            "span misses segment {i}"
        );
    }
    let entry_ok = segments
        .iter()
        .any(|s| s.perms.exec && p.entry >= s.vaddr && p.entry < s.vaddr + s.mem_len);
    assert!(entry_ok, "entry point outside every executable segment");
}
