//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/reader.rs`) both call these functions, so the fuzzer and `cargo test` run the
//! same code. Not a stable API.

use alloc::string::String;

use crate::{render, IndexSet, SymIndex};

/// The `index_reader` target: parses `data` as an index and calls every accessor of what
/// it parsed: each module's fields, its lookup by Build-ID, and lookups (rendered both
/// ways) across and beyond the addresses the seeds use. Each returns `Ok` or a typed
/// error; none may panic.
///
/// # Panics
///
/// When a module listed by the index is not found by its own Build-ID, or when the index
/// merged alone (an [`IndexSet`] of it) is not an index of the same modules: the findings
/// the fuzzer reports.
pub fn index_reader(data: &[u8]) {
    let Ok(idx) = SymIndex::parse(data) else {
        return;
    };
    let _ = idx.version();
    for m in idx.modules() {
        let found = idx.module(m.build_id());
        assert!(
            matches!(found, Ok(Some(f)) if f.build_id() == m.build_id()),
            "a listed module is not found by its Build-ID"
        );
        let _ = (
            m.build_id_kind(),
            m.name(),
            m.arch(),
            m.debug(),
            m.debug_file(),
            m.scope_count(),
            m.line_blocks(),
            m.raw(),
        );
        for a in (0u64..0x4000).step_by(7).chain([u64::MAX - 1, u64::MAX]) {
            if let Ok(frames) = m.lookup(a) {
                let mut s = String::new();
                let _ = render::gnu(&mut s, &frames);
                let _ = render::pretty(&mut s, &frames);
            }
        }
    }
    let mut set = IndexSet::new();
    let added = set.push("input", idx.clone());
    assert!(added.is_ok(), "an index conflicts with nothing on its own");
    let merged = set.merged();
    let again = SymIndex::parse(&merged);
    assert!(
        matches!(&again, Ok(a) if a.modules().len() == idx.modules().len()
            && a.modules().iter().zip(idx.modules()).all(|(x, y)| x.raw() == y.raw())),
        "an index merged alone is not an index of the same modules"
    );
}
