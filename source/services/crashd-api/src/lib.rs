//! crashd's IPC interface (the crash dump service): its ops, wire layout, errors, who
//! may submit ([`may_submit`]), client stubs ([`Client`]), the pure step from a fault
//! record to a dump ([`dump`]) and the request handler ([`server`], sans-IO over a
//! [`server::DumpStore`]), so host tests drive the code crashd runs.
//! Contract: docs/reliability/crashd.md.
//!
//! Requests follow `abi::rpc` (an op byte, then the argument; replies a status byte,
//! then the body); integers little-endian:
//!
//! | op | request argument | reply body |
//! | --- | --- | --- |
//! | 1 `Submit` | pid `u32`, fault time `u64` (ns since kernel start), name length `u8`, program name, the fault record's bytes | dump size `u64`, repeats `u64`, id length `u8`, the dump id, then the frames' functions as crashd symbolized them (UTF-8, empty when not symbolized; [`Stored`]) |
//! | 2 `Stat` | dump id | the size `u64` of `crash/<id>.nxcd` as statefsd reports it |
//! | 3 `List` | skip `u32` | budget `u64`, bytes kept `u64`, dump count `u32`, then the dumps after the first `skip`, oldest first, as many as fit: seq `u64`, size `u64`, repeats `u64`, id length `u8`, id ([`Listing`]) |
//! | 4 `Budget` | bytes `u64` (0: the default, [`server::DEFAULT_BUDGET`]) | the previous budget `u64`; the new one is applied at once |
//!
//! Status codes: the `abi::SysError` codes for the request itself (`BadSyscall` an
//! unknown op; `BadLength` a malformed argument; `Denied` a sender that is not a
//! supervisor, for either op, see [`may_submit`]), and from 64 crashd's own
//! ([`CrashCode`]).
#![no_std]

extern crate alloc;

pub mod dump;
pub mod logs;
pub mod redact;
pub mod server;
pub mod symbols;

use abi::rpc::{self, Caller};
use abi::{FaultRecord, ServiceId, SysError};
use alloc::string::String;
use alloc::vec::Vec;
use initrd::manifest::Program;

/// The name crashd registers under (and its boot-manifest program).
pub const SERVICE_NAME: &str = "crashd";
/// The directory of `state:` crashd writes its dumps in (statefsd grants it `crash/`).
pub const DUMP_DIR: &str = "crash";
/// Longest program name a submission carries (the kernel's bound on names).
pub const MAX_PROGRAM: usize = abi::args::MAX_PROGRAM_NAME;

/// crashd's operations.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Turn a fault record into a dump and store it.
    Submit = 1,
    /// The stored size of a dump.
    Stat = 2,
    /// The stored dumps, oldest first, with the budget.
    List = 3,
    /// Sets the byte budget of `crash/` (and applies it).
    Budget = 4,
}

impl Op {
    /// The op with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<Op> {
        match b {
            1 => Some(Op::Submit),
            2 => Some(Op::Stat),
            3 => Some(Op::List),
            4 => Some(Op::Budget),
            _ => None,
        }
    }
}

/// crashd's own status codes (64 and up).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashCode {
    /// The fault record does not decode.
    BadRecord = 64,
    /// The record cannot make a dump (no main module, a module not named like the
    /// program, an interrupt cause, ...; [`dump::DumpError`]).
    BadDump = 65,
    /// statefsd refused or failed the write (or the stat).
    Store = 66,
    /// No dump with that id.
    NotFound = 67,
    /// The dump alone is larger than the budget of `crash/`: not stored.
    OverBudget = 68,
}

impl CrashCode {
    /// The code with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<CrashCode> {
        Some(match b {
            64 => CrashCode::BadRecord,
            65 => CrashCode::BadDump,
            66 => CrashCode::Store,
            67 => CrashCode::NotFound,
            68 => CrashCode::OverBudget,
            _ => return None,
        })
    }
}

/// Why a request failed, as the client sees it: a `SysError`, or crashd's code
/// (`Error::Service`).
pub type Error = rpc::ServiceError<CrashCode>;

impl rpc::ServiceCode for CrashCode {
    fn from_byte(b: u8) -> Option<CrashCode> {
        CrashCode::from_byte(b)
    }

    fn byte(self) -> u8 {
        self as u8
    }
}

/// A reply: status 0 and `body`, or the error's code alone.
pub fn reply(result: Result<&[u8], Error>) -> Vec<u8> {
    rpc::service_status(result)
}

/// Who may submit a fault record: a supervisor, that is a program the boot manifest
/// marks `spawn` (it starts programs itself: init, execd) or `runner` (it has init start
/// `ondemand` programs and waits for them, receiving their records: selftest-client).
/// `program` is the manifest line of the **kernel-stamped sender id**; `None` (no
/// manifest program, e.g. one spawned from memory) may not.
pub fn may_submit(program: Option<&Program<'_>>) -> bool {
    program.is_some_and(|p| p.spawn || p.runner)
}

/// A `Submit` request, decoded: what the supervisor knows beside the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission<'a> {
    /// The faulted process's service id.
    pub pid: u32,
    /// When the supervisor learnt of the fault, ns since kernel start.
    pub time_ns: u64,
    /// The faulted program's name (1 to [`MAX_PROGRAM`] bytes of `[a-z0-9-]`).
    pub program: &'a str,
    /// The fault record's bytes, as the kernel wrote them.
    pub record: &'a [u8],
}

/// Whether `name` is a program name a dump id may carry: 1 to [`MAX_PROGRAM`] bytes of
/// `[a-z0-9-]`.
fn valid_program(name: &str) -> bool {
    (1..=MAX_PROGRAM).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl<'a> Submission<'a> {
    /// The request argument.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        if !valid_program(self.program) || self.record.len() > FaultRecord::MAX_LEN {
            return Err(Error::Sys(SysError::BadLength));
        }
        let mut arg = Vec::with_capacity(13 + self.program.len() + self.record.len());
        arg.extend_from_slice(&self.pid.to_le_bytes());
        arg.extend_from_slice(&self.time_ns.to_le_bytes());
        arg.push(self.program.len() as u8);
        arg.extend_from_slice(self.program.as_bytes());
        arg.extend_from_slice(self.record);
        Ok(arg)
    }

    /// Decodes a request argument; `BadLength` for anything malformed (short, a name
    /// outside `[a-z0-9-]` or too long, a record longer than the largest one).
    pub fn decode(arg: &'a [u8]) -> Result<Submission<'a>, SysError> {
        let pid = rpc::u32_of(arg)?;
        let time_ns = rpc::u64_of(arg.get(4..).ok_or(SysError::BadLength)?)?;
        let len = usize::from(*arg.get(12).ok_or(SysError::BadLength)?);
        let name = arg.get(13..13 + len).ok_or(SysError::BadLength)?;
        let program = core::str::from_utf8(name).map_err(|_| SysError::BadLength)?;
        let record = arg.get(13 + len..).ok_or(SysError::BadLength)?;
        if !valid_program(program) || record.len() > FaultRecord::MAX_LEN {
            return Err(SysError::BadLength);
        }
        Ok(Submission {
            pid,
            time_ns,
            program,
            record,
        })
    }
}

/// What crashd answers a `Submit` with: the dump that holds the crash, new or (a
/// repeat) the stored one it was counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The dump id (`crash/<id>.nxcd`).
    pub id: String,
    /// The dump's size in bytes.
    pub size: u64,
    /// The repeats the dump holds (its header's `repeats`): 0 for a new dump; at
    /// [`server::MAX_REPEATS`] the crash was counted only in crashd's memory.
    pub repeats: u64,
    /// The dump's frames' functions as crashd symbolized them on the device
    /// ([`symbols::functions_of`]); empty when it could not.
    pub functions: String,
}

impl Stored {
    /// The reply body.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = self.size.to_le_bytes().to_vec();
        body.extend_from_slice(&self.repeats.to_le_bytes());
        // A valid dump id is at most 64 bytes.
        body.push(self.id.len().min(usize::from(u8::MAX)) as u8);
        body.extend_from_slice(self.id.as_bytes());
        body.extend_from_slice(self.functions.as_bytes());
        body
    }

    /// Decodes a reply body.
    pub fn decode(body: &[u8]) -> Result<Stored, Error> {
        let bad = Error::Sys(SysError::BadLength);
        let size = rpc::u64_at(body, 0)?;
        let repeats = rpc::u64_at(body, 8)?;
        let id_len = usize::from(*body.get(16).ok_or(bad)?);
        let id = body
            .get(17..17 + id_len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .filter(|id| dump::valid_id(id))
            .ok_or(bad)?;
        let functions = body
            .get(17 + id_len..)
            .and_then(|b| core::str::from_utf8(b).ok())
            .ok_or(bad)?;
        Ok(Stored {
            id: String::from(id),
            size,
            repeats,
            functions: String::from(functions),
        })
    }
}

/// One stored dump as `List` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// crashd's store order (the header's `seq`; 0 for a dump without one).
    pub seq: u64,
    /// Its size in bytes.
    pub size: u64,
    /// The repeats it holds.
    pub repeats: u64,
    /// Its id.
    pub id: String,
}

/// A `List` reply: the budget, the bytes kept, and the dumps (one page of them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The budget of `crash/` in bytes.
    pub budget: u64,
    /// The bytes of every stored dump.
    pub bytes: u64,
    /// How many dumps are stored.
    pub count: u32,
    /// The dumps of this page (all of them, from [`Client::list`]), oldest first.
    pub dumps: Vec<Listed>,
}

impl Listing {
    /// The reply body: the header, then the entries of `dumps` that fit in `max` bytes.
    pub fn encode(&self, max: usize) -> Vec<u8> {
        let mut body = self.budget.to_le_bytes().to_vec();
        body.extend_from_slice(&self.bytes.to_le_bytes());
        body.extend_from_slice(&self.count.to_le_bytes());
        for d in &self.dumps {
            if body.len() + 25 + d.id.len() > max {
                break;
            }
            body.extend_from_slice(&d.seq.to_le_bytes());
            body.extend_from_slice(&d.size.to_le_bytes());
            body.extend_from_slice(&d.repeats.to_le_bytes());
            body.push(d.id.len() as u8);
            body.extend_from_slice(d.id.as_bytes());
        }
        body
    }

    /// Decodes a reply body.
    pub fn decode(body: &[u8]) -> Result<Listing, Error> {
        let bad = Error::Sys(SysError::BadLength);
        let mut out = Listing {
            budget: rpc::u64_at(body, 0)?,
            bytes: rpc::u64_at(body, 8)?,
            count: rpc::u32_at(body, 16)?,
            dumps: Vec::new(),
        };
        let mut at = 20;
        while at < body.len() {
            let len = usize::from(*body.get(at + 24).ok_or(bad)?);
            let id = body
                .get(at + 25..at + 25 + len)
                .and_then(|b| core::str::from_utf8(b).ok())
                .filter(|id| dump::valid_id(id))
                .ok_or(bad)?;
            out.dumps.push(Listed {
                seq: rpc::u64_at(body, at)?,
                size: rpc::u64_at(body, at + 8)?,
                repeats: rpc::u64_at(body, at + 16)?,
                id: String::from(id),
            });
            at += 25 + len;
        }
        Ok(out)
    }
}

/// The store path of the dump `id`.
pub fn dump_path(id: &str) -> String {
    alloc::format!("{DUMP_DIR}/{id}.nxcd")
}

/// A client of crashd.
pub struct Client<'c, C: Caller + ?Sized> {
    caller: &'c mut C,
    crashd: ServiceId,
}

impl<'c, C: Caller + ?Sized> Client<'c, C> {
    /// A client of the crashd at `crashd` (looked up with samgrd).
    pub fn new(caller: &'c mut C, crashd: ServiceId) -> Self {
        Client { caller, crashd }
    }

    fn call(&mut self, op: Op, arg: &[u8]) -> Result<Vec<u8>, Error> {
        rpc::service_rpc(self.caller, self.crashd, op as u8, arg)
    }

    /// Hands crashd the fault record of `program` (process `pid`, which faulted at
    /// `time_ns`); the dump it stored.
    pub fn submit(&mut self, submission: &Submission<'_>) -> Result<Stored, Error> {
        let body = self.call(Op::Submit, &submission.encode()?)?;
        Stored::decode(&body)
    }

    /// The size of the stored dump `id`, as statefsd reports it.
    pub fn stat(&mut self, id: &str) -> Result<u64, Error> {
        let body = self.call(Op::Stat, id.as_bytes())?;
        Ok(rpc::u64_of(&body)?)
    }

    /// Every stored dump, oldest first, with the budget and the bytes kept (paged
    /// through `List`).
    pub fn list(&mut self) -> Result<Listing, Error> {
        let mut all = Listing::default();
        loop {
            let skip = u32::try_from(all.dumps.len()).map_err(|_| SysError::BadLength)?;
            let page = Listing::decode(&self.call(Op::List, &skip.to_le_bytes())?)?;
            let done =
                page.dumps.is_empty() || all.dumps.len() + page.dumps.len() >= page.count as usize;
            all.budget = page.budget;
            all.bytes = page.bytes;
            all.count = page.count;
            all.dumps.extend(page.dumps);
            if done {
                return Ok(all);
            }
        }
    }

    /// Sets the budget of `crash/` to `bytes` (0: the default) and applies it; the
    /// previous budget.
    pub fn set_budget(&mut self, bytes: u64) -> Result<u64, Error> {
        let body = self.call(Op::Budget, &bytes.to_le_bytes())?;
        Ok(rpc::u64_of(&body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use initrd::manifest::Manifest;

    #[test]
    fn a_submission_roundtrips_and_bad_ones_are_bad_length() {
        let record = [7u8; 400];
        let s = Submission {
            pid: 12,
            time_ns: 987_654_321,
            program: "crash-demo",
            record: &record,
        };
        let arg = s.encode().unwrap();
        assert_eq!(arg.len(), 13 + 10 + 400);
        assert_eq!(Submission::decode(&arg), Ok(s.clone()));
        for len in 0..23 {
            assert_eq!(Submission::decode(&arg[..len]), Err(SysError::BadLength));
        }
        let mut upper = arg.clone();
        upper[13] = b'C';
        assert_eq!(Submission::decode(&upper), Err(SysError::BadLength));
        let mut empty = arg.clone();
        empty[12] = 0;
        assert_eq!(Submission::decode(&empty), Err(SysError::BadLength));
        let big = [0u8; FaultRecord::MAX_LEN + 1];
        let over = Submission { record: &big, ..s };
        assert_eq!(over.encode(), Err(Error::Sys(SysError::BadLength)));
    }

    #[test]
    fn only_spawn_and_runner_programs_may_submit() {
        let m = Manifest::parse(
            b"init spawn\nsamgrd boot\nselftest-client boot runner final\ncrash-demo ondemand\n",
        )
        .unwrap();
        assert!(may_submit(m.by_name("init")));
        assert!(may_submit(m.by_name("selftest-client")));
        assert!(!may_submit(m.by_name("samgrd")));
        assert!(!may_submit(m.by_name("crash-demo")));
        assert!(!may_submit(m.by_id(99)));
    }

    fn body(reply: &[u8]) -> Result<&[u8], Error> {
        abi::rpc::service_body::<CrashCode>(reply)
    }

    #[test]
    fn replies_carry_crashd_codes_and_sys_codes() {
        let stored = Stored {
            id: String::from("123-crash-demo-9"),
            size: 777,
            repeats: 3,
            functions: String::from("a<b;c"),
        };
        let r = reply(Ok(&stored.encode()));
        assert_eq!(Stored::decode(body(&r).unwrap()), Ok(stored));
        for c in [
            CrashCode::BadRecord,
            CrashCode::BadDump,
            CrashCode::Store,
            CrashCode::NotFound,
            CrashCode::OverBudget,
        ] {
            assert_eq!(body(&reply(Err(Error::Service(c)))), Err(Error::Service(c)));
        }
        let denied = Error::Sys(SysError::Denied);
        assert_eq!(body(&reply(Err(denied))), Err(denied));
        assert_eq!(
            Stored::decode(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, b'.', b'x']),
            Err(Error::Sys(SysError::BadLength))
        );
        assert_eq!(dump_path("1-a-2"), "crash/1-a-2.nxcd");
    }

    #[test]
    fn a_listing_roundtrips_and_pages_by_size() {
        let dumps: Vec<Listed> = (0..120)
            .map(|i| Listed {
                seq: i,
                size: 1000 + i,
                repeats: i % 3,
                id: alloc::format!("{}-gc-probe-{i}", 1_000_000 + i),
            })
            .collect();
        let all = Listing {
            budget: 4096,
            bytes: 12345,
            count: 120,
            dumps,
        };
        let body = all.encode(abi::ipc::MAX_MSG - 1);
        assert!(body.len() < abi::ipc::MAX_MSG);
        let page = Listing::decode(&body).unwrap();
        assert!(!page.dumps.is_empty() && page.dumps.len() < 120);
        assert_eq!(page.dumps[..], all.dumps[..page.dumps.len()]);
        assert_eq!((page.budget, page.bytes, page.count), (4096, 12345, 120));
        for len in 0..20 {
            assert!(Listing::decode(&body[..len]).is_err());
        }
        assert!(Listing::decode(&body[..body.len() - 1]).is_err());
    }
}
