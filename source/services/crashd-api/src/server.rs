//! crashd's request handler, sans-IO: the service gives it the request, the sender's
//! id (the kernel stamped it) with the boot manifest, the store (statefsd in the OS, a
//! map in host tests) and logd (a [`LogSource`]), and gets back the reply and the lines
//! to print, so the host tests drive the code crashd runs. [`Crashd`] holds what crashd
//! keeps between requests: the budget and its index of the stored dumps.
//!
//! Invariants:
//! - the line `crashd: dump written (id=<id> bytes=<n>)` is returned only after
//!   [`DumpStore::write`] returned ok (statefsd's `Commit`), and the reply names that
//!   dump; a dump not stored is an error reply and a line saying why, never silence;
//! - retention: after a `Submit` or a `Budget`, the dumps kept in `crash/` total at most
//!   the budget ([`DEFAULT_BUDGET`] unless a supervisor set another), by
//!   `nxcd::plan_gc` with `max_bytes`, the plan `nx crash purge` uses, over the dumps
//!   ordered by crashd's sequence number (`seq`, fed to the plan as the creation time:
//!   fault times count from kernel start, so two boots' times do not order dumps); a
//!   dump larger than the budget alone is refused (`OverBudget`), never stored to be
//!   deleted;
//! - repeats: a crash with the build-id and fault pc of a stored dump is counted in that
//!   dump's `repeats` (the dump is rewritten whole, with a new `seq`) up to
//!   [`MAX_REPEATS`]; later ones are counted in crashd's memory and said on the UART.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Debug;

use abi::{FaultRecord, ServiceId, SysError};
use initrd::manifest::Manifest;
use nxcd::{plan_gc, BuildId, Dump, GcEntry, GcPolicy};

use crate::dump::{self, Extras};
use crate::logs::{self, LogSource};
use crate::redact::Redaction;
use crate::symbols::{functions_of, Symbols};
use crate::{
    dump_path, may_submit, reply, CrashCode, Error, Listed, Listing, Op, Stored, Submission,
    DUMP_DIR,
};

/// The byte budget of `crash/` unless a supervisor sets another: 256 KiB, a quarter of
/// the 1 MiB state partition (tens of dumps of a few KiB each).
pub const DEFAULT_BUDGET: u64 = 256 * 1024;
/// Most repeats a stored dump counts (each one rewrites it); later repeats are counted
/// in crashd's memory only and said on the UART, so a crash loop does not wear the
/// flash.
pub const MAX_REPEATS: u64 = 64;
/// Largest dump crashd reads back (statefsd's largest file).
pub const MAX_DUMP_READ: u64 = 256 * 1024;

/// Where dumps are stored: files of `state:`, each written whole or not at all.
pub trait DumpStore {
    /// Why a store request failed (printed, never sent).
    type Error: Debug;
    /// Replaces (or creates) the file at `path` with `bytes`, whole or not at all.
    fn write(&mut self, path: &str, bytes: &[u8]) -> Result<(), Self::Error>;
    /// The size of the file at `path`; `None` when there is no such file.
    fn size(&mut self, path: &str) -> Result<Option<u64>, Self::Error>;
    /// The files of the directory `dir` (name, size); empty when it does not exist.
    fn list(&mut self, dir: &str) -> Result<Vec<(String, u64)>, Self::Error>;
    /// The whole file at `path`, at most `max` bytes.
    fn read(&mut self, path: &str, max: u64) -> Result<Vec<u8>, Self::Error>;
    /// Removes the file at `path`.
    fn remove(&mut self, path: &str) -> Result<(), Self::Error>;
    /// Whether `e` says the store is full.
    fn is_full(e: &Self::Error) -> bool;
}

/// What handling one request gives: the reply, and the lines crashd prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The reply to send.
    pub reply: Vec<u8>,
    /// The UART lines: the dump written or counted, what retention removed, or why a
    /// submission was refused.
    pub lines: Vec<String>,
}

impl Handled {
    fn quiet(result: Result<Vec<u8>, Error>) -> Handled {
        Handled {
            reply: reply(result.as_deref().map_err(|e| *e)),
            lines: Vec::new(),
        }
    }
}

/// One stored dump in crashd's index.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    id: String,
    /// The file name in `crash/`.
    name: String,
    seq: u64,
    size: u64,
    /// Build-id and fault pc; `None` for a file that does not read as a dump.
    key: Option<(BuildId, u64)>,
    repeats: u64,
    /// Repeats past [`MAX_REPEATS`], counted since crashd started.
    uncounted: u64,
}

/// crashd's state between requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crashd {
    budget: u64,
    /// The stored dumps, read from `crash/` at the first request that needs them.
    index: Option<Vec<Kept>>,
    /// The highest `seq` given out or found.
    last_seq: u64,
}

impl Default for Crashd {
    fn default() -> Crashd {
        Crashd::new()
    }
}

/// The store, logd and the symbol index, as one request reaches them.
pub struct Io<'a, S, L: ?Sized> {
    /// The dump store.
    pub store: &'a mut S,
    /// logd.
    pub logd: &'a mut L,
    /// What symbolizes a new dump before it is stored ([`crate::symbols`]).
    pub symbols: &'a mut dyn Symbols,
}

impl Crashd {
    /// A crashd with the default budget that has not read `crash/` yet.
    pub fn new() -> Crashd {
        Crashd {
            budget: DEFAULT_BUDGET,
            index: None,
            last_seq: 0,
        }
    }

    /// The budget in force.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Answers the request `req` from the program with service id `sender`.
    pub fn handle<S: DumpStore, L: LogSource + ?Sized>(
        &mut self,
        io: Io<'_, S, L>,
        manifest: &Manifest<'_>,
        sender: ServiceId,
        req: &[u8],
    ) -> Handled {
        let Some((&op, arg)) = req.split_first() else {
            return Handled::quiet(Err(Error::Sys(SysError::BadLength)));
        };
        let Some(op) = Op::from_byte(op) else {
            return Handled::quiet(Err(Error::Sys(SysError::BadSyscall)));
        };
        if !may_submit(manifest.by_id(sender)) {
            return Handled::quiet(Err(Error::Sys(SysError::Denied)));
        }
        match op {
            Op::Submit => self.submit(io, manifest, arg),
            Op::Stat => Handled::quiet(stat(io.store, arg)),
            Op::List => Handled::quiet(self.list(io.store, arg)),
            Op::Budget => self.set_budget(io.store, arg),
        }
    }

    /// The index, read from `crash/` if it was not yet: each `.nxcd` file is read and
    /// decoded for its `seq`, build-id, pc and repeats; one that does not decode (or a
    /// `.nxcd.zst`, which crashd does not read) is kept as the oldest, without a key.
    fn index<S: DumpStore>(&mut self, store: &mut S) -> Result<&mut Vec<Kept>, String> {
        if self.index.is_none() {
            let files = store
                .list(DUMP_DIR)
                .map_err(|e| format!("cannot list {DUMP_DIR}/: {e:?}"))?;
            let mut index = Vec::new();
            for (name, size) in files {
                if !nxcd::listing::is_dump_name(&name) {
                    continue;
                }
                let path = format!("{DUMP_DIR}/{name}");
                let dump = if name.ends_with(".nxcd") {
                    store
                        .read(&path, MAX_DUMP_READ)
                        .ok()
                        .and_then(|bytes| Dump::decode(&bytes).ok())
                } else {
                    None
                };
                let stem = nxcd::listing::dump_stem(&name);
                index.push(match dump {
                    Some(d) => Kept {
                        id: String::from(d.header.dump_id.as_str()),
                        name,
                        seq: d.header.seq.unwrap_or(0),
                        size,
                        key: Some((d.header.build_id, d.header.pc)),
                        repeats: d.header.repeats.unwrap_or(0),
                        uncounted: 0,
                    },
                    None => Kept {
                        id: String::from(stem),
                        name,
                        seq: 0,
                        size,
                        key: None,
                        repeats: 0,
                        uncounted: 0,
                    },
                });
            }
            self.last_seq = index.iter().map(|k| k.seq).fold(self.last_seq, u64::max);
            self.index = Some(index);
        }
        self.index.as_mut().ok_or_else(|| String::from("no index"))
    }

    fn next_seq(&mut self) -> u64 {
        self.last_seq = self.last_seq.saturating_add(1);
        self.last_seq
    }

    fn submit<S: DumpStore, L: LogSource + ?Sized>(
        &mut self,
        io: Io<'_, S, L>,
        manifest: &Manifest<'_>,
        arg: &[u8],
    ) -> Handled {
        let sub = match Submission::decode(arg) {
            Ok(sub) => sub,
            Err(e) => return Handled::quiet(Err(Error::Sys(e))),
        };
        let refused = |code, why: &dyn core::fmt::Display| Handled {
            reply: reply(Err(Error::Service(code))),
            lines: alloc::vec![format!(
                "crashd: refused a record of {}: {why}",
                sub.program
            )],
        };
        let record = match FaultRecord::decode(sub.record) {
            Ok(r) => r,
            Err(e) => return refused(CrashCode::BadRecord, &e),
        };
        // The record makes a dump (checked before any I/O), and its repeat key.
        let key = match dump::build(&sub, &record, &Extras::default()) {
            Ok(d) => (d.header.build_id, d.header.pc),
            Err(e) => return refused(CrashCode::BadDump, &e),
        };
        if let Err(why) = self.index(io.store) {
            return store_failed(format!("crashd: dump of {} not stored: {why}", sub.program));
        }
        let repeat = self
            .index
            .as_ref()
            .and_then(|index| index.iter().position(|k| k.key.as_ref() == Some(&key)));
        if let Some(at) = repeat {
            if let Some(done) = self.count_repeat(io.store, at) {
                return done;
            }
        }
        let redaction = Redaction::for_program(manifest.by_name(sub.program));
        let collected = logs::collect(io.logd, sub.time_ns, sub.pid, redaction);
        let seq = self.next_seq();
        let extras = Extras {
            redaction,
            logs: collected.records,
            logs_error: collected.error,
            seq: Some(seq),
        };
        let mut built = match dump::build(&sub, &record, &extras) {
            Ok(d) => d,
            Err(e) => return refused(CrashCode::BadDump, &e),
        };
        io.symbols.embed(&mut built);
        let functions = functions_of(&built).unwrap_or_default();
        let id = built.header.dump_id.clone();
        let bytes = match built.encode() {
            Ok(b) => b,
            Err(e) => return refused(CrashCode::BadDump, &dump::DumpError::Encode(e)),
        };
        let size = bytes.len() as u64;
        if size > self.budget {
            return Handled {
                reply: reply(Err(Error::Service(CrashCode::OverBudget))),
                lines: alloc::vec![format!(
                    "crashd: dump {id} of {} not stored: {size} bytes exceed the budget of {} bytes",
                    sub.program, self.budget
                )],
            };
        }
        let path = dump_path(id.as_str());
        if let Err(e) = io.store.write(&path, &bytes) {
            let full = if S::is_full(&e) { "store full: " } else { "" };
            return store_failed(format!("crashd: {full}cannot write {path}: {e:?}"));
        }
        let name = format!("{id}.nxcd");
        let mut lines = alloc::vec![format!("crashd: dump written (id={id} bytes={size})")];
        if let Some(index) = self.index.as_mut() {
            // Same id: the file was replaced whole.
            index.retain(|k| k.name != name);
            index.push(Kept {
                id: String::from(id.as_str()),
                name,
                seq,
                size,
                key: Some(key),
                repeats: 0,
                uncounted: 0,
            });
        }
        lines.extend(self.retain_budget(io.store));
        let stored = Stored {
            id: String::from(id.as_str()),
            size,
            repeats: 0,
            functions,
        };
        Handled {
            reply: reply(Ok(&stored.encode())),
            lines,
        }
    }

    /// Counts a repeat in the stored dump at `at` of the index: rewrites it with
    /// `repeats` one more and a new `seq`, or past [`MAX_REPEATS`] counts it in memory.
    /// `None` when the stored dump no longer reads (it is dropped from the index and the
    /// crash is stored as a new dump).
    fn count_repeat<S: DumpStore>(&mut self, store: &mut S, at: usize) -> Option<Handled> {
        let kept = self.index.as_ref()?.get(at)?.clone();
        if kept.repeats >= MAX_REPEATS {
            let uncounted = kept.uncounted + 1;
            if let Some(k) = self.index.as_mut()?.get_mut(at) {
                k.uncounted = uncounted;
            }
            let stored = Stored {
                id: kept.id.clone(),
                size: kept.size,
                repeats: kept.repeats,
                functions: String::new(),
            };
            return Some(Handled {
                reply: reply(Ok(&stored.encode())),
                lines: alloc::vec![format!(
                    "crashd: repeat of {} not stored: it holds the limit of {MAX_REPEATS} ({uncounted} more since crashd started)",
                    kept.id
                )],
            });
        }
        let path = format!("{DUMP_DIR}/{}", kept.name);
        let Some(mut dump) = store
            .read(&path, MAX_DUMP_READ)
            .ok()
            .and_then(|b| Dump::decode(&b).ok())
        else {
            self.index.as_mut()?.remove(at);
            return None;
        };
        let seq = self.next_seq();
        dump.header.repeats = Some(kept.repeats + 1);
        dump.header.seq = Some(seq);
        let bytes = match dump.encode() {
            Ok(b) => b,
            Err(e) => {
                return Some(store_failed(format!(
                    "crashd: repeat of {} not counted: {e}",
                    kept.id
                )))
            }
        };
        if let Err(e) = store.write(&path, &bytes) {
            let full = if S::is_full(&e) { "store full: " } else { "" };
            return Some(store_failed(format!(
                "crashd: {full}repeat of {} not counted: cannot write {path}: {e:?}",
                kept.id
            )));
        }
        let size = bytes.len() as u64;
        if let Some(k) = self.index.as_mut()?.get_mut(at) {
            k.seq = seq;
            k.size = size;
            k.repeats += 1;
        }
        let mut lines = alloc::vec![format!(
            "crashd: repeat counted (id={} repeats={})",
            kept.id,
            kept.repeats + 1
        )];
        lines.extend(self.retain_budget(store));
        let stored = Stored {
            id: kept.id,
            size,
            repeats: kept.repeats + 1,
            functions: functions_of(&dump).unwrap_or_default(),
        };
        Some(Handled {
            reply: reply(Ok(&stored.encode())),
            lines,
        })
    }

    /// Removes the oldest dumps until the rest fit the budget (`nxcd::plan_gc`,
    /// `max_bytes`, `seq` as the creation time); the lines saying what went, and what
    /// could not.
    fn retain_budget<S: DumpStore>(&mut self, store: &mut S) -> Vec<String> {
        let budget = self.budget;
        let Some(index) = self.index.as_mut() else {
            return Vec::new();
        };
        let entries: Vec<GcEntry<'_>> = index
            .iter()
            .map(|k| GcEntry {
                id: &k.id,
                created_ns: k.seq,
                size: k.size,
                seq: Some(k.seq),
            })
            .collect();
        let policy = GcPolicy {
            max_bytes: Some(budget),
            ..GcPolicy::default()
        };
        let plan = plan_gc(&entries, &policy, 0);
        let mut lines = Vec::new();
        let mut gone = Vec::new();
        for &i in &plan.delete {
            let Some(k) = index.get(i) else { continue };
            let path = format!("{DUMP_DIR}/{}", k.name);
            match store.remove(&path) {
                Ok(()) => {
                    lines.push(format!(
                        "crashd: retention removed {} ({} bytes, budget {budget})",
                        k.id, k.size
                    ));
                    gone.push(i);
                }
                Err(e) => lines.push(format!(
                    "crashd: retention cannot remove {path}: {e:?} (crash/ over its budget of {budget} bytes)"
                )),
            }
        }
        let mut at = 0;
        index.retain(|_| {
            let keep = !gone.contains(&at);
            at += 1;
            keep
        });
        lines
    }

    fn list<S: DumpStore>(&mut self, store: &mut S, arg: &[u8]) -> Result<Vec<u8>, Error> {
        let skip = abi::rpc::u32_of(arg)? as usize;
        if arg.len() != 4 {
            return Err(Error::Sys(SysError::BadLength));
        }
        let budget = self.budget;
        let index = self
            .index(store)
            .map_err(|_| Error::Service(CrashCode::Store))?;
        let mut order: Vec<&Kept> = index.iter().collect();
        order.sort_by(|a, b| (a.seq, &a.id).cmp(&(b.seq, &b.id)));
        let listing = Listing {
            budget,
            bytes: index.iter().map(|k| k.size).fold(0, u64::saturating_add),
            count: u32::try_from(index.len()).unwrap_or(u32::MAX),
            dumps: order
                .into_iter()
                .skip(skip)
                .map(|k| Listed {
                    seq: k.seq,
                    size: k.size,
                    repeats: k.repeats,
                    id: k.id.clone(),
                })
                .collect(),
        };
        Ok(listing.encode(abi::ipc::MAX_MSG - 1))
    }

    fn set_budget<S: DumpStore>(&mut self, store: &mut S, arg: &[u8]) -> Handled {
        let bytes = match abi::rpc::u64_of(arg) {
            Ok(b) if arg.len() == 8 => b,
            _ => return Handled::quiet(Err(Error::Sys(SysError::BadLength))),
        };
        let previous = self.budget;
        self.budget = if bytes == 0 { DEFAULT_BUDGET } else { bytes };
        let mut lines = alloc::vec![format!(
            "crashd: budget {} bytes (was {previous})",
            self.budget
        )];
        if let Err(why) = self.index(store) {
            lines.push(format!("crashd: budget not applied: {why}"));
            return Handled {
                reply: reply(Err(Error::Service(CrashCode::Store))),
                lines,
            };
        }
        lines.extend(self.retain_budget(store));
        Handled {
            reply: reply(Ok(&previous.to_le_bytes())),
            lines,
        }
    }
}

fn store_failed(line: String) -> Handled {
    Handled {
        reply: reply(Err(Error::Service(CrashCode::Store))),
        lines: alloc::vec![line],
    }
}

fn stat<S: DumpStore>(store: &mut S, arg: &[u8]) -> Result<Vec<u8>, Error> {
    let id = core::str::from_utf8(arg)
        .ok()
        .filter(|id| dump::valid_id(id))
        .ok_or(Error::Sys(SysError::BadLength))?;
    match store.size(&dump_path(id)) {
        Ok(Some(size)) => Ok(size.to_le_bytes().to_vec()),
        Ok(None) => Err(Error::Service(CrashCode::NotFound)),
        Err(_) => Err(Error::Service(CrashCode::Store)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CrashCode;
    use abi::fault::{ModuleEntry, REG_COUNT, REG_FP, REG_PC, REG_SCAUSE, REG_SP, REG_STVAL};
    use alloc::collections::BTreeMap;
    use alloc::vec;
    use nxcd::{Level, LogRecord};

    fn body(reply: &[u8]) -> Result<&[u8], crate::Error> {
        abi::rpc::service_body::<CrashCode>(reply)
    }

    /// Files in memory; `fail` makes every write fail as a full store does.
    #[derive(Default)]
    struct Files {
        files: BTreeMap<String, Vec<u8>>,
        fail: bool,
    }

    impl DumpStore for Files {
        type Error = &'static str;
        fn write(&mut self, path: &str, bytes: &[u8]) -> Result<(), &'static str> {
            if self.fail {
                return Err("no space");
            }
            self.files.insert(String::from(path), bytes.to_vec());
            Ok(())
        }
        fn size(&mut self, path: &str) -> Result<Option<u64>, &'static str> {
            Ok(self.files.get(path).map(|f| f.len() as u64))
        }
        fn list(&mut self, dir: &str) -> Result<Vec<(String, u64)>, &'static str> {
            let prefix = format!("{dir}/");
            Ok(self
                .files
                .iter()
                .filter_map(|(p, b)| Some((String::from(p.strip_prefix(&prefix)?), b.len() as u64)))
                .collect())
        }
        fn read(&mut self, path: &str, max: u64) -> Result<Vec<u8>, &'static str> {
            let f = self.files.get(path).ok_or("not found")?;
            if f.len() as u64 > max {
                return Err("too large");
            }
            Ok(f.clone())
        }
        fn remove(&mut self, path: &str) -> Result<(), &'static str> {
            self.files.remove(path).map(|_| ()).ok_or("not found")
        }
        fn is_full(e: &&'static str) -> bool {
            *e == "no space"
        }
    }

    impl Files {
        fn bytes(&self) -> u64 {
            self.files.values().map(|f| f.len() as u64).sum()
        }
        fn dump(&self, id: &str) -> Dump {
            Dump::decode(&self.files[&dump_path(id)]).unwrap()
        }
    }

    /// logd: the records it answers with, or the failure of every QUERY.
    struct Logd(Result<Vec<LogRecord>, String>);

    impl LogSource for Logd {
        fn query(&mut self, since_ns: u64, max: u16) -> Result<Vec<LogRecord>, String> {
            let records = self.0.clone()?;
            Ok(records
                .into_iter()
                .filter(|r| r.timestamp_nsec >= since_ns)
                .take(usize::from(max))
                .collect())
        }
    }

    fn log(id: u64, from: u32, ts: u64) -> LogRecord {
        LogRecord {
            record_id: id,
            timestamp_nsec: ts,
            service_id: nxcd::ServiceId::from_kernel(from, 1),
            level: Level::Info,
            scope: b"s".to_vec(),
            message: format!("record {id}").into_bytes(),
            fields: Vec::new(),
        }
    }

    const MANIFEST: &[u8] = b"init spawn\nsamgrd boot\nselftest-client boot runner final\ncrash-demo ondemand\nkeyd ondemand sensitive\n";
    /// Service ids of the manifest's lines.
    const INIT: ServiceId = 1;
    const SAMGRD: ServiceId = 2;
    const SELFTEST: ServiceId = 3;
    const CRASH_DEMO: ServiceId = 4;

    fn record_bytes(program: &[u8], pc: u64) -> Vec<u8> {
        let mut regs = [0u64; REG_COUNT];
        regs[REG_PC] = pc;
        regs[REG_SCAUSE] = 15;
        regs[REG_STVAL] = 0x10;
        regs[REG_SP] = 0x7fff_ef80;
        regs[REG_FP] = 0x7fff_efa0;
        let mut rec = FaultRecord::new(regs);
        rec.stack_len = 64;
        // One frame in the stack copy: return address 0x4001_0100, caller fp 0.
        rec.stack[0x18..0x20].copy_from_slice(&0x4001_0100u64.to_le_bytes());
        rec.modules[0] =
            ModuleEntry::new(program, 0x4001_0000, 0x4001_3000, 0x4001_0000, &[0x68; 20]);
        rec.module_count = 1;
        let mut raw = vec![0u8; FaultRecord::MAX_LEN];
        let n = rec.encode(&mut raw).unwrap();
        raw.truncate(n);
        raw
    }

    fn submit_as(program: &str, pid: u32, time_ns: u64, record: &[u8]) -> Vec<u8> {
        let sub = Submission {
            pid,
            time_ns,
            program,
            record,
        };
        abi::rpc::request(Op::Submit as u8, &sub.encode().unwrap())
    }

    fn submit_request(record: &[u8]) -> Vec<u8> {
        submit_as("crash-demo", 13, 375_319_100, record)
    }

    /// Names every frame `f<pc>`, inlined into `outer`, as an index would.
    #[derive(Default)]
    struct FakeIndex {
        calls: usize,
    }

    impl Symbols for FakeIndex {
        fn embed(&mut self, dump: &mut Dump) -> usize {
            self.calls += 1;
            for f in &mut dump.frames {
                f.function = Some(format!("f{:x}", f.pc));
                f.inlined = vec![nxcd::SourceLocation {
                    file: None,
                    function: Some(String::from("outer")),
                    line: None,
                }];
            }
            dump.frames.len()
        }
    }

    /// A crashd, its store and its logd, and the manifest, for one test.
    struct Rig {
        crashd: Crashd,
        store: Files,
        logd: Logd,
        symbols: FakeIndex,
        manifest: Manifest<'static>,
    }

    impl Rig {
        fn new() -> Rig {
            Rig {
                crashd: Crashd::new(),
                store: Files::default(),
                logd: Logd(Ok(Vec::new())),
                symbols: FakeIndex::default(),
                manifest: Manifest::parse(MANIFEST).unwrap(),
            }
        }
        fn handle(&mut self, sender: ServiceId, req: &[u8]) -> Handled {
            let io = Io {
                store: &mut self.store,
                logd: &mut self.logd,
                symbols: &mut self.symbols,
            };
            self.crashd.handle(io, &self.manifest, sender, req)
        }
        fn submit(
            &mut self,
            program: &str,
            pid: u32,
            time_ns: u64,
            pc: u64,
        ) -> Result<Stored, Error> {
            let req = submit_as(program, pid, time_ns, &record_bytes(program.as_bytes(), pc));
            let h = self.handle(SELFTEST, &req);
            body(&h.reply).and_then(Stored::decode)
        }
        fn list(&mut self) -> Listing {
            let h = self.handle(
                SELFTEST,
                &abi::rpc::request(Op::List as u8, &0u32.to_le_bytes()),
            );
            Listing::decode(body(&h.reply).unwrap()).unwrap()
        }
        fn set_budget(&mut self, bytes: u64) -> Handled {
            self.handle(
                SELFTEST,
                &abi::rpc::request(Op::Budget as u8, &bytes.to_le_bytes()),
            )
        }
    }

    #[test]
    fn a_supervisors_record_is_written_then_announced_and_stat_finds_it() {
        let mut rig = Rig::new();
        let h = rig.handle(
            SELFTEST,
            &submit_request(&record_bytes(b"crash-demo", 0x4001_0020)),
        );
        let stored = Stored::decode(body(&h.reply).unwrap()).unwrap();
        assert_eq!(stored.id, "375319100-crash-demo-13");
        assert_eq!(stored.repeats, 0);
        let file = &rig.store.files["crash/375319100-crash-demo-13.nxcd"];
        assert_eq!(file.len() as u64, stored.size);
        let dump = nxcd::Dump::decode(file).unwrap();
        assert_eq!(dump.header.process, "crash-demo");
        assert_eq!(dump.header.seq, Some(1));
        assert_eq!(
            h.lines,
            [format!(
                "crashd: dump written (id=375319100-crash-demo-13 bytes={})",
                stored.size
            )]
        );
        let stat = abi::rpc::request(Op::Stat as u8, stored.id.as_bytes());
        let h = rig.handle(SELFTEST, &stat);
        assert_eq!(body(&h.reply), Ok(&stored.size.to_le_bytes()[..]));
        for who in [CRASH_DEMO, 99] {
            assert_eq!(
                body(&rig.handle(who, &stat).reply),
                Err(Error::Sys(SysError::Denied))
            );
        }
        let missing = abi::rpc::request(Op::Stat as u8, b"1-x-2");
        assert_eq!(
            body(&rig.handle(SELFTEST, &missing).reply),
            Err(Error::Service(CrashCode::NotFound))
        );
        let escape = abi::rpc::request(Op::Stat as u8, b"../boot/bootctl");
        assert_eq!(
            body(&rig.handle(SELFTEST, &escape).reply),
            Err(Error::Sys(SysError::BadLength))
        );
    }

    #[test]
    fn only_a_supervisor_may_submit_list_or_budget_and_nothing_is_written_otherwise() {
        let mut rig = Rig::new();
        let req = submit_request(&record_bytes(b"crash-demo", 0x4001_0020));
        let list = abi::rpc::request(Op::List as u8, &0u32.to_le_bytes());
        let budget = abi::rpc::request(Op::Budget as u8, &1u64.to_le_bytes());
        for who in [SAMGRD, CRASH_DEMO, 99] {
            for r in [&req, &list, &budget] {
                let h = rig.handle(who, r);
                assert_eq!(body(&h.reply), Err(Error::Sys(SysError::Denied)));
                assert!(h.lines.is_empty());
            }
        }
        assert!(rig.store.files.is_empty());
        assert_eq!(rig.crashd.budget(), DEFAULT_BUDGET);
        let h = rig.handle(INIT, &req);
        assert!(body(&h.reply).is_ok());
    }

    #[test]
    fn a_full_store_is_a_store_error_said_and_never_announced_as_written() {
        let mut rig = Rig::new();
        rig.store.fail = true;
        let h = rig.handle(
            INIT,
            &submit_request(&record_bytes(b"crash-demo", 0x4001_0020)),
        );
        assert_eq!(body(&h.reply), Err(Error::Service(CrashCode::Store)));
        assert_eq!(h.lines.len(), 1);
        assert!(h.lines[0]
            .starts_with("crashd: store full: cannot write crash/375319100-crash-demo-13.nxcd"));
        assert!(!h.lines[0].contains("dump written"));
    }

    #[test]
    fn malformed_requests_are_refused_by_kind() {
        let mut rig = Rig::new();
        let mut damaged = record_bytes(b"crash-demo", 0x4001_0020);
        damaged[0] ^= 0xff;
        let cases: [(Vec<u8>, Error); 8] = [
            (vec![], Error::Sys(SysError::BadLength)),
            (vec![9], Error::Sys(SysError::BadSyscall)),
            (
                vec![Op::Submit as u8, 1, 2],
                Error::Sys(SysError::BadLength),
            ),
            (
                submit_request(&damaged),
                Error::Service(CrashCode::BadRecord),
            ),
            (submit_request(&[]), Error::Service(CrashCode::BadRecord)),
            (vec![Op::List as u8, 1], Error::Sys(SysError::BadLength)),
            (
                vec![Op::Budget as u8, 1, 2, 3],
                Error::Sys(SysError::BadLength),
            ),
            (vec![Op::Budget as u8; 10], Error::Sys(SysError::BadLength)),
        ];
        for (req, want) in cases {
            assert_eq!(body(&rig.handle(INIT, &req).reply), Err(want), "{req:?}");
        }
        // A record of another program than the one named.
        let other = record_bytes(b"crash-demx", 0x4001_0020);
        let h = rig.handle(INIT, &submit_request(&other));
        assert_eq!(body(&h.reply), Err(Error::Service(CrashCode::BadDump)));
        assert!(rig.store.files.is_empty());
        // Every truncation of a good request: an error reply, never a panic.
        let good = submit_request(&record_bytes(b"crash-demo", 0x4001_0020));
        for len in 0..good.len() {
            assert!(body(&rig.handle(INIT, &good[..len]).reply).is_err());
        }
        assert!(rig.store.files.is_empty());
    }

    #[test]
    fn recent_logs_go_in_the_dump_and_a_silent_logd_is_said_in_the_header() {
        let mut rig = Rig::new();
        // Records of crash-demo (pid 13) and of samgrd (2), before and after the fault.
        rig.logd = Logd(Ok(vec![
            log(1, 13, 100),
            log(2, 2, 200),
            log(3, 13, 300),
            log(4, 2, 900),
        ]));
        let first = rig.submit("crash-demo", 13, 500, 0x4001_0020).unwrap();
        let dump = rig.store.dump(&first.id);
        let ids: Vec<u64> = dump.logs.unwrap().iter().map(|r| r.record_id).collect();
        assert_eq!(ids, [1, 2, 3], "the window before the fault, every service");
        assert_eq!((dump.header.logs_error, dump.header.redacted), (None, None));
        assert_eq!(dump.frames.len(), 2, "unwound through the stack copy");
        // logd does not answer: the dump is written without logs and says why.
        rig.logd = Logd(Err(String::from("logd did not answer in time")));
        let second = rig.submit("crash-demo", 13, 600, 0x4001_0024).unwrap();
        let dump = rig.store.dump(&second.id);
        assert_eq!(dump.logs, None);
        assert_eq!(
            dump.header.logs_error.as_deref(),
            Some("logd did not answer in time")
        );
    }

    #[test]
    fn a_sensitive_program_s_dump_carries_no_stack_and_only_its_own_records() {
        let mut rig = Rig::new();
        rig.logd = Logd(Ok(vec![log(1, 5, 100), log(2, 2, 200), log(3, 5, 300)]));
        let stored = rig.submit("keyd", 5, 500, 0x4001_0020).unwrap();
        let dump = rig.store.dump(&stored.id);
        let pcs: Vec<u64> = dump.frames.iter().map(|f| f.pc).collect();
        assert_eq!(pcs, [0x4001_0020], "no frame from the stack copy");
        let ids: Vec<u64> = dump.logs.unwrap().iter().map(|r| r.record_id).collect();
        assert_eq!(ids, [1, 3], "only keyd's own records");
        assert_eq!(
            dump.header.redacted.as_deref(),
            Some(&[String::from("foreign_logs"), String::from("stack")][..])
        );
        // A program without a manifest line gets the same.
        let stored = rig.submit("from-memory", 7, 600, 0x4001_0020).unwrap();
        let dump = rig.store.dump(&stored.id);
        assert_eq!(dump.frames.len(), 1);
        assert_eq!(dump.header.redacted.map(|r| r.len()), Some(2));
    }

    #[test]
    fn a_repeat_is_counted_in_the_stored_dump_up_to_the_limit() {
        let mut rig = Rig::new();
        let first = rig.submit("crash-demo", 13, 1_000, 0x4001_0020).unwrap();
        // The same build-id and pc later (another pid, another time): counted, not stored.
        let again = rig.submit("crash-demo", 14, 2_000, 0x4001_0020).unwrap();
        assert_eq!((again.id.as_str(), again.repeats), (first.id.as_str(), 1));
        assert_eq!(rig.store.files.len(), 1);
        let dump = rig.store.dump(&first.id);
        assert_eq!((dump.header.repeats, dump.header.seq), (Some(1), Some(2)));
        assert_eq!(dump.header.pid, 13, "the first crash's dump, counted");
        // Another pc is another crash.
        let other = rig.submit("crash-demo", 15, 3_000, 0x4001_0028).unwrap();
        assert_ne!(other.id, first.id);
        for n in 2..=MAX_REPEATS {
            let r = rig
                .submit("crash-demo", 14, 2_000 + n, 0x4001_0020)
                .unwrap();
            assert_eq!(r.repeats, n);
        }
        let before = rig.store.files[&dump_path(&first.id)].clone();
        let req = submit_as(
            "crash-demo",
            14,
            9_999,
            &record_bytes(b"crash-demo", 0x4001_0020),
        );
        let h = rig.handle(SELFTEST, &req);
        let past = Stored::decode(body(&h.reply).unwrap()).unwrap();
        assert_eq!(
            (past.id.as_str(), past.repeats),
            (first.id.as_str(), MAX_REPEATS)
        );
        assert_eq!(
            rig.store.files[&dump_path(&first.id)],
            before,
            "not rewritten"
        );
        assert!(
            h.lines[0].contains("not stored: it holds the limit of 64 (1 more"),
            "{:?}",
            h.lines
        );
        assert_eq!(rig.store.dump(&first.id).header.repeats, Some(MAX_REPEATS));
    }

    #[test]
    fn retention_keeps_the_newest_dumps_within_the_budget() {
        let mut rig = Rig::new();
        let one = rig.submit("crash-demo", 13, 1_000, 0x4001_0020).unwrap();
        let size = one.size;
        // Room for three dumps of about this size.
        let budget = 3 * size + size / 2;
        let h = rig.set_budget(budget);
        assert_eq!(body(&h.reply), Ok(&DEFAULT_BUDGET.to_le_bytes()[..]));
        let mut ids = vec![one.id];
        for i in 1..6u64 {
            let s = rig
                .submit("crash-demo", 13, 1_000 + i, 0x4001_0020 + 4 * i)
                .unwrap();
            assert!(
                rig.store.bytes() <= budget,
                "after dump {i}: {}",
                rig.store.bytes()
            );
            ids.push(s.id);
        }
        let listing = rig.list();
        let kept: Vec<&str> = listing.dumps.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            kept,
            ids[3..].iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert_eq!((listing.budget, listing.count as usize), (budget, 3));
        assert_eq!(listing.bytes, rig.store.bytes());
        assert!(listing.bytes <= budget);
        // A smaller budget is applied at once; 0 restores the default.
        let h = rig.set_budget(size + 1);
        assert_eq!(rig.list().dumps.len(), 1);
        assert!(h
            .lines
            .iter()
            .any(|l| l.starts_with("crashd: retention removed")));
        rig.set_budget(0);
        assert_eq!(rig.crashd.budget(), DEFAULT_BUDGET);
    }

    #[test]
    fn a_dump_larger_than_the_budget_is_refused_and_said() {
        let mut rig = Rig::new();
        let kept = rig.submit("crash-demo", 13, 1_000, 0x4001_0020).unwrap();
        rig.set_budget(kept.size);
        let req = submit_as(
            "crash-demo",
            13,
            2_000,
            &record_bytes(b"crash-demo", 0x4001_0030),
        );
        let h = rig.handle(SELFTEST, &req);
        assert_eq!(body(&h.reply).map(|_| ()), Ok(()), "same size fits");
        rig.set_budget(64);
        let req = submit_as(
            "crash-demo",
            13,
            3_000,
            &record_bytes(b"crash-demo", 0x4001_0040),
        );
        let h = rig.handle(SELFTEST, &req);
        assert_eq!(body(&h.reply), Err(Error::Service(CrashCode::OverBudget)));
        assert!(
            h.lines[0].contains("exceed the budget of 64 bytes"),
            "{:?}",
            h.lines
        );
        assert!(!rig
            .store
            .files
            .contains_key(&dump_path("3000-crash-demo-13")));
    }

    #[test]
    fn the_order_is_the_stored_seq_across_boots_not_the_fault_time() {
        let mut rig = Rig::new();
        // Boot 1: two dumps late in the boot (times 9 s, 10 s).
        let a = rig
            .submit("crash-demo", 13, 9_000_000_000, 0x4001_0020)
            .unwrap();
        let b = rig
            .submit("crash-demo", 13, 10_000_000_000, 0x4001_0024)
            .unwrap();
        // A file that is no dump, named like one: kept as the oldest, and counted.
        rig.store
            .files
            .insert(String::from("crash/junk.nxcd"), vec![0; 100]);
        // Boot 2: a new crashd reads the store; its times start again from 0.
        rig.crashd = Crashd::new();
        let c = rig
            .submit("crash-demo", 13, 1_000_000_000, 0x4001_0028)
            .unwrap();
        assert_eq!(
            rig.store.dump(&c.id).header.seq,
            Some(3),
            "after the stored seqs"
        );
        let order: Vec<String> = rig.list().dumps.into_iter().map(|d| d.id).collect();
        assert_eq!(order, ["junk", &a.id, &b.id, &c.id]);
        // The budget removes the junk, then boot 1's first dump, never the newest.
        rig.set_budget(b.size + c.size + 8);
        let order: Vec<String> = rig.list().dumps.into_iter().map(|d| d.id).collect();
        assert_eq!(order, [b.id.clone(), c.id]);
        // A repeat of a crash of boot 1 is counted in its dump.
        let again = rig
            .submit("crash-demo", 13, 2_000_000_000, 0x4001_0024)
            .unwrap();
        assert_eq!((again.id, again.repeats), (b.id, 1));
    }

    #[test]
    fn a_new_dump_is_symbolized_before_it_is_stored_and_the_reply_names_its_functions() {
        let mut rig = Rig::new();
        let stored = rig.submit("crash-demo", 13, 5, 0x4001_0040).unwrap();
        assert_eq!(rig.symbols.calls, 1);
        assert_eq!(stored.functions, "f40010040<outer;f40010100<outer");
        let bytes = rig.store.files.get(&dump_path(&stored.id)).unwrap();
        let dump = Dump::decode(bytes).unwrap();
        assert_eq!(dump.frames[0].function.as_deref(), Some("f40010040"));
        // A repeat names the stored dump's functions, without symbolizing again.
        let again = rig.submit("crash-demo", 13, 6, 0x4001_0040).unwrap();
        assert_eq!((again.id, again.repeats), (stored.id, 1));
        assert_eq!(again.functions, stored.functions);
        assert_eq!(rig.symbols.calls, 1);
    }
}
