//! Fuzz target: any byte string, served as a request frame against a journal that holds
//! records, gets a response that decodes, within 2048 bytes, with the status the parser's
//! error implies; the response, record and fields decoders never panic on it either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logd::wire::MAX_RESPONSE_LEN;
use logd::{
    handle_request, Entry, Fields, Journal, JournalConfig, Level, RecordView, Request,
    Response, ServiceId, Status,
};

fuzz_target!(|data: &[u8]| {
    let Ok(mut journal) = Journal::new(JournalConfig { capacity_records: 8, capacity_bytes: 2000 }) else {
        return;
    };
    for i in 0..10u64 {
        if let Ok(e) = Entry::new(Level::Info, b"seed", &[b'x'; 100], b"k=v") {
            journal.append(i, ServiceId(i), &e);
        }
    }
    let parsed = Request::parse(data);
    let mut out = [0u8; MAX_RESPONSE_LEN];
    let len = handle_request(&mut journal, ServiceId(1), 99, data, &mut out);
    assert!((5..=MAX_RESPONSE_LEN).contains(&len));
    let response = Response::decode(&out[..len]);
    let status = response.map(|r| r.status()).ok();
    match parsed {
        Ok(_) => assert_eq!(status, Some(Status::Ok)),
        Err(e) => assert_eq!(status, Some(e.status())),
    }
    if let Ok(Response::Query(q)) = Response::decode(data) {
        for r in q.records() {
            let _ = r.to_record();
        }
    }
    let _ = RecordView::decode(data);
    let _ = Fields::parse(data);
});
