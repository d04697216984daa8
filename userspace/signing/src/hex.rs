//! Lowercase hex encoding and strict decoding of fixed-size key material.

use alloc::string::String;

use crate::{Error, KeyKind};

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Encodes bytes as lowercase hex (how keys, signatures and digests are shown).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Writes bytes as lowercase hex into a formatter, without allocating.
pub(crate) fn write(f: &mut core::fmt::Formatter<'_>, bytes: &[u8]) -> core::fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

const fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes exactly `N` bytes from `text`: `2·N` hex digits (either case), optionally
/// followed by ASCII whitespace (a trailing newline in a key file). Leading whitespace
/// and anything else is refused.
pub(crate) fn decode<const N: usize>(text: &[u8], kind: KeyKind) -> Result<[u8; N], Error> {
    let trimmed = text.trim_ascii_end();
    if trimmed.len() != 2 * N {
        return Err(Error::HexLength {
            kind,
            expected: 2 * N,
            found: trimmed.len(),
        });
    }
    let mut out = [0u8; N];
    for (i, pair) in trimmed.chunks_exact(2).enumerate() {
        let hi = digit(pair[0]).ok_or(Error::HexDigit {
            kind,
            offset: 2 * i,
        })?;
        let lo = digit(pair[1]).ok_or(Error::HexDigit {
            kind,
            offset: 2 * i + 1,
        })?;
        if let Some(slot) = out.get_mut(i) {
            *slot = (hi << 4) | lo;
        }
    }
    Ok(out)
}

/// Compile-time decoding of a committed public key file (64 hex digits and a newline).
/// A malformed file is a compile error, never a runtime failure.
pub(crate) const fn decode_const_32(text: &str) -> [u8; 32] {
    let bytes = text.as_bytes();
    let mut len = bytes.len();
    while len > 0 && bytes[len - 1].is_ascii_whitespace() {
        len -= 1;
    }
    assert!(len == 64, "a committed public key must be 64 hex digits");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        let hi = match digit(bytes[2 * i]) {
            Some(d) => d,
            None => panic!("a committed public key must be hex"),
        };
        let lo = match digit(bytes[2 * i + 1]) {
            Some(d) => d,
            None => panic!("a committed public key must be hex"),
        };
        out[i] = (hi << 4) | lo;
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_and_accepts_trailing_newline() {
        let bytes: [u8; 4] = [0x00, 0xab, 0x7f, 0xff];
        let text = encode(&bytes);
        assert_eq!(text, "00ab7fff");
        assert_eq!(decode::<4>(b"00AB7fff\n", KeyKind::Public), Ok(bytes));
    }

    #[test]
    fn rejects_wrong_length_and_bad_digits() {
        assert_eq!(
            decode::<4>(b"00ab7f", KeyKind::Public),
            Err(Error::HexLength {
                kind: KeyKind::Public,
                expected: 8,
                found: 6
            })
        );
        assert_eq!(
            decode::<4>(b"00ab7fzf", KeyKind::Private),
            Err(Error::HexDigit {
                kind: KeyKind::Private,
                offset: 6
            })
        );
        assert!(decode::<4>(b" 00ab7ff", KeyKind::Public).is_err());
    }
}
