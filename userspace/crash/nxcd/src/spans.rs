//! `spans.jsonl`: span records, one JSON object per line.

use alloc::string::String;

use serde::{Deserialize, Serialize};

/// One span. Keys are declared in sorted order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// End time in nanoseconds since the Unix epoch; absent for a span still open at the
    /// time of the crash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ns: Option<u64>,
    /// Span id.
    pub id: u64,
    /// Span name.
    pub name: String,
    /// The parent span's id; absent for a root span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u64>,
    /// Start time in nanoseconds since the Unix epoch.
    pub start_ns: u64,
}
