//! Hex text of key material, on the `hex` crate: lowercase encoding, and strict decoding
//! of fixed-size keys with errors that name the offending character. A private key is
//! decoded in constant time (`base16ct`): how long decoding takes says nothing about the
//! seed's digits.

use alloc::string::String;

use crate::{Error, KeyKind};

/// Encodes bytes as lowercase hex (how keys, signatures and digests are shown).
pub fn encode(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// Writes bytes as lowercase hex into a formatter.
pub(crate) fn write(f: &mut core::fmt::Formatter<'_>, bytes: &[u8]) -> core::fmt::Result {
    f.write_str(&encode(bytes))
}

/// The digits of a key file without the trailing ASCII whitespace a file may end with;
/// anything but exactly `2·N` characters is refused.
fn digits<const N: usize>(text: &[u8], kind: KeyKind) -> Result<&[u8], Error> {
    let trimmed = text.trim_ascii_end();
    if trimmed.len() != 2 * N {
        return Err(Error::HexLength {
            kind,
            expected: 2 * N,
            found: trimmed.len(),
        });
    }
    Ok(trimmed)
}

/// The error for text that did not decode: names the first character that is not a hex
/// digit. Only reached once decoding has failed, so scanning in variable time reveals
/// nothing about a valid key.
fn bad_digit(digits: &[u8], kind: KeyKind) -> Error {
    let offset = digits
        .iter()
        .position(|c| !c.is_ascii_hexdigit())
        .unwrap_or(0);
    Error::HexDigit { kind, offset }
}

/// Decodes exactly `N` bytes of public material from `text`: `2·N` hex digits (either
/// case), optionally followed by ASCII whitespace (a trailing newline in a key file).
/// Leading whitespace and anything else is refused.
pub(crate) fn decode<const N: usize>(text: &[u8], kind: KeyKind) -> Result<[u8; N], Error> {
    let digits = digits::<N>(text, kind)?;
    let mut out = [0u8; N];
    ::hex::decode_to_slice(digits, &mut out).map_err(|_| bad_digit(digits, kind))?;
    Ok(out)
}

/// [`decode`] in constant time, for secret material (a private key's seed).
pub(crate) fn decode_secret<const N: usize>(text: &[u8], kind: KeyKind) -> Result<[u8; N], Error> {
    let digits = digits::<N>(text, kind)?;
    let mut out = [0u8; N];
    match base16ct::mixed::decode(digits, &mut out) {
        Ok(_) => Ok(out),
        Err(_) => {
            zeroize::Zeroize::zeroize(&mut out);
            Err(bad_digit(digits, kind))
        }
    }
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
        assert_eq!(
            decode_secret::<4>(b"00AB7fff\n", KeyKind::Private),
            Ok(bytes)
        );
    }

    #[test]
    fn rejects_wrong_length_and_bad_digits() {
        for decoder in [decode::<4>, decode_secret::<4>] {
            assert_eq!(
                decoder(b"00ab7f", KeyKind::Public),
                Err(Error::HexLength {
                    kind: KeyKind::Public,
                    expected: 8,
                    found: 6
                })
            );
            assert_eq!(
                decoder(b"00ab7fzf", KeyKind::Private),
                Err(Error::HexDigit {
                    kind: KeyKind::Private,
                    offset: 6
                })
            );
            assert_eq!(
                decoder(b"00ab7f+f", KeyKind::Private),
                Err(Error::HexDigit {
                    kind: KeyKind::Private,
                    offset: 6
                })
            );
            assert!(decoder(b" 00ab7ff", KeyKind::Public).is_err());
        }
    }
}
