//! Processes: the task table, the round-robin scheduler, exits and faults.
//!
//! A process is identified by its service id (its line in the boot manifest); the table
//! is indexed by it. The kernel keeps no per-process kernel stack: a blocked process is
//! just a [`State`] plus its saved registers, and a blocked syscall's result is written
//! into those registers when it completes.

mod fault;
mod loader;

use crate::boot::BootInfo;
use crate::mm::frame::FrameAllocator;
use crate::mm::space::AddressSpace;
use crate::trap::{self, TrapFrame};
use crate::{arch, kprintln};
use abi::{ModuleEntry, MsgKind, RecvHeader, ServiceId, SysError};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;
use initrd::manifest::Manifest;
use initrd::Archive;

/// A time slice: 2 ms, in nanoseconds.
const SLICE_NS: u64 = 2_000_000;

/// What a process is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Ready to run (or running).
    Runnable,
    /// In `recv`, with where the message goes.
    Receiving(RecvBuf),
    /// Its message waits in `to`'s inbox; `reply` is `Some((buf, cap))` for a `call`.
    Sending {
        /// The receiver.
        to: ServiceId,
        /// The reply buffer for a call.
        reply: Option<(usize, usize)>,
    },
    /// A `call` was received by `from`; waiting for its `reply`.
    AwaitingReply {
        /// The server.
        from: ServiceId,
        /// Reply buffer.
        buf: usize,
        /// Its capacity.
        cap: usize,
    },
    /// In `wait` for `child`, with the fault record buffer (0 for none).
    Waiting {
        /// The child.
        child: ServiceId,
        /// Record buffer.
        rec: usize,
    },
    /// In `sleep` until the given `time` tick.
    Sleeping(u64),
    /// Ended; waits for its parent's `wait`.
    Zombie,
}

/// Where a process blocked in `recv` wants its message (user addresses, checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvBuf {
    /// Payload buffer.
    pub buf: usize,
    /// Its capacity.
    pub cap: usize,
    /// Where the header goes.
    pub hdr: usize,
}

/// How a process ended.
pub struct ExitInfo {
    /// Its exit code (`-(scause + 1)` for a fault).
    pub code: i64,
    /// The encoded fault record, for a fault.
    pub record: Option<Box<[u8]>>,
}

/// One process.
pub struct Task {
    /// Program name (from the manifest).
    pub name: &'static str,
    /// The supervisor (0: none).
    pub parent: ServiceId,
    /// May use `spawn`.
    pub may_spawn: bool,
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
}

/// Why the kernel could not start.
#[derive(Debug)]
pub enum StartError {
    /// The initrd is malformed.
    Initrd(initrd::Error),
    /// No `boot.manifest` in the initrd, or a malformed one.
    Manifest,
    /// No RAM left for the kernel's own page table.
    NoMemory,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Initrd(e) => write!(f, "{e}"),
            StartError::Manifest => f.write_str("initrd: missing or malformed boot.manifest"),
            StartError::NoMemory => f.write_str("no memory for the kernel page table"),
        }
    }
}

/// All kernel state.
pub struct Kernel {
    /// Physical frames.
    pub frames: FrameAllocator,
    /// The boot manifest.
    pub manifest: Manifest<'static>,
    /// The initrd.
    pub archive: Archive<'static>,
    /// Processes by service id (index 0 unused: the kernel).
    pub tasks: Vec<Option<Task>>,
    /// The process that trapped (or runs next).
    pub current: ServiceId,
    /// Set when the current process must give up the hart.
    switch: bool,
    /// Whether a slice timer is pending (re-armed only after it fired or idling).
    timer_armed: bool,
    /// A process to run next without a scan (a `call`'s receiver, just woken).
    handoff: Option<ServiceId>,
    /// No sleeper is due before this `time` tick (`u64::MAX`: nobody sleeps), so the
    /// scheduler scans for sleepers to wake only once it has passed.
    next_wake: u64,
    loaded_satp: u64,
    /// ASID bits the hart implements.
    asid_bits: u32,
    /// Whether spaces carry ASIDs (switches then need no fence).
    asids: bool,
    /// `time` ticks per second.
    pub timebase: u64,
    /// `time` at boot.
    pub boot_ticks: u64,
    kernel_space: AddressSpace,
    /// A space that maps only the kernel, the other end of measured switches.
    spare_space: Option<AddressSpace>,
}

extern "C" {
    static __kernel_end: u8;
}

impl Kernel {
    /// Checks the initrd and manifest, takes over RAM and turns on paging.
    pub fn new(info: &BootInfo) -> Result<Kernel, StartError> {
        let archive = Archive::parse(info.initrd).map_err(StartError::Initrd)?;
        let text = archive.find("boot.manifest").ok_or(StartError::Manifest)?;
        let manifest = Manifest::parse(text).map_err(|_| StartError::Manifest)?;
        let kernel_end = &raw const __kernel_end as u64;
        let initrd = (
            info.initrd.as_ptr() as u64,
            (info.initrd.as_ptr() as usize + info.initrd.len()) as u64,
        );
        let mut frames = FrameAllocator::new(
            kernel_end,
            (info.ram_start + info.ram_size) as u64,
            &[initrd, (info.dtb.0 as u64, info.dtb.1 as u64)],
        );
        let kernel_space = AddressSpace::new(&mut frames, 0).ok_or(StartError::NoMemory)?;
        arch::switch_space(kernel_space.satp());
        // Each process's translations carry its service id as ASID when the hart has
        // enough ASID bits for every id (and one spare for the switch benchmark), unless
        // the command line says `asid=off`.
        let asid_bits = arch::probe_asid_bits(kernel_space.satp());
        let asids =
            !info.asid_off && (manifest.programs().len() as u64 + 2) <= (1u64 << asid_bits.min(16));
        let mut tasks = Vec::new();
        tasks.resize_with(manifest.programs().len() + 1, || None);
        Ok(Kernel {
            frames,
            manifest,
            archive,
            tasks,
            current: 0,
            switch: true,
            timer_armed: false,
            handoff: None,
            next_wake: u64::MAX,
            loaded_satp: kernel_space.satp(),
            asid_bits,
            asids,
            timebase: info.timebase,
            boot_ticks: arch::time(),
            kernel_space,
            spare_space: None,
        })
    }

    /// The ASID a new space for process `id` gets (0 when ASIDs are not used).
    pub fn asid_for(&self, id: ServiceId) -> u16 {
        if self.asids {
            id as u16
        } else {
            0
        }
    }

    /// Loads `satp`: a tagged switch with ASIDs, else a switch with a full fence.
    fn load_space(&mut self, satp: u64) {
        if self.asids {
            arch::switch_space_tagged(satp);
        } else {
            arch::switch_space(satp);
        }
        self.loaded_satp = satp;
    }

    /// How switches are made, for the boot log.
    pub fn space_mode(&self) -> (bool, u32) {
        (self.asids, self.asid_bits)
    }

    /// Programs in the manifest.
    pub fn program_count(&self) -> usize {
        self.manifest.programs().len()
    }

    /// Nanoseconds since boot.
    pub fn now_ns(&self) -> u64 {
        self.ticks_to_ns(arch::time().saturating_sub(self.boot_ticks))
    }

    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        (u128::from(ticks) * 1_000_000_000 / u128::from(self.timebase.max(1))) as u64
    }

    fn ns_to_ticks(&self, ns: u64) -> u64 {
        (u128::from(ns) * u128::from(self.timebase) / 1_000_000_000) as u64
    }

    /// The task with id `id`, if it exists.
    pub fn task(&mut self, id: ServiceId) -> Option<&mut Task> {
        self.tasks.get_mut(id as usize)?.as_mut()
    }

    /// The current task (always present while it runs a syscall).
    pub fn cur(&mut self) -> Option<&mut Task> {
        let id = self.current;
        self.task(id)
    }

    /// Gives a blocked task the result of its syscall and makes it runnable.
    #[inline(always)]
    pub fn complete(&mut self, id: ServiceId, result: Result<usize, SysError>) {
        if let Some(t) = self.task(id) {
            t.frame.set_result(result);
            t.state = State::Runnable;
        }
    }

    /// Marks the current process as giving up the hart.
    pub fn reschedule(&mut self) {
        self.switch = true;
    }

    /// The current process blocks and hands the hart straight to `to` (runnable): no
    /// scan of the round for this switch.
    pub fn hand_off(&mut self, to: ServiceId) {
        self.switch = true;
        self.handoff = Some(to);
    }

    /// Puts the current process to sleep until `time` tick `until`.
    pub fn sleep_until(&mut self, until: u64) -> bool {
        let Some(t) = self.cur() else { return false };
        t.state = State::Sleeping(until);
        self.next_wake = self.next_wake.min(until);
        true
    }

    /// Timer interrupt: the current process goes to the back of the round.
    pub fn preempt(&mut self) {
        self.switch = true;
        self.timer_armed = false;
    }

    /// Measures an address-space switch: `satp` write + `sfence.vma`, timed over a loop
    /// between two spaces that map only the kernel; then the switch the kernel makes with
    /// ASIDs (a tagged `satp` write alone), and the TLB refill per page after a switch.
    fn bench_space_switch(&mut self) {
        // An ASID no process has (ids run 1..tasks.len()), or 0 without ASIDs.
        let spare = if self.asids {
            self.tasks.len() as u16
        } else {
            0
        };
        let Some(other) = AddressSpace::new(&mut self.frames, spare) else {
            return;
        };
        let (a, b) = (self.kernel_space.satp(), other.satp());
        let switch = |_: ()| {
            arch::switch_space(b);
            arch::switch_space(a);
        };
        let ns = self.time_switches(switch, ());
        kprintln!("bench: address-space switch at boot (satp + sfence.vma) {ns} ns");
        if self.asids {
            let tagged = self.time_switches(
                |_: ()| {
                    arch::switch_space_tagged(b);
                    arch::switch_space_tagged(a);
                },
                (),
            );
            kprintln!(
                "bench: address-space switch with ASIDs (satp alone, {} ASID bits) {tagged} ns",
                self.asid_bits
            );
        }
        // The same switch followed by a touch of PAGES distinct pages: what refilling
        // the (emulated) TLB costs per page once a switch has flushed it.
        const PAGES: usize = 16;
        let mut pages = [0u64; PAGES];
        for p in pages.iter_mut() {
            *p = self.frames.alloc().unwrap_or(0);
        }
        let touch = |pages: &[u64; PAGES]| {
            for &pa in pages.iter().filter(|pa| **pa != 0) {
                // SAFETY: each `pa` is a zeroed frame just allocated for this loop,
                // identity-mapped for the kernel; an aligned u64 read of it is sound.
                unsafe { core::ptr::read_volatile(pa as *const u64) };
            }
        };
        let with_refill = self.time_switches(
            |pages: &[u64; PAGES]| {
                arch::switch_space(b);
                touch(pages);
                arch::switch_space(a);
                touch(pages);
            },
            &pages,
        );
        for pa in pages.into_iter().filter(|pa| *pa != 0) {
            self.frames.release(pa);
        }
        // Every loop ended in the kernel's space (`a`); the spare space stays for
        // `bench_switch`.
        self.spare_space = Some(other);
        kprintln!(
            "bench: TLB refill after a switch {} ns per page ({PAGES} pages)",
            with_refill.saturating_sub(ns) / PAGES as u64
        );
    }

    /// Nanoseconds `pairs` switch pairs take (`satp` + `sfence.vma` to the spare space and
    /// back to the loaded one), or `None` before the spare space exists.
    pub fn time_switch_pairs(&self, pairs: u64) -> Option<u64> {
        let (spare, back) = (self.spare_space.as_ref()?.satp(), self.loaded_satp);
        let start = arch::time();
        for _ in 0..pairs {
            arch::switch_space(spare);
            arch::switch_space(back);
        }
        Some(self.ticks_to_ns(arch::time() - start))
    }

    /// Nanoseconds per switch of `pair` (which makes two), after a warm-up: the emulator
    /// translates the loop's code on its first runs.
    fn time_switches<T: Copy>(&self, pair: impl Fn(T), arg: T) -> u64 {
        const ROUNDS: u64 = 2000;
        for _ in 0..64 {
            pair(arg);
        }
        let start = arch::time();
        for _ in 0..ROUNDS / 2 {
            pair(arg);
        }
        self.ticks_to_ns(arch::time() - start) / ROUNDS
    }

    /// Ends process `id` with `code` (and a fault record): frees its memory, fails its
    /// pending peers with `PeerGone`, tells its supervisor.
    pub fn exit_task(&mut self, id: ServiceId, code: i64, record: Option<Box<[u8]>>) {
        let Some(task) = self.task(id) else { return };
        let name = task.name;
        let parent = task.parent;
        let inbox: Vec<ServiceId> = task.inbox.drain(..).collect();
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
        };
        let result = match self.task(parent).and_then(|p| p.space.as_ref()) {
            Some(_) if to.cap < 4 => Err(SysError::Truncated),
            Some(space) => space
                .write_user(to.buf, &child.to_le_bytes())
                .and_then(|()| space.write_user(to.hdr, &header.to_bytes()))
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
        rec: usize,
    ) -> Result<usize, SysError> {
        let Some(exit) = self.task(child).and_then(|c| c.exit.take()) else {
            return Err(SysError::NotPermitted);
        };
        if let (Some(record), true) = (&exit.record, rec != 0) {
            let written = self
                .task(parent)
                .and_then(|p| p.space.as_ref())
                .map(|s| s.write_user(rec, record));
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

    /// Starts program `name` as a child of `parent`.
    pub fn spawn(&mut self, name: &str, parent: ServiceId) -> Result<ServiceId, SysError> {
        loader::spawn(self, name, parent)
    }

    /// Wakes every sleeper whose time has come (scanning only when one may be due);
    /// returns the earliest deadline still pending.
    fn wake_sleepers(&mut self) -> Option<u64> {
        let now = arch::time();
        if now < self.next_wake {
            return (self.next_wake != u64::MAX).then_some(self.next_wake);
        }
        let mut earliest: Option<u64> = None;
        for t in self.tasks.iter_mut().flatten() {
            if let State::Sleeping(until) = t.state {
                if until <= now {
                    t.frame.set_result(Ok(0));
                    t.state = State::Runnable;
                } else {
                    earliest = Some(earliest.map_or(until, |e| e.min(until)));
                }
            }
        }
        self.next_wake = earliest.unwrap_or(u64::MAX);
        earliest
    }

    fn runnable(&self, id: ServiceId) -> bool {
        matches!(self.tasks.get(id as usize), Some(Some(t)) if t.state == State::Runnable)
    }

    /// Makes `id` the current process: arms the slice timer if needed, loads its address
    /// space, returns its frame.
    fn enter(&mut self, id: ServiceId) -> Option<*mut TrapFrame> {
        self.current = id;
        // The slice timer runs on across switches: a process switched in mid-slice gets
        // the rest of it. One SBI call per slice, not per switch.
        if !self.timer_armed {
            let slice = self.ns_to_ticks(SLICE_NS);
            arch::set_timer(arch::time() + slice);
            self.timer_armed = true;
        }
        let satp = self
            .task(id)
            .and_then(|t| t.space.as_ref())
            .map(|s| s.satp());
        if let Some(satp) = satp.filter(|s| *s != self.loaded_satp) {
            self.load_space(satp);
        }
        self.task(id).map(|t| &mut t.frame as *mut TrapFrame)
    }

    /// Picks the process to run next and returns its frame (switching `satp` as needed).
    #[link_section = ".text.hot"]
    pub fn resume(&mut self) -> *mut TrapFrame {
        if !self.switch && self.runnable(self.current) {
            if let Some(t) = self.cur() {
                return &mut t.frame;
            }
        }
        self.switch = false;
        if let Some(id) = self.handoff.take().filter(|id| self.runnable(*id)) {
            if let Some(frame) = self.enter(id) {
                return frame;
            }
        }
        let n = self.tasks.len() as ServiceId;
        loop {
            let earliest = self.wake_sleepers();
            let next = (1..=n)
                .map(|k| (self.current + k) % n)
                .find(|id| *id != 0 && self.runnable(*id));
            if let Some(id) = next {
                if let Some(frame) = self.enter(id) {
                    return frame;
                }
                continue;
            }
            let Some(when) = earliest else {
                // Every process waits on another: a user-level deadlock, not a kernel
                // fault. Nothing can ever run again, so stop with a failure status.
                kprintln!("kernel: FAIL: every process is blocked and none sleeps; stopping");
                arch::exit_qemu(2);
            };
            arch::set_timer(when);
            self.timer_armed = false;
            while !arch::timer_pending() {
                arch::wait_for_interrupt();
            }
        }
    }
}

/// The kernel state, reached only from `rust_main` and the trap handler.
struct KernelCell(UnsafeCell<Option<Kernel>>);

// SAFETY: one hart runs the kernel, with interrupts masked in S-mode, and the trap
// handler is never re-entered (a trap in S-mode panics), so the cell is never shared.
unsafe impl Sync for KernelCell {}

static KERNEL: KernelCell = KernelCell(UnsafeCell::new(None));

/// Runs `f` on the kernel state (inlined: the trap path stays in `.text.hot`).
#[inline(always)]
pub fn with_kernel<R>(f: impl FnOnce(&mut Kernel) -> R) -> R {
    // SAFETY: see `KernelCell`: no other reference to the state exists while `f` runs.
    let slot = unsafe { &mut *KERNEL.0.get() };
    match slot {
        Some(k) => f(k),
        None => panic!("kernel state used before boot"),
    }
}

/// Installs the state, measures, starts init and enters it (`rust_main` installed the
/// trap vector first). Never returns.
pub fn start(kernel: Kernel) -> ! {
    // SAFETY: see `KernelCell`: called once at boot, before any trap can occur.
    unsafe { *KERNEL.0.get() = Some(kernel) };
    let frame = with_kernel(|k| {
        k.bench_space_switch();
        let first = k.manifest.first().map(|p| p.name).unwrap_or("init");
        if let Err(e) = k.spawn(first, 0) {
            panic!("cannot start {first}: {e}");
        }
        k.resume()
    });
    trap::enter_user(frame)
}
