//! Format tests for `.nxcd`: roundtrips, determinism, bounds, a table of corrupt inputs
//! each rejected with the right error, property tests that mutated files never panic the
//! reader, and the replay of the fuzz seed corpus.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "format/corpus.rs"]
mod corpus;
#[path = "format/corrupt.rs"]
mod corrupt;
#[path = "format/embed.rs"]
mod embed;
#[path = "format/fixtures.rs"]
mod fixtures;
#[path = "format/mutations.rs"]
mod mutations;
#[path = "format/reader_rules.rs"]
mod reader_rules;
#[path = "format/roundtrip.rs"]
mod roundtrip;
