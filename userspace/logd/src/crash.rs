//! Crash reports (crash.v1), as execd emits them when a supervised process exits with a
//! non-zero code; the OS's execd and the host share this builder.
//!
//! From an exit event and the recent journal records, [`CrashReport::build`] produces:
//!
//! - the marker line and record message, exactly
//!   `execd: crash report pid=<pid> code=<code> name=<name>`;
//! - a record for logd: scope `execd`, level error, that message, and the fields (sorted
//!   `key=value` lines) `code`, `event=crash.v1`, `name`, `pid`, `recent_count`,
//!   `recent_window_nsec`, plus `build_id` and `dump_path` when the event carries them
//!   (a fault whose dump crashd wrote), and `functions` when crashd symbolized the
//!   dump's frames on the device: each frame's function names, innermost first, a
//!   frame's inlined chain joined by `<` ("inlined into"), frames joined by `;`.
//!
//! `recent_count` is the number of records the report considered: those stamped within
//! `[now - window, now]` (and, when the event names the process's service id, only that
//! service's), at most `max_records` of the newest. `recent_window_nsec` is the window.
//! The name is made safe for a one-line marker and bounded: control characters become
//! `?` and it is cut to 64 bytes at a character boundary. Same inputs, same bytes.
//!
//! The optional values never break the 512-byte `fields` cap, and are never dropped
//! silently: control characters become `?`; `build_id` is cut to [`MAX_BUILD_ID_LEN`]
//! bytes; then, if the pairs would still exceed the cap, `dump_path` is cut (at a
//! character boundary) to what remains, and then `functions` to what remains after it
//! (a `dump_path` that must be cut leaves room for an empty `functions`, which is then
//! cut too). Every value cut this way is named, in key order and comma-separated, by one
//! more pair, `truncated=build_id,dump_path,functions` (or those of them that were cut),
//! whose length is reserved before a value is cut. With the bounded name the fixed pairs
//! take at most 184 bytes, so `dump_path` always keeps at least 200; a dump path as
//! crashd writes it (at most 81 bytes) leaves `functions` at least 180.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::fields::Fields;
use crate::record::{Entry, RecordView};
use crate::wire::{Level, ServiceId, MAX_FIELDS_LEN};

/// The scope of crash records.
pub const CRASH_SCOPE: &str = "execd";
/// The value of the `event` field.
pub const CRASH_EVENT: &str = "crash.v1";
/// Longest process name kept, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest `build_id` value kept, in bytes (a 32-byte build-id in hex).
pub const MAX_BUILD_ID_LEN: usize = 64;
/// The key naming the values cut to fit the cap (see the module documentation).
pub const TRUNCATED_KEY: &str = "truncated";

/// A supervised process's exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitEvent<'a> {
    /// Process id.
    pub pid: u32,
    /// Exit code (`-(scause + 1)` for a fault).
    pub code: i64,
    /// Service or bundle name.
    pub name: &'a str,
    /// The process's service id, when the supervisor knows it: only its records count.
    pub service_id: Option<ServiceId>,
    /// The build-id of the program (module 0 of its fault record), lowercase hex.
    pub build_id: Option<&'a str>,
    /// Where its crash dump is (`state:/crash/<id>.nxcd`), once crashd wrote one.
    pub dump_path: Option<&'a str>,
    /// The dump's frames as crashd symbolized them (`fn<inlined-into;next-frame...`).
    pub functions: Option<&'a str>,
}

/// How much recent history a report considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashPolicy {
    /// Window before the exit, in nanoseconds.
    pub window_nsec: u64,
    /// Most records considered.
    pub max_records: u16,
}

impl CrashPolicy {
    /// The last 10 seconds, at most 16 records (one QUERY's worth).
    pub const DEFAULT: CrashPolicy = CrashPolicy {
        window_nsec: 10_000_000_000,
        max_records: 16,
    };
}

impl Default for CrashPolicy {
    fn default() -> CrashPolicy {
        CrashPolicy::DEFAULT
    }
}

/// A built crash report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashReport {
    /// The marker line, which is also the record's message.
    pub message: String,
    /// The encoded crash.v1 fields.
    pub fields: Vec<u8>,
    /// Ids of the records considered, oldest first.
    pub recent_record_ids: Vec<u64>,
}

/// Makes a name one-line and bounded (see the module documentation).
pub fn sanitize_name(name: &str) -> String {
    one_line(name, MAX_NAME_LEN).0
}

/// `text` with control characters as `?`, cut to at most `max` bytes at a character
/// boundary; and whether it was cut.
fn one_line(text: &str, max: usize) -> (String, bool) {
    let mut out = String::new();
    for c in text.chars() {
        let c = if c.is_control() { '?' } else { c };
        if out.len() + c.len_utf8() > max {
            return (out, true);
        }
        out.push(c);
    }
    (out, false)
}

/// Adds the optional `build_id`, `dump_path` and `functions` of `event` to `fields` under
/// the cap, by the rule of the module documentation.
fn insert_artifacts(fields: &mut Fields, event: &ExitEvent<'_>) -> Option<()> {
    let mut cut: Vec<&str> = Vec::new();
    if let Some(id) = event.build_id {
        let (id, was_cut) = one_line(id, MAX_BUILD_ID_LEN);
        if was_cut {
            cut.push("build_id");
        }
        fields.insert("build_id", &id).ok()?;
    }
    let cuttable = [
        ("dump_path", event.dump_path),
        ("functions", event.functions),
    ];
    for (i, &(key, value)) in cuttable.iter().enumerate() {
        let Some(value) = value else { continue };
        let (whole, _) = one_line(value, usize::MAX);
        // The values after this one, present in the event.
        let later: Vec<&str> = cuttable[i + 1..]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| *k)
            .collect();
        // `\n<key>=` and the value after what is there, the `truncated` pair naming
        // `cut`, and, when `reserve_later`, an empty pair of each later value, cut too.
        let room = |fields: &Fields, cut: &[&str], reserve_later: bool| {
            let mut used = fields.encoded_len() + 1 + key.len() + 1;
            let mut named: Vec<&str> = cut.to_vec();
            if reserve_later {
                used += later.iter().map(|k| 1 + k.len() + 1).sum::<usize>();
                named.extend(&later);
            }
            if !named.is_empty() {
                used += 1 + TRUNCATED_KEY.len() + 1 + named.join(",").len();
            }
            MAX_FIELDS_LEN.saturating_sub(used)
        };
        let value = if whole.len() <= room(fields, &cut, false) {
            whole
        } else {
            cut.push(key);
            one_line(&whole, room(fields, &cut, true)).0
        };
        fields.insert(key, &value).ok()?;
    }
    if !cut.is_empty() {
        fields.insert(TRUNCATED_KEY, &cut.join(",")).ok()?;
    }
    Some(())
}

impl CrashReport {
    /// Builds the report for `event` at time `now_nsec` from `records` (any order of
    /// records is accepted; those outside the window are ignored). Returns `None` for a
    /// clean exit (code 0).
    pub fn build<'r, I>(
        event: &ExitEvent<'_>,
        now_nsec: u64,
        policy: CrashPolicy,
        records: I,
    ) -> Option<CrashReport>
    where
        I: IntoIterator<Item = RecordView<'r>>,
    {
        if event.code == 0 {
            return None;
        }
        let name = sanitize_name(event.name);
        let since = now_nsec.saturating_sub(policy.window_nsec);
        let mut recent: Vec<u64> = records
            .into_iter()
            .filter(|r| r.timestamp_nsec >= since && r.timestamp_nsec <= now_nsec)
            .filter(|r| event.service_id.is_none_or(|s| r.service_id == s))
            .map(|r| r.record_id)
            .collect();
        recent.sort_unstable();
        recent.dedup();
        let keep = usize::from(policy.max_records);
        if recent.len() > keep {
            recent.drain(..recent.len() - keep);
        }
        let message = format!(
            "execd: crash report pid={} code={} name={}",
            event.pid, event.code, name
        );
        let mut fields = Fields::new();
        let pairs = [
            ("event", String::from(CRASH_EVENT)),
            ("pid", format!("{}", event.pid)),
            ("code", format!("{}", event.code)),
            ("name", name),
            ("recent_window_nsec", format!("{}", policy.window_nsec)),
            ("recent_count", format!("{}", recent.len())),
        ];
        for (key, value) in &pairs {
            // Keys are constants of the convention; the name has no newline.
            fields.insert(key, value).ok()?;
        }
        insert_artifacts(&mut fields, event)?;
        Some(CrashReport {
            message,
            fields: fields.encode().ok()?,
            recent_record_ids: recent,
        })
    }

    /// Builds the report from the records a journal holds.
    pub fn from_journal(
        event: &ExitEvent<'_>,
        now_nsec: u64,
        policy: CrashPolicy,
        journal: &crate::Journal,
    ) -> Option<CrashReport> {
        let since = now_nsec.saturating_sub(policy.window_nsec);
        CrashReport::build(event, now_nsec, policy, journal.records_since(since))
    }

    /// The record to APPEND to logd (scope `execd`, level error). The bounded name keeps
    /// the message under 256 bytes and the fields under 512.
    pub fn entry(&self) -> Entry<'_> {
        Entry::within_caps(
            Level::Error,
            CRASH_SCOPE.as_bytes(),
            self.message.as_bytes(),
            &self.fields,
        )
    }
}
