//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`), the corpus replay test and the
//! property tests (`tests/spec/`) all call these functions, so the fuzzer and
//! `cargo test` run the same code. Not a stable API.

use crate::wire::MAX_RESPONSE_LEN;
use crate::{
    handle_request, Entry, Fields, Journal, JournalConfig, Level, RecordView, Request, Response,
    ServiceId, Status,
};

/// A journal of 8 records that has already dropped some (10 appended).
fn small_journal() -> Option<Journal> {
    let mut journal = Journal::new(JournalConfig {
        capacity_records: 8,
        capacity_bytes: 2000,
    })
    .ok()?;
    let entry = Entry::new(Level::Info, b"seed", &[b'x'; 100], b"k=v").ok()?;
    for i in 0..10u64 {
        journal.append(i, ServiceId(i), &entry);
    }
    Some(journal)
}

/// The `logd_frame` target: `data` served as a request frame against a journal that
/// holds records, then through the response, record and fields decoders, and every
/// accessor of what they parsed.
///
/// # Panics
///
/// When the handler's response does not decode, is not 5 to 2048 bytes long, or carries
/// a status other than the one the parser's verdict implies; when a rejected frame
/// changes the journal; or when a parsed request does not re-encode to a frame that
/// parses to the same request: the finding the fuzzer reports.
pub fn logd_frame(data: &[u8]) {
    let Some(mut journal) = small_journal() else {
        panic!("the seed journal cannot be built");
    };
    let before = journal.stats();
    let parsed = Request::parse(data);
    let mut out = [0u8; MAX_RESPONSE_LEN];
    let len = handle_request(&mut journal, ServiceId(1), 99, data, &mut out);
    assert!(
        (5..=MAX_RESPONSE_LEN).contains(&len),
        "response of {len} bytes"
    );
    let response = Response::decode(&out[..len]);
    let Ok(response) = response else {
        panic!("the handler's response does not decode: {response:?}");
    };
    match parsed {
        Ok(request) => {
            assert_eq!(response.status(), Status::Ok);
            let _ = request.op();
            let again = request.encode();
            assert_eq!(Request::parse(&again), Ok(request), "re-encoded request");
        }
        Err(e) => {
            assert_eq!(response.status(), e.status());
            assert_eq!(journal.stats(), before, "a rejected frame changes nothing");
        }
    }
    if let Response::Query(q) = response {
        for r in q.records() {
            let _ = (r.entry(), r.encoded_len(), r.to_record());
        }
    }
    if let Ok(Response::Query(q)) = Response::decode(data) {
        for r in q.records() {
            let owned = r.to_record();
            assert_eq!(owned.view(), r, "an owned record's view differs");
        }
    }
    if let Ok((view, _)) = RecordView::decode(data) {
        let entry = view.entry();
        let _ = (
            entry.level(),
            entry.scope(),
            entry.message(),
            entry.fields(),
        );
        let _ = view.to_record();
    }
    if let Ok(fields) = Fields::parse(data) {
        let _ = (fields.len(), fields.is_empty(), fields.iter().count());
        let _ = fields.encode();
    }
}
