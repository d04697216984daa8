//! Process syscalls: debug output, sleep, heap growth, spawn (from the manifest or from
//! memory), wait, the switch and copy benchmarks, and reboot.

use super::Outcome;
use crate::kernel::Kernel;
use crate::mm::space::Access;
use crate::task::{ProgramName, State};
use crate::{console, kprintln};
use abi::args::{
    BenchCopyArgs, BenchSwitchArgs, DebugWriteArgs, InitrdReadArgs, SpawnArgs, SpawnImageArgs,
    WaitArgs,
};
use abi::layout::{HEAP_BASE, HEAP_MAX, PAGE_SIZE};
use abi::SysError;
use alloc::vec::Vec;
use kernel_core::sv39::{PTE_R, PTE_U, PTE_W};

/// `debug_write(ptr, len)`.
pub fn debug_write(k: &mut Kernel, args: DebugWriteArgs) -> Result<usize, SysError> {
    let bytes = args.bytes()?;
    let mut buf = alloc::vec![0u8; bytes.len];
    let space = k
        .cur()
        .and_then(|t| t.space.as_ref())
        .ok_or(SysError::BadAddress)?;
    let slice = space.check(bytes, Access::Read)?;
    space.read_user(&slice, &mut buf)?;
    console::write_bytes(&buf);
    Ok(bytes.len)
}

/// `sleep(ns)`.
pub fn sleep(k: &mut Kernel, ns: u64) -> Outcome {
    let until = k.deadline_in(ns);
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
pub fn spawn(k: &mut Kernel, args: SpawnArgs) -> Result<usize, SysError> {
    let parent = k.current;
    let task = k.cur().ok_or(SysError::BadAddress)?;
    if !task.may_spawn {
        return Err(SysError::Denied);
    }
    let range = args.name()?;
    let space = task.space.as_ref().ok_or(SysError::BadAddress)?;
    let mut name = [0u8; abi::args::MAX_PROGRAM_NAME];
    space.read_user(&space.check(range, Access::Read)?, &mut name[..range.len])?;
    let name = core::str::from_utf8(&name[..range.len]).map_err(|_| SysError::NoSuchProgram)?;
    k.spawn(name, parent).map(|id| id as usize)
}

/// `spawn_image(image_ptr, image_len, name_ptr, name_len) -> id` (`exec` programs only):
/// the image is copied into the kernel, then loaded as an initrd program would be.
pub fn spawn_image(k: &mut Kernel, args: SpawnImageArgs) -> Result<usize, SysError> {
    let parent = k.current;
    let task = k.cur().ok_or(SysError::BadAddress)?;
    if !task.may_exec {
        return Err(SysError::Denied);
    }
    let (image_range, name_range) = (args.image()?, args.name()?);
    let space = task.space.as_ref().ok_or(SysError::BadAddress)?;
    let (image_slice, name_slice) = (
        space.check(image_range, Access::Read)?,
        space.check(name_range, Access::Read)?,
    );
    let mut name = [0u8; abi::args::MAX_PROGRAM_NAME];
    space.read_user(&name_slice, &mut name[..name_range.len])?;
    let name = ProgramName::new(&name[..name_range.len]).ok_or(SysError::BadLength)?;
    let mut image = Vec::new();
    image
        .try_reserve_exact(image_range.len)
        .map_err(|_| SysError::NoMemory)?;
    image.resize(image_range.len, 0);
    space.read_user(&image_slice, &mut image)?;
    k.spawn_image(&image, name, parent).map(|id| id as usize)
}

/// `wait(child, rec_ptr, rec_cap) -> code`.
pub fn wait(k: &mut Kernel, args: WaitArgs) -> Outcome {
    let me = k.current;
    let child = args.child;
    let child_state = match k.task(child) {
        Some(c) if c.parent == me => c.state,
        _ => return Outcome::Done(Err(SysError::NotPermitted)),
    };
    let rec = match args.record() {
        Err(e) => return Outcome::Done(Err(e)),
        Ok(None) => None,
        Ok(Some(range)) => match k.cur().and_then(|t| t.space.as_ref()) {
            Some(space) => match space.check(range, Access::Write) {
                Ok(slice) => Some(slice),
                Err(e) => return Outcome::Done(Err(e)),
            },
            None => return Outcome::Switch,
        },
    };
    if child_state == State::Zombie {
        return Outcome::Done(k.reap(me, child, rec));
    }
    if let Some(t) = k.cur() {
        t.state = State::Waiting { child, rec };
    }
    Outcome::Blocked
}

/// `reboot()`: resets the machine (init, the manifest's first program, only).
pub fn reboot(k: &mut Kernel) -> Result<usize, SysError> {
    if k.manifest.first().map(|p| p.id) != Some(k.current) {
        return Err(SysError::NotPermitted);
    }
    kprintln!("kernel: reboot requested by init");
    crate::arch::reset_machine()
}

/// `bench_copy(bytes) -> ns` (`runner` programs only).
pub fn bench_copy(k: &mut Kernel, args: BenchCopyArgs) -> Result<usize, SysError> {
    timed(k, |k| {
        let bytes = args.bytes()?;
        Ok(k.time_copy(bytes))
    })
}

/// `bench_switch(pairs) -> ns` (`runner` programs only).
pub fn bench_switch(k: &mut Kernel, args: BenchSwitchArgs) -> Result<usize, SysError> {
    timed(k, |k| {
        let pairs = args.pairs()?;
        Ok(k.time_switch_pairs(pairs))
    })
}

/// A benchmark call: `NotPermitted` unless the caller may bench (`runner` programs),
/// then `measure`'s nanoseconds, `NoMemory` when it could not run.
fn timed(
    k: &mut Kernel,
    measure: impl FnOnce(&mut Kernel) -> Result<Option<u64>, SysError>,
) -> Result<usize, SysError> {
    if !k.cur().is_some_and(|t| t.may_bench) {
        return Err(SysError::NotPermitted);
    }
    measure(k)?.map(|ns| ns as usize).ok_or(SysError::NoMemory)
}

/// `initrd_read(name_ptr, name_len, offset, buf_ptr, buf_len) -> bytes`: a read-only copy
/// of part of an initrd entry (its size for a 0-byte buffer).
pub fn initrd_read(k: &mut Kernel, args: InitrdReadArgs) -> Result<usize, SysError> {
    let range = args.name()?;
    let archive = k.archive;
    let space = k
        .cur()
        .and_then(|t| t.space.as_ref())
        .ok_or(SysError::BadAddress)?;
    let mut name = [0u8; abi::args::MAX_PROGRAM_NAME];
    space.read_user(&space.check(range, Access::Read)?, &mut name[..range.len])?;
    let name = core::str::from_utf8(&name[..range.len]).map_err(|_| SysError::NoSuchProgram)?;
    let entry = archive.find(name).ok_or(SysError::NoSuchProgram)?;
    if args.buf.len == 0 {
        return Ok(entry.len());
    }
    let rest = entry.get(args.offset..).unwrap_or(&[]);
    let n = rest.len().min(args.buf.len);
    if n == 0 {
        return Ok(0);
    }
    let dst = space.check(args.buf.clamped(n), Access::Write)?;
    space.write_user(&dst, &rest[..n])?;
    Ok(n)
}
