//! The v1 `fields` convention (RFC-0011): UTF-8 `key=value` pairs, one per line, separated
//! by `\n` (no trailing newline), sorted by key, keys `[a-z0-9_.-]+`, values without `\n`,
//! at most 512 bytes in all. logd stores the blob opaquely; producers ([`Fields::encode`])
//! and consumers ([`Fields::parse`]) share this one implementation.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::FieldsError;
use crate::wire::MAX_FIELDS_LEN;

/// A set of `key=value` pairs, kept sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pairs: BTreeMap<String, String>,
}

/// Checks a key against `[a-z0-9_.-]+`; `pair` is the index reported on error.
pub fn validate_key(key: &str, pair: usize) -> Result<(), FieldsError> {
    if key.is_empty() {
        return Err(FieldsError::EmptyKey { pair });
    }
    match key
        .bytes()
        .find(|b| !matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-'))
    {
        Some(byte) => Err(FieldsError::BadKeyByte { pair, byte }),
        None => Ok(()),
    }
}

impl Fields {
    /// No pairs.
    pub fn new() -> Fields {
        Fields::default()
    }

    /// Adds a pair; a key may appear once.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<&mut Fields, FieldsError> {
        let pair = self.pairs.len();
        validate_key(key, pair)?;
        if value.contains('\n') {
            return Err(FieldsError::NewlineInValue { pair });
        }
        if self.pairs.contains_key(key) {
            return Err(FieldsError::DuplicateKey { pair });
        }
        self.pairs.insert(key.to_string(), value.to_string());
        Ok(self)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.get(key).map(String::as_str)
    }

    /// Pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        let lines: usize = self.pairs.iter().map(|(k, v)| k.len() + 1 + v.len()).sum();
        lines + self.pairs.len().saturating_sub(1)
    }

    /// The deterministic encoding: sorted `key=value` lines joined by `\n`.
    pub fn encode(&self) -> Result<Vec<u8>, FieldsError> {
        let len = self.encoded_len();
        if len > MAX_FIELDS_LEN {
            return Err(FieldsError::TooLarge { len });
        }
        let mut out = Vec::with_capacity(len);
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
        Ok(out)
    }

    /// Parses a blob that follows the convention (pairs in any order; empty blob = no
    /// pairs). The value is everything after the first `=`.
    pub fn parse(blob: &[u8]) -> Result<Fields, FieldsError> {
        if blob.len() > MAX_FIELDS_LEN {
            return Err(FieldsError::TooLarge { len: blob.len() });
        }
        let text = core::str::from_utf8(blob).map_err(|e| FieldsError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        let mut fields = Fields::new();
        if text.is_empty() {
            return Ok(fields);
        }
        for (pair, line) in text.split('\n').enumerate() {
            let (key, value) = line
                .split_once('=')
                .ok_or(FieldsError::MissingEquals { pair })?;
            validate_key(key, pair)?;
            if fields.pairs.contains_key(key) {
                return Err(FieldsError::DuplicateKey { pair });
            }
            fields.pairs.insert(key.to_string(), value.to_string());
        }
        Ok(fields)
    }
}
