//! Processes: the task table's entries, exits, faults and reaping.
//!
//! A process is identified by its service id (its line in the boot manifest, or a slot
//! after the manifest's for a program started from memory); the table is indexed by it.
//! The kernel keeps no per-process kernel stack: a blocked process is just a [`State`]
//! plus its saved registers, and a blocked syscall's result is written into those
//! registers when it completes.

mod fault;
mod loader;
mod sched;

use crate::arch;
use crate::kernel::Kernel;
use crate::kprintln;
use crate::mm::space::{AddressSpace, USlice};
use crate::trap::TrapFrame;
use abi::{ModuleEntry, MsgKind, RecvHeader, ServiceId, SysError};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;
use kernel_core::grants::DmaBook;

/// What a process is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Ready to run (or running).
    Runnable,
    /// In `recv`, with where the message goes.
    Receiving(RecvBuf),
    /// Its message waits in `to`'s inbox; `reply` is the reply buffer for a `call`.
    Sending {
        /// The receiver.
        to: ServiceId,
        /// The reply buffer for a call (checked writable).
        reply: Option<USlice>,
        /// The `time` tick after which the message is withdrawn with `TimedOut`
        /// (`u64::MAX`: never; `send_timeout` sets it).
        deadline: u64,
    },
    /// A `call` was received by `from`; waiting for its `reply`.
    AwaitingReply {
        /// The server.
        from: ServiceId,
        /// Reply buffer (checked writable, at most one message long).
        buf: USlice,
    },
    /// In `wait` for `child`, with the fault record buffer (if any).
    Waiting {
        /// The child.
        child: ServiceId,
        /// Record buffer (checked writable, `FaultRecord::MAX_LEN` bytes).
        rec: Option<USlice>,
    },
    /// In `sleep` until the given `time` tick.
    Sleeping(u64),
    /// Ended; waits for its parent's `wait`.
    Zombie,
}

/// Where a process blocked in `recv` wants its message (checked writable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvBuf {
    /// Payload buffer (its usable part: at most one message).
    pub buf: USlice,
    /// Where the header goes.
    pub hdr: USlice,
    /// The `time` tick after which the receive gives up with `TimedOut` (`u64::MAX`:
    /// never; `recv_timeout` sets it).
    pub deadline: u64,
}

/// How a process ended.
pub struct ExitInfo {
    /// Its exit code (`-(scause + 1)` for a fault).
    pub code: i64,
    /// The encoded fault record, for a fault.
    pub record: Option<Box<[u8]>>,
}

/// A program's name: a manifest entry's, or the one given to `spawn_image`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ProgramName {
    bytes: [u8; abi::args::MAX_PROGRAM_NAME],
    len: usize,
}

impl ProgramName {
    /// The name `name`, if it is a valid program name (`[a-z0-9._-]`, 1 to 31 bytes).
    pub fn new(name: &[u8]) -> Option<ProgramName> {
        if !initrd::is_valid_name(name) || name.len() > abi::args::MAX_PROGRAM_NAME {
            return None;
        }
        let mut bytes = [0u8; abi::args::MAX_PROGRAM_NAME];
        bytes[..name.len()].copy_from_slice(name);
        Some(ProgramName {
            bytes,
            len: name.len(),
        })
    }

    /// The name's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl fmt::Display for ProgramName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("?"))
    }
}

/// One process.
pub struct Task {
    /// Program name.
    pub name: ProgramName,
    /// The supervisor (0: none).
    pub parent: ServiceId,
    /// May use `spawn`.
    pub may_spawn: bool,
    /// May use `spawn_image` (an `exec` program).
    pub may_exec: bool,
    /// May use `bench_switch` (a `runner` program).
    pub may_bench: bool,
    /// Saved registers, inline in the task table (beside the state and the translation
    /// cache the IPC path reads), whose slots never move while the kernel runs.
    pub frame: TrapFrame,
    /// Its memory; `None` once it has ended.
    pub space: Option<AddressSpace>,
    /// What it is doing.
    pub state: State,
    /// Its loaded module, for fault records.
    pub module: ModuleEntry,
    /// Senders blocked on this process, in arrival order.
    pub inbox: VecDeque<ServiceId>,
    /// Children that ended, not yet announced by `recv`.
    pub notices: VecDeque<ServiceId>,
    /// The message this process is sending while `Sending`.
    pub outgoing: Vec<u8>,
    /// How it ended, once `Zombie`.
    pub exit: Option<ExitInfo>,
    /// Its device grants: indices into `Kernel::windows`, in grant order.
    pub grants: Vec<usize>,
    /// Which of its grants' windows are mapped (bit `i` for grant `i`).
    pub mapped: u32,
    /// Its DMA regions' virtual range.
    pub dma: DmaBook,
    /// How many programs its slot has started since boot, this one included: the
    /// incarnation the kernel stamps beside its service id in every message it sends.
    pub incarnation: u32,
}

impl Kernel {
    /// Ends process `id` with `code` (and a fault record): frees its memory (DMA pages
    /// included; device windows stay the device's), fails its pending peers with
    /// `PeerGone`, withdraws its queued message, tells its supervisor.
    pub fn exit_task(&mut self, id: ServiceId, code: i64, record: Option<Box<[u8]>>) {
        let Some(task) = self.task(id) else { return };
        let name = task.name;
        let parent = task.parent;
        let inbox: Vec<ServiceId> = task.inbox.drain(..).collect();
        let sending_to = match task.state {
            State::Sending { to, .. } => Some(to),
            _ => None,
        };
        task.notices.clear();
        task.outgoing = Vec::new();
        task.state = State::Zombie;
        task.exit = Some(ExitInfo { code, record });
        if let Some(space) = task.space.take() {
            // Never free the tables the hart is walking: leave for the kernel's space.
            if space.satp() == self.loaded_satp {
                let satp = self.kernel_space.satp();
                self.load_space(satp);
            }
            space.release(&mut self.frames);
        }
        if let Some(r) = sending_to.and_then(|to| self.task(to)) {
            r.inbox.retain(|s| *s != id);
        }
        if id == 1 {
            kprintln!(
                "kernel: {name} exited with {code}; {} frames in use at shutdown",
                self.frames.in_use()
            );
            if code == 0 {
                arch::exit_qemu(0);
            }
            kprintln!("kernel: FAIL: {name} ended with {code}");
            arch::exit_qemu(1);
        }
        for s in inbox {
            self.complete(s, Err(SysError::PeerGone));
        }
        let ids: Vec<ServiceId> = (1..self.tasks.len() as ServiceId).collect();
        for other in ids {
            let Some(t) = self.task(other) else { continue };
            if matches!(t.state, State::AwaitingReply { from, .. } if from == id) {
                self.complete(other, Err(SysError::PeerGone));
            } else if t.parent == id {
                t.parent = 0;
                if t.state == State::Zombie {
                    self.tasks[other as usize] = None;
                }
            }
        }
        let parent_state = self.task(parent).map(|p| p.state);
        match parent_state {
            None => self.tasks[id as usize] = None,
            Some(State::Waiting { child, rec }) if child == id => {
                let result = self.reap(parent, id, rec);
                self.complete(parent, result);
            }
            Some(State::Receiving(to)) => {
                self.deliver_notice(parent, id, to);
            }
            Some(_) => {
                if let Some(p) = self.task(parent) {
                    p.notices.push_back(id);
                }
            }
        }
    }

    /// Announces the end of `child` to `parent`, blocked in `recv`.
    pub fn deliver_notice(&mut self, parent: ServiceId, child: ServiceId, to: RecvBuf) {
        let header = RecvHeader {
            sender: abi::ipc::KERNEL_ID,
            kind: MsgKind::ChildExited,
            len: 4,
            incarnation: 0,
        };
        let result = match self.task(parent).and_then(|p| p.space.as_ref()) {
            Some(_) if to.buf.len() < 4 => Err(SysError::Truncated),
            Some(space) => space
                .write_user(&to.buf, &child.to_le_bytes())
                .and_then(|()| space.write_user(&to.hdr, &header.to_bytes()))
                .map(|()| 4),
            None => return,
        };
        self.complete(parent, result);
    }

    /// Collects ended `child` for `parent`: writes its record at `rec` (when both exist),
    /// frees its slot, returns its code.
    pub fn reap(
        &mut self,
        parent: ServiceId,
        child: ServiceId,
        rec: Option<USlice>,
    ) -> Result<usize, SysError> {
        let Some(exit) = self.task(child).and_then(|c| c.exit.take()) else {
            return Err(SysError::NotPermitted);
        };
        if let (Some(record), Some(rec)) = (&exit.record, rec) {
            let written = self
                .task(parent)
                .and_then(|p| p.space.as_ref())
                .map(|s| s.write_user(&rec, record));
            if let Some(Err(e)) = written {
                if let Some(c) = self.task(child) {
                    c.exit = Some(exit);
                }
                return Err(e);
            }
        }
        self.tasks[child as usize] = None;
        if let Some(p) = self.task(parent) {
            p.notices.retain(|c| *c != child);
        }
        Ok(exit.code as usize)
    }

    /// A fault in the current process: build its record and end it with `code` (the
    /// ABI's fault exit code for `scause`). Kept out of line: its record (about 1.7 KiB)
    /// must not grow the stack frame every trap shares, so the syscall paths stay within
    /// the kernel stack's top page.
    #[inline(never)]
    pub fn fault(&mut self, scause: u64, code: i64, stval: u64) {
        let id = self.current;
        let Some(task) = self.task(id) else { return };
        let record = fault::build(task, scause, stval);
        kprintln!(
            "kernel: {} (id {id}) fault scause {scause} stval {stval:#x} pc {:#x}; ended",
            task.name,
            task.frame.sepc
        );
        let mut bytes = alloc::vec![0u8; record.encoded_len()];
        let encoded = record
            .encode(&mut bytes)
            .ok()
            .map(|_| bytes.into_boxed_slice());
        self.exit_task(id, code, encoded);
        self.switch = true;
    }

    /// Starts manifest program `name` as a child of `parent`.
    pub fn spawn(&mut self, name: &str, parent: ServiceId) -> Result<ServiceId, SysError> {
        loader::spawn(self, name, parent)
    }

    /// Starts the ELF `image` as a child of `parent`, named `name`, in a free slot after
    /// the manifest's programs.
    pub fn spawn_image(
        &mut self,
        image: &[u8],
        name: ProgramName,
        parent: ServiceId,
    ) -> Result<ServiceId, SysError> {
        loader::spawn_image(self, image, name, parent)
    }
}
