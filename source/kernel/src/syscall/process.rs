//! Process syscalls: debug output, sleep, heap growth, spawn, wait, and the switch
//! benchmark.

use super::Outcome;
use crate::console;
use crate::task::{Kernel, State};
use abi::layout::{HEAP_BASE, HEAP_MAX, PAGE_SIZE};
use abi::{FaultRecord, SysError};
use kernel_core::sv39::{PTE_R, PTE_U, PTE_W};

/// Longest debug write.
const MAX_DEBUG_WRITE: usize = 4096;

/// `debug_write(ptr, len)`.
pub fn debug_write(k: &mut Kernel, ptr: usize, len: usize) -> Result<usize, SysError> {
    if len > MAX_DEBUG_WRITE {
        return Err(SysError::BadLength);
    }
    let mut buf = alloc::vec![0u8; len];
    let space = k
        .cur()
        .and_then(|t| t.space.as_ref())
        .ok_or(SysError::BadAddress)?;
    space.read_user(ptr, &mut buf)?;
    console::write_bytes(&buf);
    Ok(len)
}

/// `sleep(ns)`.
pub fn sleep(k: &mut Kernel, ns: u64) -> Outcome {
    let ticks = (u128::from(ns) * u128::from(k.timebase) / 1_000_000_000) as u64;
    let until = crate::arch::time().saturating_add(ticks);
    if k.sleep_until(until) {
        Outcome::Blocked
    } else {
        Outcome::Switch
    }
}

/// `grow(bytes) -> old_break`.
pub fn grow(k: &mut Kernel, bytes: usize) -> Result<usize, SysError> {
    let Kernel {
        frames,
        tasks,
        current,
        ..
    } = k;
    let space = tasks
        .get_mut(*current as usize)
        .and_then(|t| t.as_mut())
        .and_then(|t| t.space.as_mut())
        .ok_or(SysError::BadAddress)?;
    let old = space.brk;
    let new = bytes
        .checked_next_multiple_of(PAGE_SIZE)
        .and_then(|b| old.checked_add(b))
        .filter(|n| *n <= HEAP_BASE + HEAP_MAX)
        .ok_or(SysError::NoMemory)?;
    let mut va = old;
    let mapped = loop {
        if va >= new {
            break Ok(old);
        }
        if let Err(e) = space.map_zeroed(frames, va, PTE_U | PTE_R | PTE_W) {
            break Err(e);
        }
        va += PAGE_SIZE;
        space.brk = va;
    };
    // New leaves: no stale translation may hide them (the spec asks for the fence).
    crate::arch::fence_asid(space.asid());
    mapped
}

/// `spawn(name_ptr, name_len) -> id`.
pub fn spawn(k: &mut Kernel, ptr: usize, len: usize) -> Result<usize, SysError> {
    let parent = k.current;
    let task = k.cur().ok_or(SysError::BadAddress)?;
    if !task.may_spawn {
        return Err(SysError::Denied);
    }
    if len == 0 || len > initrd::MAX_NAME {
        return Err(SysError::BadLength);
    }
    let mut name = [0u8; initrd::MAX_NAME];
    task.space
        .as_ref()
        .ok_or(SysError::BadAddress)?
        .read_user(ptr, &mut name[..len])?;
    let name = core::str::from_utf8(&name[..len]).map_err(|_| SysError::NoSuchProgram)?;
    k.spawn(name, parent).map(|id| id as usize)
}

/// `wait(child, rec_ptr, rec_cap) -> code`.
pub fn wait(k: &mut Kernel, child: usize, rec: usize, cap: usize) -> Outcome {
    let me = k.current;
    let child = u32::try_from(child).unwrap_or(u32::MAX);
    let child_state = match k.task(child) {
        Some(c) if c.parent == me => c.state,
        _ => return Outcome::Done(Err(SysError::NotPermitted)),
    };
    if rec != 0 {
        if cap < FaultRecord::MAX_LEN {
            return Outcome::Done(Err(SysError::BadLength));
        }
        let checked = k
            .cur()
            .and_then(|t| t.space.as_ref())
            .map(|s| s.check(rec, FaultRecord::MAX_LEN, true));
        if let Some(Err(e)) = checked {
            return Outcome::Done(Err(e));
        }
    }
    if child_state == State::Zombie {
        return Outcome::Done(k.reap(me, child, rec));
    }
    if let Some(t) = k.cur() {
        t.state = State::Waiting { child, rec };
    }
    Outcome::Blocked
}

/// `bench_switch(pairs) -> ns` (`runner` programs only).
pub fn bench_switch(k: &mut Kernel, pairs: usize) -> Result<usize, SysError> {
    if !k.cur().is_some_and(|t| t.may_bench) {
        return Err(SysError::NotPermitted);
    }
    if !(1..=abi::syscall::MAX_BENCH_PAIRS).contains(&pairs) {
        return Err(SysError::BadLength);
    }
    k.time_switch_pairs(pairs as u64)
        .map(|ns| ns as usize)
        .ok_or(SysError::NoMemory)
}
