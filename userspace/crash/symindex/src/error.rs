//! The one error type of the index reader and builder core: each variant names the part
//! of the index (or the input) at fault, so a corrupt file is reported precisely.

use core::fmt;

/// What went wrong while reading (or, for the builder, producing) a symbol index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The CBOR structure ended before an item was complete; `at` is the byte offset.
    Truncated {
        /// Byte offset of the incomplete item.
        at: usize,
    },
    /// A CBOR item used a form the index never writes (indefinite length, tags, floats...).
    UnsupportedCbor {
        /// Byte offset of the item.
        at: usize,
        /// What was found there.
        what: &'static str,
    },
    /// A CBOR item had another type than the key requires.
    WrongType {
        /// The map key (or context) whose value had the wrong type.
        field: &'static str,
        /// The type the format requires.
        expected: &'static str,
    },
    /// A required key is missing.
    MissingField {
        /// The missing map key.
        field: &'static str,
    },
    /// The top-level `format` key does not say `nxsym`.
    NotAnIndex,
    /// The index was written by a newer, incompatible format version.
    UnsupportedVersion {
        /// The version found in the file.
        found: u64,
    },
    /// A packed array's byte length is not a whole number of records, or a record points
    /// outside its table.
    BadTable {
        /// Which table.
        table: &'static str,
        /// Why it is invalid.
        why: &'static str,
    },
    /// A delta-encoded block is malformed.
    BadBlock {
        /// Which table the block belongs to.
        table: &'static str,
        /// Index of the block.
        block: usize,
        /// Why it is invalid.
        why: &'static str,
    },
    /// A string is not valid UTF-8 or its id is out of range.
    BadString {
        /// The string id.
        id: u32,
    },
    /// Nesting deeper than the reader accepts (a malicious or corrupt file).
    TooDeep,
    /// The modules are not sorted by Build-ID, or two share one.
    UnsortedModules,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { at } => {
                write!(f, "index truncated: item at byte {at} is incomplete")
            }
            Error::UnsupportedCbor { at, what } => {
                write!(f, "unsupported CBOR item at byte {at}: {what}")
            }
            Error::WrongType { field, expected } => {
                write!(f, "field `{field}` must be {expected}")
            }
            Error::MissingField { field } => write!(f, "required field `{field}` is missing"),
            Error::NotAnIndex => f.write_str("not a symbol index (format is not \"nxsym\")"),
            Error::UnsupportedVersion { found } => {
                write!(
                    f,
                    "index format version {found} is not supported by this reader"
                )
            }
            Error::BadTable { table, why } => write!(f, "table `{table}` is invalid: {why}"),
            Error::BadBlock { table, block, why } => {
                write!(f, "block {block} of table `{table}` is invalid: {why}")
            }
            Error::BadString { id } => write!(f, "string {id} is out of range or not UTF-8"),
            Error::TooDeep => f.write_str("CBOR nesting is deeper than the reader accepts"),
            Error::UnsortedModules => {
                f.write_str("modules are not sorted by Build-ID or a Build-ID repeats")
            }
        }
    }
}

impl core::error::Error for Error {}
