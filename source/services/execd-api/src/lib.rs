//! execd's IPC interface (the supervisor of the app programs): its ops, wire layout,
//! status codes, who may call what ([`may_call`]), client stubs ([`Client`]), the reply
//! that reports a program's end ([`ended_reply`]), the restart policy ([`policy`]), the
//! supervision table ([`table`]) and the request handler ([`server`], sans-IO over a
//! [`server::Spawner`]), so host tests drive the code execd runs.
//! Contract: docs/architecture/execd.md.
//!
//! Requests follow `abi::rpc` (an op byte, then the argument; replies a status byte,
//! then the body); integers little-endian:
//!
//! | op | request argument | reply body | who |
//! | --- | --- | --- | --- |
//! | 1 `Run` | program name | id `u32` | `runner` programs |
//! | 2 `Wait` | id `u32` | exit code `i64`, then the fault record if it faulted | `runner` programs |
//! | 3 `ImageBegin` | total length `u32` (1 to 512 KiB), name | empty | `runner` programs |
//! | 4 `ImageChunk` | offset `u32`, bytes | empty | the runner whose upload is open |
//! | 5 `ImageRun` | | id `u32` | the runner whose upload is open |
//! | 6 `Status` | program name | [`Status`] | anyone |
//!
//! Status codes: the `abi::SysError` codes for the request itself (`BadSyscall` an
//! unknown op; `BadLength` a malformed argument; `NotPermitted` a sender the op is not
//! for; the kernel's own refusal of a spawn, e.g. `NoSuchProgram`, `AlreadyRunning`,
//! `BadImage`, passed on), and from 64 execd's own ([`ExecCode`]).
#![no_std]

extern crate alloc;

pub mod policy;
pub mod server;
pub mod table;

use abi::args::{MAX_IMAGE, MAX_PROGRAM_NAME};
use abi::ipc::MAX_MSG;
use abi::rpc::{self, Caller};
use abi::{FaultRecord, ServiceId, SysError};
use alloc::string::String;
use alloc::vec::Vec;
use initrd::manifest::Program;

/// The name execd registers under (and its boot-manifest program).
pub const SERVICE_NAME: &str = "execd";
/// The most image bytes one `ImageChunk` carries (a message less the op and offset).
pub const MAX_CHUNK: usize = MAX_MSG - 1 - 4;

/// execd's operations.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Start an `ondemand` program of the initrd.
    Run = 1,
    /// Wait for a program started with `Run` or `ImageRun`.
    Wait = 2,
    /// Open an upload of an ELF image to start from memory.
    ImageBegin = 3,
    /// The next bytes of the open upload.
    ImageChunk = 4,
    /// Start the uploaded image (`spawn_image`).
    ImageRun = 5,
    /// A program's supervision state.
    Status = 6,
}

impl Op {
    /// The op with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<Op> {
        Some(match b {
            1 => Op::Run,
            2 => Op::Wait,
            3 => Op::ImageBegin,
            4 => Op::ImageChunk,
            5 => Op::ImageRun,
            6 => Op::Status,
            _ => return None,
        })
    }
}

/// execd's own status codes (64 and up).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecCode {
    /// No such program or process under execd: a `Status` of a name execd never
    /// started, a `Wait` for an id it did not start on request (or whose end was
    /// collected).
    Unknown = 64,
    /// Another runner's upload is open (one upload at a time).
    Busy = 65,
    /// An upload step out of order: a chunk not at the next offset or past the
    /// announced length, `ImageRun` before every byte arrived, no upload open.
    BadUpload = 66,
    /// `Run` of a program in the crash-loop state.
    CrashLoop = 67,
}

impl ExecCode {
    /// The code with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<ExecCode> {
        Some(match b {
            64 => ExecCode::Unknown,
            65 => ExecCode::Busy,
            66 => ExecCode::BadUpload,
            67 => ExecCode::CrashLoop,
            _ => return None,
        })
    }
}

impl rpc::ServiceCode for ExecCode {
    fn from_byte(b: u8) -> Option<ExecCode> {
        ExecCode::from_byte(b)
    }

    fn byte(self) -> u8 {
        self as u8
    }
}

/// Why a request failed, as the client sees it: a `SysError`, or execd's code.
pub type Error = rpc::ServiceError<ExecCode>;

/// A reply: status 0 and `body`, or the error's code alone.
pub fn reply(result: Result<&[u8], Error>) -> Vec<u8> {
    rpc::service_status(result)
}

/// Who may call `op`, decided from `program`, the manifest line of the
/// **kernel-stamped sender id** (`None`: no manifest program, e.g. one started from
/// memory): `Status` anyone; the rest `runner` programs.
pub fn may_call(op: Op, program: Option<&Program<'_>>) -> bool {
    match op {
        Op::Status => true,
        Op::Run | Op::Wait | Op::ImageBegin | Op::ImageChunk | Op::ImageRun => {
            program.is_some_and(|p| p.runner)
        }
    }
}

/// Whether `name` is a program name the kernel accepts: 1 to 31 bytes of `[a-z0-9._-]`.
pub fn valid_name(name: &str) -> bool {
    name.len() <= MAX_PROGRAM_NAME && initrd::is_valid_name(name.as_bytes())
}

/// The reply to `Wait`: status 0, the exit code, then the record's bytes if any.
pub fn ended_reply(code: i64, record: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::from(code.to_le_bytes());
    if let Some(r) = record {
        body.extend_from_slice(r);
    }
    rpc::status(Ok(&body))
}

/// Decodes the body of a `Wait` reply: the exit code and the fault record, if any.
pub fn decode_ended(body: &[u8]) -> Result<(i64, Option<FaultRecord>), SysError> {
    let code = rpc::u64_of(body)? as i64;
    let record = match body.get(8..) {
        Some(rest) if !rest.is_empty() => {
            Some(FaultRecord::decode(rest).map_err(|_| SysError::BadLength)?)
        }
        _ => None,
    };
    Ok((code, record))
}

/// A program's supervision state, as `Status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Its process runs.
    Running = 1,
    /// It ended and will not be started again by execd (a clean exit, `restart=never`).
    Ended = 2,
    /// It crashed and waits for its restart delay.
    RestartPending = 3,
    /// It crashed too often within the window: not restarted.
    CrashLoop = 4,
}

impl State {
    /// The state with byte `b`, if any.
    pub fn from_byte(b: u8) -> Option<State> {
        Some(match b {
            1 => State::Running,
            2 => State::Ended,
            3 => State::RestartPending,
            4 => State::CrashLoop,
            _ => return None,
        })
    }
}

/// The `Status` reply body: state `u8`, starts `u32`, ends `u32`, crashes in the window
/// `u32`, pid `u32` (the current or last process), last exit code `i64` (0 before the
/// first end), then the id of the last crash dump crashd wrote for it (may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Where it is.
    pub state: State,
    /// How often execd started it.
    pub starts: u32,
    /// How often it ended.
    pub ends: u32,
    /// Crashes counted in the restart window (always 0 under `restart=never`).
    pub crashes: u32,
    /// The service id of its current or last process.
    pub pid: u32,
    /// Its last exit code (0 before its first end).
    pub last_code: i64,
    /// The id of its last crash dump (`state:/crash/<id>.nxcd`), if crashd wrote one.
    pub dump_id: Option<String>,
}

/// Bytes of the fixed part of a [`Status`] body.
const STATUS_FIXED: usize = 1 + 4 * 4 + 8;

impl Status {
    /// The reply body.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(STATUS_FIXED + 64);
        b.push(self.state as u8);
        for v in [self.starts, self.ends, self.crashes, self.pid] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&self.last_code.to_le_bytes());
        if let Some(id) = &self.dump_id {
            b.extend_from_slice(id.as_bytes());
        }
        b
    }

    /// Decodes a reply body (`BadLength` when short, an unknown state, a dump id that
    /// is not UTF-8).
    pub fn decode(body: &[u8]) -> Result<Status, SysError> {
        let state = body
            .first()
            .and_then(|b| State::from_byte(*b))
            .ok_or(SysError::BadLength)?;
        let dump = body.get(STATUS_FIXED..).ok_or(SysError::BadLength)?;
        let dump = core::str::from_utf8(dump).map_err(|_| SysError::BadLength)?;
        Ok(Status {
            state,
            starts: rpc::u32_at(body, 1)?,
            ends: rpc::u32_at(body, 5)?,
            crashes: rpc::u32_at(body, 9)?,
            pid: rpc::u32_at(body, 13)?,
            last_code: rpc::u64_at(body, 17)? as i64,
            dump_id: (!dump.is_empty()).then(|| String::from(dump)),
        })
    }
}

/// A client of execd.
pub struct Client<'c, C: Caller + ?Sized> {
    caller: &'c mut C,
    execd: ServiceId,
}

impl<'c, C: Caller + ?Sized> Client<'c, C> {
    /// A client of the execd at `execd` (looked up with samgrd).
    pub fn new(caller: &'c mut C, execd: ServiceId) -> Self {
        Client { caller, execd }
    }

    fn call(&mut self, op: Op, arg: &[u8]) -> Result<Vec<u8>, Error> {
        rpc::service_rpc(self.caller, self.execd, op as u8, arg)
    }

    /// Asks execd to start `ondemand` program `name` (runners only): its id.
    pub fn run(&mut self, name: &str) -> Result<ServiceId, Error> {
        Ok(rpc::u32_of(&self.call(Op::Run, name.as_bytes())?)?)
    }

    /// Waits for a program started with [`Client::run`] or [`Client::run_image`]: its
    /// exit code and, for a fault, its record.
    pub fn wait_for(&mut self, id: ServiceId) -> Result<(i64, Option<FaultRecord>), Error> {
        Ok(decode_ended(&self.call(Op::Wait, &id.to_le_bytes())?)?)
    }

    /// Hands execd `image` in chunks and has it start the image as `name` (runners
    /// only): the new process's id. Refused before sending when `image` is empty or over
    /// 512 KiB (`BadLength`); the kernel's checks of the image and the name come back as
    /// its errors (`BadImage`, `BadLength`).
    pub fn run_image(&mut self, image: &[u8], name: &str) -> Result<ServiceId, Error> {
        if image.is_empty() || image.len() > MAX_IMAGE || name.len() > MAX_PROGRAM_NAME {
            return Err(Error::Sys(SysError::BadLength));
        }
        let mut begin = Vec::from((image.len() as u32).to_le_bytes());
        begin.extend_from_slice(name.as_bytes());
        self.call(Op::ImageBegin, &begin)?;
        for (i, chunk) in image.chunks(MAX_CHUNK).enumerate() {
            let mut arg = Vec::with_capacity(4 + chunk.len());
            arg.extend_from_slice(&((i * MAX_CHUNK) as u32).to_le_bytes());
            arg.extend_from_slice(chunk);
            self.call(Op::ImageChunk, &arg)?;
        }
        Ok(rpc::u32_of(&self.call(Op::ImageRun, &[])?)?)
    }

    /// The supervision state of program `name`.
    pub fn status(&mut self, name: &str) -> Result<Status, Error> {
        Ok(Status::decode(&self.call(Op::Status, name.as_bytes())?)?)
    }
}

#[cfg(test)]
mod tests;
