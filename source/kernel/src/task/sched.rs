//! The round-robin scheduler: completing blocked syscalls, waking sleepers and expired
//! sends, and picking the next process (with the direct hand-off of IPC).

use super::State;
use crate::kernel::Kernel;
use crate::trap::TrapFrame;
use crate::{arch, kprintln};
use abi::{ServiceId, SysError};

/// A time slice: 2 ms, in nanoseconds.
const SLICE_NS: u64 = 2_000_000;

/// What a passed deadline ends.
enum Expired {
    /// A sleep: it returns 0.
    Sleep,
    /// A queued message to this receiver: withdrawn, `TimedOut`.
    Send(ServiceId),
    /// A receive: `TimedOut`.
    Receive,
}

impl Kernel {
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
        self.wake_by(until);
        true
    }

    /// Makes the scheduler look again at `time` tick `when` (a sleep or a send deadline).
    pub fn wake_by(&mut self, when: u64) {
        self.next_wake = self.next_wake.min(when);
    }

    /// Timer interrupt: the current process goes to the back of the round.
    pub fn preempt(&mut self) {
        self.switch = true;
        self.timer_armed = false;
    }

    /// Wakes every sleeper whose time has come, withdraws every queued message whose
    /// deadline passed (its sender gets `TimedOut`) and ends every receive whose deadline
    /// passed (`TimedOut`), scanning only when one may be due; returns the earliest
    /// deadline still pending.
    fn wake_sleepers(&mut self) -> Option<u64> {
        let now = arch::time();
        if now < self.next_wake {
            return (self.next_wake != u64::MAX).then_some(self.next_wake);
        }
        let mut earliest: Option<u64> = None;
        for id in 1..self.tasks.len() as ServiceId {
            let Some(t) = self.task(id) else { continue };
            let (due, expired) = match t.state {
                State::Sleeping(until) => (until, Expired::Sleep),
                State::Sending { to, deadline, .. } if deadline != u64::MAX => {
                    (deadline, Expired::Send(to))
                }
                State::Receiving(slot) if slot.deadline != u64::MAX => {
                    (slot.deadline, Expired::Receive)
                }
                _ => continue,
            };
            if due > now {
                earliest = Some(earliest.map_or(due, |e| e.min(due)));
                continue;
            }
            t.state = State::Runnable;
            match expired {
                Expired::Sleep => t.frame.set_result(Ok(0)),
                Expired::Receive => t.frame.set_result(Err(SysError::TimedOut)),
                Expired::Send(to) => {
                    t.frame.set_result(Err(SysError::TimedOut));
                    if let Some(r) = self.task(to) {
                        r.inbox.retain(|s| *s != id);
                    }
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
