//! The subset of CBOR (RFC 8949) the index uses, read in place and written canonically.
//!
//! The reader never copies: byte and text strings come back as slices of the input, so
//! opening an index costs a walk over item heads, not a decode of its tables. Only
//! definite lengths, unsigned integers, byte/text strings, arrays, maps and the simple
//! values false/true/null occur; anything else is an error, never a panic.

use crate::Error;
use alloc::vec::Vec;

/// Deepest nesting [`Reader::skip`] follows.
const MAX_DEPTH: u32 = 16;

/// A cursor over CBOR bytes.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// The head of one CBOR item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Head {
    Uint(u64),
    Bytes(u64),
    Text(u64),
    Array(u64),
    Map(u64),
    Bool(bool),
    Null,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(Error::Truncated { at: self.pos })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn head(&mut self) -> Result<Head, Error> {
        let at = self.pos;
        let first = *self.take(1)?.first().ok_or(Error::Truncated { at })?;
        let major = first >> 5;
        let info = first & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let n = 1usize << (info - 24);
                let bytes = self.take(n)?;
                bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
            }
            31 => {
                return Err(Error::UnsupportedCbor {
                    at,
                    what: "indefinite length",
                });
            }
            _ => {
                return Err(Error::UnsupportedCbor {
                    at,
                    what: "reserved additional info",
                })
            }
        };
        Ok(match major {
            0 => Head::Uint(arg),
            2 => Head::Bytes(arg),
            3 => Head::Text(arg),
            4 => Head::Array(arg),
            5 => Head::Map(arg),
            7 => match (info, arg) {
                (20, _) => Head::Bool(false),
                (21, _) => Head::Bool(true),
                (22, _) => Head::Null,
                _ => {
                    return Err(Error::UnsupportedCbor {
                        at,
                        what: "float or simple value",
                    })
                }
            },
            1 => {
                return Err(Error::UnsupportedCbor {
                    at,
                    what: "negative integer",
                })
            }
            _ => return Err(Error::UnsupportedCbor { at, what: "tag" }),
        })
    }

    fn len(&self, n: u64) -> Result<usize, Error> {
        usize::try_from(n).map_err(|_| Error::Truncated { at: self.pos })
    }

    /// Reads a byte string in place.
    pub(crate) fn bytes(&mut self, field: &'static str) -> Result<&'a [u8], Error> {
        match self.head()? {
            Head::Bytes(n) => {
                let n = self.len(n)?;
                self.take(n)
            }
            _ => Err(Error::WrongType {
                field,
                expected: "a byte string",
            }),
        }
    }

    /// Reads a text string in place.
    pub(crate) fn text(&mut self, field: &'static str) -> Result<&'a str, Error> {
        match self.head()? {
            Head::Text(n) => {
                let n = self.len(n)?;
                let at = self.pos;
                core::str::from_utf8(self.take(n)?).map_err(|_| Error::UnsupportedCbor {
                    at,
                    what: "text string is not UTF-8",
                })
            }
            _ => Err(Error::WrongType {
                field,
                expected: "a text string",
            }),
        }
    }

    pub(crate) fn uint(&mut self, field: &'static str) -> Result<u64, Error> {
        match self.head()? {
            Head::Uint(v) => Ok(v),
            _ => Err(Error::WrongType {
                field,
                expected: "an unsigned integer",
            }),
        }
    }

    pub(crate) fn map(&mut self, field: &'static str) -> Result<u64, Error> {
        match self.head()? {
            Head::Map(n) => Ok(n),
            _ => Err(Error::WrongType {
                field,
                expected: "a map",
            }),
        }
    }

    pub(crate) fn array(&mut self, field: &'static str) -> Result<u64, Error> {
        match self.head()? {
            Head::Array(n) => Ok(n),
            _ => Err(Error::WrongType {
                field,
                expected: "an array",
            }),
        }
    }

    /// Skips one whole item (of any supported type).
    pub(crate) fn skip(&mut self) -> Result<(), Error> {
        self.skip_depth(0)
    }

    fn skip_depth(&mut self, depth: u32) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep);
        }
        match self.head()? {
            Head::Uint(_) | Head::Bool(_) | Head::Null => Ok(()),
            Head::Bytes(n) | Head::Text(n) => {
                let n = self.len(n)?;
                self.take(n).map(|_| ())
            }
            Head::Array(n) => {
                for _ in 0..n {
                    self.skip_depth(depth + 1)?;
                }
                Ok(())
            }
            Head::Map(n) => {
                for _ in 0..n {
                    self.skip_depth(depth + 1)?;
                    self.skip_depth(depth + 1)?;
                }
                Ok(())
            }
        }
    }
}

/// A canonical CBOR writer: shortest heads, definite lengths. Map keys are written in
/// the order the caller gives; the format fixes that order (see the format document).
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    fn head(&mut self, major: u8, arg: u64) {
        let m = major << 5;
        if arg < 24 {
            self.out.push(m | arg as u8);
        } else if arg <= 0xff {
            self.out.extend_from_slice(&[m | 24, arg as u8]);
        } else if arg <= 0xffff {
            self.out.push(m | 25);
            self.out.extend_from_slice(&(arg as u16).to_be_bytes());
        } else if arg <= 0xffff_ffff {
            self.out.push(m | 26);
            self.out.extend_from_slice(&(arg as u32).to_be_bytes());
        } else {
            self.out.push(m | 27);
            self.out.extend_from_slice(&arg.to_be_bytes());
        }
    }

    pub(crate) fn uint(&mut self, v: u64) {
        self.head(0, v);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.head(2, b.len() as u64);
        self.out.extend_from_slice(b);
    }

    pub(crate) fn text(&mut self, s: &str) {
        self.head(3, s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn array(&mut self, n: usize) {
        self.head(4, n as u64);
    }

    pub(crate) fn map(&mut self, n: usize) {
        self.head(5, n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_roundtrip_at_every_width() {
        for v in [
            0u64,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut w = Writer::default();
            w.uint(v);
            let mut r = Reader::new(&w.out);
            assert_eq!(r.uint("v").unwrap(), v);
            assert_eq!(r.pos(), w.out.len());
        }
    }

    #[test]
    fn rejects_indefinite_lengths_and_tags() {
        assert!(matches!(
            Reader::new(&[0x5f]).head(),
            Err(Error::UnsupportedCbor {
                what: "indefinite length",
                ..
            })
        ));
        assert!(matches!(
            Reader::new(&[0xc0]).head(),
            Err(Error::UnsupportedCbor { .. })
        ));
    }

    #[test]
    fn rejects_truncated_strings() {
        assert_eq!(
            Reader::new(&[0x45, 1, 2]).bytes("x"),
            Err(Error::Truncated { at: 1 })
        );
        assert_eq!(
            Reader::new(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).bytes("x"),
            Err(Error::Truncated { at: 9 })
        );
    }

    #[test]
    fn skip_refuses_deep_nesting() {
        let deep = [0x81u8; 64];
        assert_eq!(Reader::new(&deep).skip(), Err(Error::TooDeep));
    }
}
