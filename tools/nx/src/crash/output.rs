//! Serialize-only types of the `--json` output of `nx crash` (and of `export` to
//! `.json`), kept apart from the domain types so the JSON schema changes only on
//! purpose. Schemas and stability rules: docs/devx/nx-cli.md.
//!
//! Conventions: addresses are `"0x…"` strings; times are nanoseconds since the Unix
//! epoch (`*_ns`) plus an RFC 3339 UTC rendering; bytes that may not be UTF-8 are strings
//! when valid UTF-8, otherwise base64 under the same key with a `_b64` suffix (the one
//! rule, `nxcd::serialize_bytes_entry`).

use nxcd::serialize_bytes_entry;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::timefmt::rfc3339_nanos;
use nxcd::store::DumpFile;
use nxcd::symbolize::{MissingModule, ResolvedFrame};

/// Schema id of `nx crash ls --json`.
pub const LS_SCHEMA: &str = "nx.crash.ls/1";
/// Schema id of `nx crash show --json` and of `nx crash export --format json`.
pub const SHOW_SCHEMA: &str = "nx.crash.show/1";
/// Schema id of `nx crash purge --json`.
pub const PURGE_SCHEMA: &str = "nx.crash.purge/1";
/// Schema id of `nx crash grep --json`.
pub const GREP_SCHEMA: &str = "nx.crash.grep/1";

fn hex(v: u64) -> String {
    format!("{v:#x}")
}

/// One readable dump in a listing.
#[derive(Serialize)]
pub struct DumpSummary {
    id: String,
    file: String,
    size: u64,
    created_ns: u64,
    created: String,
    process: String,
    pid: u32,
    exit_code: i64,
    scause: u64,
    cause: Option<&'static str>,
    repeats: u64,
}

impl DumpSummary {
    /// The summary of a readable dump file.
    pub fn new(file: &DumpFile, h: &nxcd::Header) -> DumpSummary {
        DumpSummary {
            id: h.dump_id.to_string(),
            file: file.name.clone(),
            size: file.size,
            created_ns: h.created_ns,
            created: rfc3339_nanos(h.created_ns),
            process: h.process.clone(),
            pid: h.pid,
            exit_code: h.exit_code,
            scause: h.scause,
            cause: h.cause_name(),
            repeats: h.repeats.unwrap_or(0),
        }
    }
}

/// One unreadable dump file in a listing.
#[derive(Serialize)]
pub struct CorruptFile {
    file: String,
    size: u64,
    error: String,
}

impl CorruptFile {
    /// The entry for an unreadable file.
    pub fn new(file: &DumpFile, error: &str) -> CorruptFile {
        CorruptFile {
            file: file.name.clone(),
            size: file.size,
            error: error.to_string(),
        }
    }
}

/// `nx crash ls --json`.
#[derive(Serialize)]
pub struct LsOutput {
    schema: &'static str,
    dumps: Vec<DumpSummary>,
    corrupt: Vec<CorruptFile>,
}

impl LsOutput {
    /// The listing document.
    pub fn new(dumps: Vec<DumpSummary>, corrupt: Vec<CorruptFile>) -> LsOutput {
        LsOutput {
            schema: LS_SCHEMA,
            dumps,
            corrupt,
        }
    }
}

/// `header.json`, rendered.
#[derive(Serialize)]
struct HeaderOut {
    id: String,
    created_ns: u64,
    created: String,
    process: String,
    pid: u32,
    exit_code: i64,
    scause: u64,
    cause: Option<&'static str>,
    stval: String,
    pc: String,
    arch: String,
    build_id: String,
    os_version: Option<String>,
    repeats: u64,
    seq: Option<u64>,
    redacted: Vec<String>,
    logs_error: Option<String>,
}

#[derive(Serialize)]
struct RegisterOut {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct LocationOut {
    function: Option<String>,
    file: Option<String>,
    line: Option<u32>,
}

#[derive(Serialize)]
struct FrameOut {
    index: usize,
    pc: String,
    module: Option<String>,
    offset: Option<String>,
    link_addr: Option<String>,
    build_id: Option<String>,
    symbolized_by: &'static str,
    index_missing: bool,
    locations: Vec<LocationOut>,
}

#[derive(Serialize)]
struct MapOut {
    name: String,
    start: String,
    end: String,
    link_base: String,
    build_id: String,
}

/// A log record; byte fields use the string-or-`_b64` rule.
struct LogOut<'a>(&'a nxcd::LogRecord);

impl Serialize for LogOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("id", &r.record_id)?;
        map.serialize_entry("ts_ns", &r.timestamp_nsec)?;
        map.serialize_entry("time", &rfc3339_nanos(r.timestamp_nsec))?;
        map.serialize_entry("service_id", &r.service_id.0)?;
        map.serialize_entry("level", &(r.level as u8))?;
        map.serialize_entry("level_name", r.level.name())?;
        serialize_bytes_entry(&mut map, "scope", &r.scope)?;
        serialize_bytes_entry(&mut map, "message", &r.message)?;
        serialize_bytes_entry(&mut map, "fields", &r.fields)?;
        map.end()
    }
}

#[derive(Serialize)]
struct SpanOut {
    id: u64,
    parent: Option<u64>,
    name: String,
    start_ns: u64,
    end_ns: Option<u64>,
}

/// `nx crash show --json` (and `export --format json`): everything in one dump.
#[derive(Serialize)]
pub struct ShowOutput<'a> {
    schema: &'static str,
    file: String,
    size: u64,
    header: HeaderOut,
    registers: Option<Vec<RegisterOut>>,
    frames: Vec<FrameOut>,
    maps: Vec<MapOut>,
    logs: Option<Vec<LogOut<'a>>>,
    spans: Option<Vec<SpanOut>>,
}

impl<'a> ShowOutput<'a> {
    /// The document for `dump` (from file `file` of `size` bytes) with resolved frames.
    pub fn new(
        file: &str,
        size: u64,
        dump: &'a nxcd::Dump,
        frames: &[ResolvedFrame],
        missing: &[MissingModule],
    ) -> ShowOutput<'a> {
        let h = &dump.header;
        ShowOutput {
            schema: SHOW_SCHEMA,
            file: file.to_string(),
            size,
            header: HeaderOut {
                id: h.dump_id.to_string(),
                created_ns: h.created_ns,
                created: rfc3339_nanos(h.created_ns),
                process: h.process.clone(),
                pid: h.pid,
                exit_code: h.exit_code,
                scause: h.scause,
                cause: h.cause_name(),
                stval: hex(h.stval),
                pc: hex(h.pc),
                arch: h.arch.clone(),
                build_id: h.build_id.to_hex(),
                os_version: h.os_version.clone(),
                repeats: h.repeats.unwrap_or(0),
                seq: h.seq,
                redacted: h.redacted.clone().unwrap_or_default(),
                logs_error: h.logs_error.clone(),
            },
            registers: dump.regs.map(|regs| {
                regs.named()
                    .map(|(name, value)| RegisterOut {
                        name,
                        value: format!("{value:#018x}"),
                    })
                    .collect()
            }),
            frames: frames
                .iter()
                .enumerate()
                .map(|(index, f)| FrameOut {
                    index,
                    pc: hex(f.pc),
                    module: f.module.as_ref().map(|m| m.0.clone()),
                    offset: f.module.as_ref().map(|m| hex(m.1)),
                    link_addr: f.module.as_ref().map(|m| hex(m.2)),
                    build_id: f
                        .module
                        .as_ref()
                        .map(|m| m.3.to_hex())
                        .or_else(|| f.frame_build_id.as_ref().map(|b| b.to_hex())),
                    symbolized_by: f.origin.as_str(),
                    index_missing: missing.iter().any(|m| m.frames.contains(&index)),
                    locations: f
                        .locations
                        .iter()
                        .map(|l| LocationOut {
                            function: l.function.clone(),
                            file: l.file.clone(),
                            line: l.line,
                        })
                        .collect(),
                })
                .collect(),
            maps: dump
                .maps
                .iter()
                .map(|m| MapOut {
                    name: m.name.clone(),
                    start: hex(m.start),
                    end: hex(m.end),
                    link_base: hex(m.link_base),
                    build_id: m.build_id.to_hex(),
                })
                .collect(),
            logs: dump.logs.as_ref().map(|l| l.iter().map(LogOut).collect()),
            spans: dump.spans.as_ref().map(|spans| {
                spans
                    .iter()
                    .map(|s| SpanOut {
                        id: s.id,
                        parent: s.parent,
                        name: s.name.clone(),
                        start_ns: s.start_ns,
                        end_ns: s.end_ns,
                    })
                    .collect()
            }),
        }
    }
}

/// One dump removed (or to be removed) by purge.
#[derive(Serialize)]
pub struct PurgedOut {
    /// Dump id, or `null` for a corrupt file.
    pub id: Option<String>,
    /// File name.
    pub file: String,
    /// Size in bytes.
    pub size: u64,
    /// `"policy"` or `"corrupt"`.
    pub reason: &'static str,
}

/// `nx crash purge --json`.
#[derive(Serialize)]
pub struct PurgeOutput {
    schema: &'static str,
    dry_run: bool,
    removed: Vec<PurgedOut>,
    freed_bytes: u64,
    kept: usize,
    kept_bytes: u64,
}

impl PurgeOutput {
    /// The purge report.
    pub fn new(
        dry_run: bool,
        removed: Vec<PurgedOut>,
        kept: usize,
        kept_bytes: u64,
    ) -> PurgeOutput {
        let freed_bytes = removed.iter().map(|r| r.size).sum();
        PurgeOutput {
            schema: PURGE_SCHEMA,
            dry_run,
            removed,
            freed_bytes,
            kept,
            kept_bytes,
        }
    }
}

/// One grep match.
#[derive(Serialize)]
pub struct GrepMatch {
    /// Dump id.
    pub id: String,
    /// File name.
    pub file: String,
    /// `"process"`, `"frame"` or `"log"`.
    pub field: &'static str,
    /// Frame index or log record id; `null` for `"process"`.
    pub index: Option<u64>,
    /// The matching text (lossy UTF-8 for log messages).
    pub text: String,
}

/// `nx crash grep --json`.
#[derive(Serialize)]
pub struct GrepOutput {
    schema: &'static str,
    pattern: String,
    matches: Vec<GrepMatch>,
}

impl GrepOutput {
    /// The search report.
    pub fn new(pattern: &str, matches: Vec<GrepMatch>) -> GrepOutput {
        GrepOutput {
            schema: GREP_SCHEMA,
            pattern: pattern.to_string(),
            matches,
        }
    }
}
