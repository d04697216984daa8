//! execd's request handler and supervision, sans-IO: the service gives it each request
//! (with the sender's kernel-stamped id and its boot-manifest line), each child's end,
//! and the time; it spawns through a [`Spawner`] (the kernel in the OS, a fake in host
//! tests) and returns the replies to send, so the host tests drive the code execd runs.
//!
//! Invariants: a `Wait` is answered once, with the end of the id it names, and only after
//! the service handed that end to [`Supervisor::ended`] (so after its crash report); a
//! restart happens no earlier than its deadline; a program in the crash-loop state is
//! never started again; one image upload is open at a time, and its bytes arrive in
//! order, at most the announced length, before `ImageRun` may start it.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use abi::args::{MAX_IMAGE, MAX_PROGRAM_NAME};
use abi::rpc;
use abi::{ServiceId, SysError};
use initrd::manifest::{Manifest, Program, Restart};

use crate::policy::{Decision, Restarts};
use crate::table::Table;
use crate::{ended_reply, may_call, reply, Error, ExecCode, Op};

/// What execd needs from the kernel to start programs.
pub trait Spawner {
    /// Starts initrd program `name` as execd's child (`spawn`).
    fn spawn(&mut self, name: &str) -> Result<ServiceId, SysError>;
    /// Starts `image` from memory as `name`, execd's child (`spawn_image`).
    fn spawn_image(&mut self, image: &[u8], name: &str) -> Result<ServiceId, SysError>;
}

/// How a process ended: its exit code and its encoded fault record, if it faulted.
pub type End = (i64, Option<Vec<u8>>);

/// A reply to send: to whom, and the bytes.
pub type Answer = (ServiceId, Vec<u8>);

/// An image upload in progress.
#[derive(Debug)]
struct Upload {
    /// The runner uploading.
    owner: ServiceId,
    /// The name to start it under.
    name: String,
    /// The announced length.
    total: usize,
    /// The bytes so far.
    bytes: Vec<u8>,
}

/// execd's state: the manifest, the table, the ends waiting to be collected, the waiting
/// runners, the open upload, and how often each slot was started.
pub struct Supervisor<'m> {
    manifest: Manifest<'m>,
    table: Table,
    /// Processes started on a runner's request whose end no one collected yet.
    requested: BTreeMap<u32, Option<End>>,
    /// Runners blocked in `Wait`, by the id they wait for.
    waiters: BTreeMap<u32, ServiceId>,
    upload: Option<Upload>,
    /// Processes execd started in each service-id slot since boot. execd is the one
    /// spawner of the slots it uses, so this is the kernel's incarnation of the process
    /// in the slot (`abi::RecvHeader::incarnation`).
    slot_starts: BTreeMap<u32, u32>,
}

impl<'m> Supervisor<'m> {
    /// A supervisor of the programs of `manifest`.
    pub fn new(manifest: Manifest<'m>) -> Supervisor<'m> {
        Supervisor {
            manifest,
            table: Table::new(),
            requested: BTreeMap::new(),
            waiters: BTreeMap::new(),
            upload: None,
            slot_starts: BTreeMap::new(),
        }
    }

    /// The table (what `Status` reads).
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The manifest line of service id `id`.
    pub fn program(&self, id: ServiceId) -> Option<&Program<'m>> {
        self.manifest.by_id(id)
    }

    /// Starts the manifest's `app` programs, in manifest order; the lines to print for
    /// any that could not start.
    pub fn start_apps<S: Spawner>(&mut self, spawner: &mut S) -> Vec<String> {
        let apps: Vec<Program<'m>> = self
            .manifest
            .programs()
            .iter()
            .filter(|p| p.app)
            .copied()
            .collect();
        let mut lines = Vec::new();
        for p in apps {
            if let Err(e) = self.start(spawner, p.name, p.restart) {
                lines.push(alloc::format!("execd: cannot start {}: {e}", p.name));
            }
        }
        lines
    }

    fn start<S: Spawner>(
        &mut self,
        spawner: &mut S,
        name: &str,
        restart: Restart,
    ) -> Result<ServiceId, Error> {
        if self.table.in_crash_loop(name) {
            return Err(Error::Service(ExecCode::CrashLoop));
        }
        let id = spawner.spawn(name)?;
        self.count_start(id);
        self.table
            .started(name, id, Restarts::new(restart))
            .map_err(|_| Error::Sys(SysError::NoMemory))?;
        Ok(id)
    }

    /// Counts a start in slot `id`.
    fn count_start(&mut self, id: ServiceId) {
        *self.slot_starts.entry(id).or_insert(0) += 1;
    }

    /// The incarnation of the process execd last started in slot `pid` (1 for the
    /// slot's first; 0 for a slot execd never started).
    pub fn incarnation(&self, pid: u32) -> u32 {
        self.slot_starts.get(&pid).copied().unwrap_or(0)
    }

    /// When the earliest pending restart is due (ns since kernel start): how long execd
    /// may wait for a message.
    pub fn next_restart(&self) -> Option<u64> {
        self.table.next_restart()
    }

    /// The name of the running process `pid`, if execd supervises it.
    pub fn name_of(&self, pid: u32) -> Option<&str> {
        self.table.running(pid).map(|e| e.name.as_str())
    }

    /// Answers the request `req` from `sender`: `Some(reply)`, or `None` when the reply
    /// waits (a `Wait` before the end).
    pub fn request<S: Spawner>(
        &mut self,
        spawner: &mut S,
        sender: ServiceId,
        req: &[u8],
    ) -> Option<Vec<u8>> {
        let Some((&op, arg)) = req.split_first() else {
            return Some(reply(Err(Error::Sys(SysError::BadLength))));
        };
        let Some(op) = Op::from_byte(op) else {
            return Some(reply(Err(Error::Sys(SysError::BadSyscall))));
        };
        if !may_call(op, self.manifest.by_id(sender)) {
            return Some(reply(Err(Error::Sys(SysError::NotPermitted))));
        }
        let result = match op {
            Op::Run => self.run(spawner, arg),
            Op::Wait => match self.wait(sender, arg) {
                Ok(Some(ready)) => return Some(ready),
                Ok(None) => return None,
                Err(e) => Err(e),
            },
            Op::ImageBegin => self.image_begin(sender, arg),
            Op::ImageChunk => self.image_chunk(sender, arg),
            Op::ImageRun => self.image_run(spawner, sender),
            Op::Status => self.status(arg),
        };
        Some(reply(result.as_deref().map_err(|e| *e)))
    }

    fn run<S: Spawner>(&mut self, spawner: &mut S, arg: &[u8]) -> Result<Vec<u8>, Error> {
        let name = core::str::from_utf8(arg).map_err(|_| SysError::BadLength)?;
        let program = self
            .manifest
            .by_name(name)
            .copied()
            .ok_or(SysError::NoSuchProgram)?;
        if !program.ondemand {
            return Err(Error::Sys(SysError::Denied));
        }
        let id = self.start(spawner, program.name, program.restart)?;
        self.requested.insert(id, None);
        Ok(Vec::from(id.to_le_bytes()))
    }

    fn wait(&mut self, sender: ServiceId, arg: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        if arg.len() != 4 {
            return Err(Error::Sys(SysError::BadLength));
        }
        let id = rpc::u32_of(arg)?;
        match self.requested.get(&id) {
            None => Err(Error::Service(ExecCode::Unknown)),
            Some(Some(_)) => {
                let ended = self.requested.remove(&id).flatten();
                Ok(ended.map(|(code, record)| ended_reply(code, record.as_deref())))
            }
            Some(None) if self.waiters.contains_key(&id) => Err(Error::Service(ExecCode::Unknown)),
            Some(None) => {
                self.waiters.insert(id, sender);
                Ok(None)
            }
        }
    }

    fn image_begin(&mut self, sender: ServiceId, arg: &[u8]) -> Result<Vec<u8>, Error> {
        let total = rpc::u32_of(arg)? as usize;
        let name = arg.get(4..).ok_or(SysError::BadLength)?;
        let name = core::str::from_utf8(name).map_err(|_| SysError::BadLength)?;
        // The kernel checks the name's bytes at `ImageRun`; here only what execd keeps.
        if total == 0 || total > MAX_IMAGE || name.is_empty() || name.len() > MAX_PROGRAM_NAME {
            return Err(Error::Sys(SysError::BadLength));
        }
        if self.upload.as_ref().is_some_and(|u| u.owner != sender) {
            return Err(Error::Service(ExecCode::Busy));
        }
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(total)
            .map_err(|_| SysError::NoMemory)?;
        self.upload = Some(Upload {
            owner: sender,
            name: String::from(name),
            total,
            bytes,
        });
        Ok(Vec::new())
    }

    fn image_chunk(&mut self, sender: ServiceId, arg: &[u8]) -> Result<Vec<u8>, Error> {
        let offset = rpc::u32_of(arg)? as usize;
        let chunk = arg.get(4..).ok_or(SysError::BadLength)?;
        let upload = match &mut self.upload {
            Some(u) if u.owner == sender => u,
            Some(_) => return Err(Error::Service(ExecCode::Busy)),
            None => return Err(Error::Service(ExecCode::BadUpload)),
        };
        if offset != upload.bytes.len()
            || chunk.is_empty()
            || chunk.len() > upload.total - upload.bytes.len()
        {
            return Err(Error::Service(ExecCode::BadUpload));
        }
        upload.bytes.extend_from_slice(chunk);
        Ok(Vec::new())
    }

    fn image_run<S: Spawner>(
        &mut self,
        spawner: &mut S,
        sender: ServiceId,
    ) -> Result<Vec<u8>, Error> {
        match &self.upload {
            Some(u) if u.owner != sender => return Err(Error::Service(ExecCode::Busy)),
            Some(u) if u.bytes.len() == u.total => {}
            _ => return Err(Error::Service(ExecCode::BadUpload)),
        }
        let Some(upload) = self.upload.take() else {
            return Err(Error::Service(ExecCode::BadUpload));
        };
        let id = spawner.spawn_image(&upload.bytes, &upload.name)?;
        self.count_start(id);
        self.table
            .started(&upload.name, id, Restarts::with(None))
            .map_err(|_| SysError::NoMemory)?;
        self.requested.insert(id, None);
        Ok(Vec::from(id.to_le_bytes()))
    }

    fn status(&self, arg: &[u8]) -> Result<Vec<u8>, Error> {
        let name = core::str::from_utf8(arg).map_err(|_| SysError::BadLength)?;
        self.table
            .get(name)
            .map(|e| e.status().encode())
            .ok_or(Error::Service(ExecCode::Unknown))
    }

    /// Records the end of process `pid` (its code, its encoded fault record, the dump
    /// crashd wrote of it) at `now_ns`: what its policy decided (`None` for a process
    /// execd does not supervise), and the replies to send (a runner waiting for it).
    pub fn ended(
        &mut self,
        pid: u32,
        code: i64,
        record: Option<Vec<u8>>,
        dump_id: Option<String>,
        now_ns: u64,
    ) -> (Option<Decision>, Vec<Answer>) {
        let decision = self.table.ended(pid, code, dump_id, now_ns).map(|(_, d)| d);
        let mut answers = Vec::new();
        if let Some(slot) = self.requested.get_mut(&pid) {
            match self.waiters.remove(&pid) {
                Some(waiter) => {
                    answers.push((waiter, ended_reply(code, record.as_deref())));
                    self.requested.remove(&pid);
                }
                None => *slot = Some((code, record)),
            }
        }
        (decision, answers)
    }

    /// Starts every program whose restart is due at `now_ns`; the lines to print (one
    /// per restart, and any failure).
    pub fn restart_due<S: Spawner>(&mut self, spawner: &mut S, now_ns: u64) -> Vec<String> {
        let mut lines = Vec::new();
        for name in self.table.due(now_ns) {
            match spawner.spawn(&name) {
                Ok(id) => {
                    self.count_start(id);
                    // The row keeps its bookkeeping; the argument is for a first start.
                    let _ = self.table.started(&name, id, Restarts::with(None));
                    let starts = self.table.get(&name).map_or(0, |e| e.starts);
                    lines.push(alloc::format!("execd: restarted {name} (start {starts})"));
                }
                Err(e) => {
                    self.table.restart_failed(&name);
                    lines.push(alloc::format!("execd: cannot restart {name}: {e}"));
                }
            }
        }
        lines
    }
}
