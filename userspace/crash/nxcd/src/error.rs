//! The one error type of the `.nxcd` core: every variant names the field, offset or
//! section at fault, so a corrupt dump can be diagnosed from the message alone.

use alloc::string::String;
use core::fmt;

use crate::section::SectionName;

/// Everything that can be wrong with a `.nxcd` container or its sections.
///
/// The reader returns one of these for any input and never panics; the writer returns
/// one when the dump it is given cannot be represented within the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The first eight bytes are not the `.nxcd` magic.
    BadMagic {
        /// The eight bytes found at offset 0.
        found: [u8; 8],
    },
    /// The major format version is not one this reader understands.
    UnsupportedVersion {
        /// Major version found at offset 8.
        major: u16,
        /// Minor version found at offset 10.
        minor: u16,
    },
    /// The input ends before a structure it must contain.
    Truncated {
        /// What was being read ("file header", "section table", "file").
        what: &'static str,
        /// Bytes needed to hold it.
        needed: u64,
        /// Bytes actually available.
        available: u64,
    },
    /// The input is longer than the total length recorded in the file header.
    TrailingData {
        /// Total length recorded at offset 16.
        declared: u64,
        /// Length of the input.
        actual: u64,
    },
    /// The file (or its declared total length) exceeds the total size bound.
    FileTooLarge {
        /// Size of the file, or the total length it declares.
        size: u64,
        /// The bound in effect.
        limit: u64,
    },
    /// The section table has more entries than allowed.
    TooManySections {
        /// Section count found at offset 12.
        count: u16,
        /// The bound in effect.
        limit: u16,
    },
    /// A reserved field is not zero.
    ReservedNotZero {
        /// Absolute byte offset of the reserved field.
        offset: u64,
    },
    /// The CRC32 over the file header and section table does not match.
    BadTableChecksum {
        /// CRC32 recorded at offset 24.
        expected: u32,
        /// CRC32 computed over the bytes.
        actual: u32,
    },
    /// A section table entry's name is not NUL-padded printable ASCII.
    BadSectionName {
        /// Index of the entry in the section table.
        index: u16,
    },
    /// A section name this reader does not know, in a file of this reader's minor version
    /// or older.
    UnknownSection {
        /// Index of the entry in the section table.
        index: u16,
        /// The name found (printable ASCII).
        name: String,
    },
    /// The same section appears twice in the section table.
    DuplicateSection {
        /// The repeated section's name.
        section: String,
    },
    /// A required section is absent.
    MissingSection {
        /// The missing section.
        section: SectionName,
    },
    /// A section's offset and length do not lie between the end of the section table and
    /// the end of the file.
    SectionOutOfBounds {
        /// The section (its name as found in the table).
        section: String,
        /// Offset recorded in the table.
        offset: u64,
        /// Length recorded in the table.
        len: u64,
        /// Where section data may start (end of the section table).
        data_start: u64,
        /// Total length of the file.
        file_len: u64,
    },
    /// Two sections share bytes.
    OverlappingSections {
        /// The section that starts first.
        first: String,
        /// The section that starts inside it.
        second: String,
    },
    /// A section is longer than its size bound (checked before anything is allocated).
    OversizedSection {
        /// The section (its name as found in the table).
        section: String,
        /// Its length.
        len: u64,
        /// The bound in effect.
        limit: u64,
    },
    /// A section's bytes do not match the CRC32 recorded in the section table.
    BadChecksum {
        /// The section.
        section: String,
        /// CRC32 recorded in the table.
        expected: u32,
        /// CRC32 computed over the section bytes.
        actual: u32,
    },
    /// A JSON or JSON-lines section does not parse, or a value in it is invalid.
    InvalidJson {
        /// The section.
        section: SectionName,
        /// 1-based line within the section (0 when not known).
        line: u64,
        /// 1-based column within that line (0 when not known).
        column: u64,
        /// What is wrong, as reported by the JSON decoder.
        message: String,
    },
    /// `regs.bin` does not have the one length the register layout allows.
    BadRegsLength {
        /// Its length.
        len: u64,
    },
    /// The `format_version` key of `header.json` disagrees with the binary header.
    VersionMismatch {
        /// `format_version` in `header.json`.
        header_json: u64,
        /// Major version in the binary header.
        binary: u16,
    },
    /// A value given to the writer or a constructor is not valid.
    InvalidValue {
        /// The field (for example `dump_id`, `build_id`, `level`).
        field: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A section could not be serialized (the writer's side of [`Error::InvalidJson`]).
    Encode {
        /// The section.
        section: SectionName,
        /// What the JSON encoder reported.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadMagic { found } => {
                write!(
                    f,
                    "bad magic at offset 0: found {}, expected 894e5843440d0a1a (not an .nxcd file)",
                    hex::encode(found)
                )
            }
            Error::UnsupportedVersion { major, minor } => write!(
                f,
                "unsupported format version {major}.{minor} (this reader reads major version {})",
                crate::FORMAT_MAJOR
            ),
            Error::Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "truncated {what}: needs {needed} bytes, only {available} available"
            ),
            Error::TrailingData { declared, actual } => write!(
                f,
                "trailing data: header declares {declared} bytes, input has {actual}"
            ),
            Error::FileTooLarge { size, limit } => {
                write!(f, "file too large: {size} bytes exceeds the bound of {limit}")
            }
            Error::TooManySections { count, limit } => write!(
                f,
                "too many sections at offset 12: {count} exceeds the bound of {limit}"
            ),
            Error::ReservedNotZero { offset } => {
                write!(f, "reserved field at offset {offset} is not zero")
            }
            Error::BadTableChecksum { expected, actual } => write!(
                f,
                "bad checksum for file header and section table: recorded {expected:08x}, computed {actual:08x}"
            ),
            Error::BadSectionName { index } => write!(
                f,
                "section table entry {index}: name is not NUL-padded printable ASCII"
            ),
            Error::UnknownSection { index, name } => {
                write!(f, "section table entry {index}: unknown section {name:?}")
            }
            Error::DuplicateSection { section } => write!(f, "duplicate section {section}"),
            Error::MissingSection { section } => write!(f, "missing required section {section}"),
            Error::SectionOutOfBounds {
                section,
                offset,
                len,
                data_start,
                file_len,
            } => write!(
                f,
                "section {section} out of bounds: offset {offset} length {len} is not within [{data_start}, {file_len})"
            ),
            Error::OverlappingSections { first, second } => {
                write!(f, "overlapping sections: {second} starts inside {first}")
            }
            Error::OversizedSection { section, len, limit } => write!(
                f,
                "oversized section {section}: {len} bytes exceeds the bound of {limit}"
            ),
            Error::BadChecksum {
                section,
                expected,
                actual,
            } => write!(
                f,
                "bad checksum for section {section}: recorded {expected:08x}, computed {actual:08x}"
            ),
            Error::InvalidJson {
                section,
                line,
                column,
                message,
            } => write!(
                f,
                "invalid JSON in section {section} at line {line} column {column}: {message}"
            ),
            Error::BadRegsLength { len } => write!(
                f,
                "section regs.bin has {len} bytes, the register layout needs exactly {}",
                crate::regs::REGS_LEN
            ),
            Error::VersionMismatch {
                header_json,
                binary,
            } => write!(
                f,
                "section header.json: format_version {header_json} disagrees with the file header's major version {binary}"
            ),
            Error::InvalidValue { field, reason } => write!(f, "invalid {field}: {reason}"),
            Error::Encode { section, message } => {
                write!(f, "cannot encode section {section}: {message}")
            }
        }
    }
}

impl core::error::Error for Error {}

impl From<symindex::BuildIdError> for Error {
    fn from(e: symindex::BuildIdError) -> Error {
        Error::InvalidValue {
            field: "build_id",
            reason: e.reason(),
        }
    }
}
