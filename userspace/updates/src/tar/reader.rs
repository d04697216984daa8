//! A sans-IO streaming reader for the canonical ustar subset.
//!
//! Feed it input in chunks of any size with [`Reader::next`]; it returns how many bytes
//! it consumed and, when something happened, an [`Event`]. Member data is handed out as
//! slices of the caller's input (zero copy); only header and end blocks are buffered
//! (one 512-byte block), so memory does not grow with the archive.
//!
//! Every header must be byte for byte the header [`super::header`] writes for its name,
//! size and mtime, every member must carry the first member's mtime, padding must be
//! zero, the archive must end with exactly two zero blocks, and nothing may follow.
//! Errors name the member at fault; a header is checked in this order: checksum, type
//! (links and devices get their own errors), name (path traversal), then the remaining
//! fields against the canonical header.

use alloc::string::{String, ToString};

use super::{check_member_name, checksum, header, BLOCK, FIELDS};
use crate::Error;

/// A member header, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member's name.
    pub name: String,
    /// Length of its data in bytes.
    pub size: u64,
    /// Its modification time (the same for every member of an archive).
    pub mtime: u64,
    /// Byte offset of its header in the archive.
    pub offset: u64,
}

/// What the reader found in the input it consumed.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A canonical header: a member starts.
    Member(Member),
    /// The next bytes of the current member's data (a slice of the input).
    Data(&'a [u8]),
    /// The current member's data and padding are complete.
    MemberEnd,
    /// Both end blocks were read: the archive is complete.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a header block (or the first end block).
    Header,
    /// Passing through data; this many bytes remain.
    Data { remaining: u64, padding: usize },
    /// Checking zero padding; this many bytes remain.
    Padding { remaining: usize },
    /// Collecting the second end block.
    SecondEnd,
    /// The archive is complete.
    Done,
}

/// The streaming reader; see the module documentation.
#[derive(Debug, Clone)]
pub struct Reader {
    state: State,
    block: [u8; BLOCK],
    filled: usize,
    offset: u64,
    current: Option<String>,
    mtime: Option<u64>,
}

impl Default for Reader {
    fn default() -> Self {
        Self::new()
    }
}

impl Reader {
    /// A reader at the start of an archive.
    pub fn new() -> Self {
        Reader {
            state: State::Header,
            block: [0; BLOCK],
            filled: 0,
            offset: 0,
            current: None,
            mtime: None,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether both end blocks have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes a prefix of `input` and reports what it found. Returns `(0, None)` only
    /// for empty input. Call again with the rest of the input until it is used up.
    pub fn next<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<Event<'a>>), Error> {
        if input.is_empty() {
            return Ok((0, None));
        }
        match self.state {
            State::Done => Err(Error::TrailingData {
                offset: self.offset,
            }),
            State::Data { remaining, padding } => {
                let take = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                let (data, _) = input.split_at(take);
                self.offset += take as u64;
                let remaining = remaining - take as u64;
                self.state = if remaining > 0 {
                    State::Data { remaining, padding }
                } else {
                    State::Padding { remaining: padding }
                };
                Ok((take, Some(Event::Data(data))))
            }
            State::Padding { remaining } => {
                let take = remaining.min(input.len());
                let (pad, _) = input.split_at(take);
                if pad.iter().any(|b| *b != 0) {
                    return Err(Error::NonZeroPadding {
                        entry: self.current_name(),
                    });
                }
                self.offset += take as u64;
                if take < remaining {
                    self.state = State::Padding {
                        remaining: remaining - take,
                    };
                    Ok((take, None))
                } else {
                    self.state = State::Header;
                    Ok((take, Some(Event::MemberEnd)))
                }
            }
            State::Header | State::SecondEnd => {
                let take = (BLOCK - self.filled).min(input.len());
                let (part, _) = input.split_at(take);
                if let Some(dst) = self.block.get_mut(self.filled..self.filled + take) {
                    dst.copy_from_slice(part);
                }
                self.filled += take;
                self.offset += take as u64;
                if self.filled < BLOCK {
                    return Ok((take, None));
                }
                self.filled = 0;
                let block_offset = self.offset - BLOCK as u64;
                let event = if self.state == State::SecondEnd {
                    if self.block.iter().any(|b| *b != 0) {
                        return Err(Error::BadEndBlock {
                            offset: block_offset,
                        });
                    }
                    self.state = State::Done;
                    Event::End
                } else if self.block.iter().all(|b| *b == 0) {
                    self.current = None;
                    self.state = State::SecondEnd;
                    return Ok((take, None));
                } else {
                    let member = self.parse_header(block_offset)?;
                    let padding = super::padding_len(member.size);
                    self.state = if member.size > 0 {
                        State::Data {
                            remaining: member.size,
                            padding,
                        }
                    } else {
                        State::Padding { remaining: 0 }
                    };
                    // An empty member goes straight to its (empty) padding, which
                    // reports its end on the next call.
                    self.current = Some(member.name.clone());
                    Event::Member(member)
                };
                Ok((take, Some(event)))
            }
        }
    }

    /// Checks that the input ended exactly after the second end block.
    pub fn finish(&self) -> Result<(), Error> {
        if self.state == State::Done {
            return Ok(());
        }
        let entry = match (&self.state, &self.current) {
            (State::Data { .. } | State::Padding { .. }, Some(name)) => name.clone(),
            _ if self.filled > 0 && self.state == State::Header => String::from("a member header"),
            _ => String::from("end blocks"),
        };
        Err(Error::Truncated {
            entry,
            offset: self.offset,
        })
    }

    fn current_name(&self) -> String {
        self.current.clone().unwrap_or_default()
    }

    fn parse_header(&mut self, offset: u64) -> Result<Member, Error> {
        let block = &self.block;
        // 1. Checksum, so a damaged header is reported as such.
        let stored = parse_octal(&block[148..156]);
        if stored != Some(u64::from(checksum(block))) {
            return Err(Error::HeaderChecksum { offset });
        }
        // 2. Name (needed to name the member in every later error).
        let name_field = &block[0..100];
        let len = name_field
            .iter()
            .position(|b| *b == 0)
            .ok_or(Error::EntryName { offset })?;
        let name = core::str::from_utf8(&name_field[..len])
            .map_err(|_| Error::EntryName { offset })?
            .to_string();
        // 3. Type: only regular files.
        match block[156] {
            b'0' => {}
            b'1' | b'2' => return Err(Error::LinkEntry { entry: name }),
            b'3' | b'4' | b'6' => return Err(Error::DeviceEntry { entry: name }),
            other => {
                return Err(Error::UnsupportedEntryType {
                    entry: name,
                    typeflag: other,
                })
            }
        }
        // 4. A plain file name (the prefix field joins the name in ustar).
        let prefix = &block[345..500];
        if prefix.iter().any(|b| *b != 0) {
            return Err(Error::PathTraversal {
                entry: prefix_name(prefix, &name),
            });
        }
        check_member_name(&name)?;
        // 5. Every other field is what the writer puts there.
        let non_canonical = |field| Error::NonCanonicalHeader {
            entry: name.clone(),
            field,
        };
        let size = parse_octal(&block[124..136]).ok_or_else(|| non_canonical("size"))?;
        let mtime = parse_octal(&block[136..148]).ok_or_else(|| non_canonical("mtime"))?;
        let expected = header(&name, size, mtime)?;
        // The checksum covers every byte, so it is compared last: the error names the
        // field that actually differs.
        let differs = |(_, at, len): &&(&str, usize, usize)| {
            block.get(*at..at + len) != expected.get(*at..at + len)
        };
        let other = FIELDS
            .iter()
            .filter(|(f, _, _)| *f != "chksum")
            .find(differs);
        let chksum = FIELDS
            .iter()
            .filter(|(f, _, _)| *f == "chksum")
            .find(differs);
        if let Some((field, _, _)) = other.or(chksum) {
            return Err(non_canonical(field));
        }
        match self.mtime {
            None => self.mtime = Some(mtime),
            Some(first) if first != mtime => return Err(non_canonical("mtime")),
            Some(_) => {}
        }
        Ok(Member {
            name,
            size,
            mtime,
            offset,
        })
    }
}

/// Parses an octal field: digits, then NUL or space terminators only.
fn parse_octal(field: &[u8]) -> Option<u64> {
    let end = field
        .iter()
        .position(|b| *b == 0 || *b == b' ')
        .unwrap_or(field.len());
    let (digits, rest) = field.split_at(end);
    if digits.is_empty() || rest.iter().any(|b| *b != 0 && *b != b' ') {
        return None;
    }
    let mut value: u64 = 0;
    for d in digits {
        if !(b'0'..=b'7').contains(d) {
            return None;
        }
        value = value.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(value)
}

fn prefix_name(prefix: &[u8], name: &str) -> String {
    let len = prefix.iter().position(|b| *b == 0).unwrap_or(prefix.len());
    let mut s = String::from_utf8_lossy(&prefix[..len]).into_owned();
    s.push('/');
    s.push_str(name);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tar::{header, padding_len, END_BLOCKS};
    use alloc::vec;
    use alloc::vec::Vec;

    fn archive(members: &[(&str, &[u8])], mtime: u64) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in members {
            out.extend_from_slice(&header(name, data.len() as u64, mtime).unwrap());
            out.extend_from_slice(data);
            out.resize(out.len() + padding_len(data.len() as u64), 0);
        }
        out.extend_from_slice(&END_BLOCKS);
        out
    }

    /// Feeds `bytes` in chunks of `chunk` and collects (members, data) or the error.
    fn read_all(bytes: &[u8], chunk: usize) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let mut r = Reader::new();
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        for mut piece in bytes.chunks(chunk) {
            while !piece.is_empty() {
                let (n, ev) = r.next(piece)?;
                piece = &piece[n..];
                match ev {
                    Some(Event::Member(m)) => out.push((m.name, Vec::new())),
                    Some(Event::Data(d)) => out.last_mut().unwrap().1.extend_from_slice(d),
                    _ => {}
                }
            }
        }
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn reads_members_in_any_chunking() {
        let data = archive(
            &[("a.nxb", b"hello"), ("empty", b""), ("b.nxb", &[7; 1024])],
            5,
        );
        for chunk in [1, 7, 511, 512, 513, 4096] {
            let got = read_all(&data, chunk).unwrap();
            assert_eq!(got.len(), 3);
            assert_eq!(got[0], ("a.nxb".into(), b"hello".to_vec()));
            assert_eq!(got[1].1.len(), 0);
            assert_eq!(got[2].1, vec![7; 1024]);
        }
    }

    #[test]
    fn rejects_truncation_anywhere() {
        let data = archive(&[("a.nxb", b"hello")], 0);
        for len in 0..data.len() {
            assert!(
                matches!(read_all(&data[..len], 100), Err(Error::Truncated { .. })),
                "length {len}"
            );
        }
    }

    #[test]
    fn rejects_trailing_data_and_bad_end_block() {
        let mut data = archive(&[("a", b"x")], 0);
        data.push(0);
        assert!(matches!(
            read_all(&data, 64),
            Err(Error::TrailingData { .. })
        ));
        let mut data = archive(&[("a", b"x")], 0);
        let last = data.len() - 1;
        data[last] = 1;
        assert!(matches!(
            read_all(&data, 64),
            Err(Error::BadEndBlock { .. })
        ));
    }

    #[test]
    fn rejects_nonzero_padding() {
        let mut data = archive(&[("a", b"x")], 0);
        data[512 + 1] = 1;
        assert_eq!(
            read_all(&data, 64),
            Err(Error::NonZeroPadding { entry: "a".into() })
        );
    }

    #[test]
    fn rejects_differing_mtimes() {
        let mut data = archive(&[("a", b"x")], 1);
        let second = archive(&[("b", b"y")], 2);
        data.truncate(1024);
        data.extend_from_slice(&second);
        assert_eq!(
            read_all(&data, 512),
            Err(Error::NonCanonicalHeader {
                entry: "b".into(),
                field: "mtime"
            })
        );
    }

    #[test]
    fn parses_octal_strictly() {
        assert_eq!(parse_octal(b"0000644\0"), Some(0o644));
        assert_eq!(parse_octal(b"000064 \0"), Some(0o64));
        assert_eq!(parse_octal(b"0008\0"), None);
        assert_eq!(parse_octal(b"\0\0"), None);
        assert_eq!(parse_octal(b"01\x001"), None);
    }
}
