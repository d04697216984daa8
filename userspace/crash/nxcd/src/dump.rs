//! A whole dump: the typed sections, and the deterministic writer and the reader that
//! turn a [`Dump`] into `.nxcd` bytes and back.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::container::{self, Container, Limits, FORMAT_MAJOR};
use crate::error::Error;
use crate::frames::Frame;
use crate::header::{Header, HeaderIn, HeaderOut};
use crate::logs::{LogLine, LogLineOwned, LogRecord};
use crate::maps::{link_address, LinkAddress, MapEntry};
use crate::regs::Registers;
use crate::section::SectionName;
use crate::spans::Span;
use crate::strict::Checked;

/// A crash dump: every section, typed. Optional sections are `None` when absent (an
/// empty list is a present, empty section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    /// `header.json`.
    pub header: Header,
    /// `frames.json`, innermost first.
    pub frames: Vec<Frame>,
    /// `maps.json`.
    pub maps: Vec<MapEntry>,
    /// `logs.jsonl`, in journal order.
    pub logs: Option<Vec<LogRecord>>,
    /// `spans.jsonl`.
    pub spans: Option<Vec<Span>>,
    /// `regs.bin`.
    pub regs: Option<Registers>,
}

/// Turns a serde_json error into [`Error::InvalidJson`] for `section`, with the line
/// offset by `line_base` (for JSON lines, where each line is parsed on its own).
fn json_error(section: SectionName, err: &serde_json::Error, line_base: u64) -> Error {
    let line = err.line() as u64;
    let column = err.column() as u64;
    let mut message = err.to_string();
    let suffix = alloc::format!(" at line {line} column {column}");
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message = String::from(stripped);
    }
    Error::InvalidJson {
        section,
        line: if line == 0 { 0 } else { line + line_base },
        column,
        message,
    }
}

/// Parses one JSON value: first the rules of [`crate::strict`] over the whole value, then
/// its type.
fn parse_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice::<Checked>(bytes)?;
    serde_json::from_slice(bytes)
}

fn parse_json<T: DeserializeOwned>(section: SectionName, bytes: &[u8]) -> Result<T, Error> {
    parse_value(bytes).map_err(|e| json_error(section, &e, 0))
}

/// Parses JSON lines: each line (terminated by `\n`, the last one optionally not) is one
/// value; empty lines are errors. JSON whitespace around a line's value is allowed, so a
/// CR before the LF is too.
fn parse_jsonl<T: DeserializeOwned>(section: SectionName, bytes: &[u8]) -> Result<Vec<T>, Error> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (index, line) in body.split(|&b| b == b'\n').enumerate() {
        let line_no = index as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::InvalidJson {
                section,
                line: line_no,
                column: 1,
                message: String::from("empty line"),
            });
        }
        let value = parse_value(line).map_err(|e| match json_error(section, &e, index as u64) {
            // An error the decoder could not place is still on this line.
            Error::InvalidJson {
                line: 0,
                column,
                message,
                ..
            } => Error::InvalidJson {
                section,
                line: line_no,
                column,
                message,
            },
            other => other,
        })?;
        out.push(value);
    }
    Ok(out)
}

fn to_json<T: Serialize + ?Sized>(section: SectionName, value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::Encode {
        section,
        message: e.to_string(),
    })
}

fn to_jsonl<T: Serialize>(section: SectionName, values: &[T]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for value in values {
        out.extend_from_slice(&to_json(section, value)?);
        out.push(b'\n');
    }
    Ok(out)
}

impl Dump {
    /// Encodes the dump with the default [`Limits`].
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        self.encode_with_limits(&Limits::DEFAULT)
    }

    /// Encodes the dump: same dump, same bytes. Sections are written in canonical order,
    /// absent optional sections are left out, and every bound in `limits` is enforced.
    pub fn encode_with_limits(&self, limits: &Limits) -> Result<Vec<u8>, Error> {
        self.header.check()?;
        let header = to_json(
            SectionName::Header,
            &HeaderOut::new(&self.header, FORMAT_MAJOR),
        )?;
        let frames = to_json(SectionName::Frames, &self.frames)?;
        let maps = to_json(SectionName::Maps, &self.maps)?;
        let logs = match &self.logs {
            Some(logs) => {
                let lines: Vec<LogLine<'_>> = logs.iter().map(LogLine).collect();
                Some(to_jsonl(SectionName::Logs, &lines)?)
            }
            None => None,
        };
        let spans = match &self.spans {
            Some(spans) => Some(to_jsonl(SectionName::Spans, spans)?),
            None => None,
        };
        let regs = self.regs.map(|r| r.encode());
        let mut sections: Vec<(SectionName, &[u8])> = Vec::with_capacity(6);
        sections.push((SectionName::Header, &header));
        sections.push((SectionName::Frames, &frames));
        sections.push((SectionName::Maps, &maps));
        if let Some(logs) = &logs {
            sections.push((SectionName::Logs, logs));
        }
        if let Some(spans) = &spans {
            sections.push((SectionName::Spans, spans));
        }
        if let Some(regs) = &regs {
            sections.push((SectionName::Regs, regs));
        }
        container::build(&sections, limits)
    }

    /// Decodes a dump with the default [`Limits`].
    pub fn decode(bytes: &[u8]) -> Result<Dump, Error> {
        Dump::decode_with_limits(bytes, &Limits::DEFAULT)
    }

    /// Decodes a dump. Never panics; any defect is a typed [`Error`].
    pub fn decode_with_limits(bytes: &[u8], limits: &Limits) -> Result<Dump, Error> {
        let container = Container::parse(bytes, limits)?;
        Dump::from_container(&container)
    }

    /// Decodes the sections of an already checked container.
    pub fn from_container(container: &Container<'_>) -> Result<Dump, Error> {
        let required = |s: SectionName| {
            container
                .section(s)
                .ok_or(Error::MissingSection { section: s })
        };
        let header_in: HeaderIn = parse_json(SectionName::Header, required(SectionName::Header)?)?;
        if header_in.format_version != u64::from(FORMAT_MAJOR) {
            return Err(Error::VersionMismatch {
                header_json: header_in.format_version,
                binary: FORMAT_MAJOR,
            });
        }
        header_in.header.check()?;
        let frames = parse_json(SectionName::Frames, required(SectionName::Frames)?)?;
        let maps = parse_json(SectionName::Maps, required(SectionName::Maps)?)?;
        let logs = match container.section(SectionName::Logs) {
            Some(bytes) => Some(
                parse_jsonl::<LogLineOwned>(SectionName::Logs, bytes)?
                    .into_iter()
                    .map(|line| line.0)
                    .collect(),
            ),
            None => None,
        };
        let spans = match container.section(SectionName::Spans) {
            Some(bytes) => Some(parse_jsonl(SectionName::Spans, bytes)?),
            None => None,
        };
        let regs = match container.section(SectionName::Regs) {
            Some(bytes) => Some(Registers::decode(bytes)?),
            None => None,
        };
        Ok(Dump {
            header: header_in.header,
            frames,
            maps,
            logs,
            spans,
            regs,
        })
    }

    /// Where a runtime pc lands in this dump's modules; see [`link_address`].
    pub fn link_address(&self, pc: u64) -> Option<LinkAddress<'_>> {
        link_address(&self.maps, pc)
    }
}
