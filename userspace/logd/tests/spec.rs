//! `cargo test -p logd`: the RFC-0011 v1 rules, table-driven: frame caps at their limit and
//! one over, every malformed shape and its status, journal overflow by count and by bytes
//! with counters, the 2048-byte response limit, ordering, `since` filtering and paging,
//! the fields convention, crash.v1 reports, never-panic properties, and the replay of the
//! fuzz seed corpus.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

#[path = "spec/corpus.rs"]
mod corpus;
#[path = "spec/crash.rs"]
mod crash;
#[path = "spec/fields.rs"]
mod fields;
#[path = "spec/frames.rs"]
mod frames;
#[path = "spec/journal.rs"]
mod journal;
#[path = "spec/oracle.rs"]
mod oracle;
#[path = "spec/properties.rs"]
mod properties;
