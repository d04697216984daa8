//! Cross-crate suite for the crash pipeline; the tests live in tests/.
