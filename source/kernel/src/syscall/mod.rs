//! Syscall entry: decode `a7` and the argument registers into an `abi::Syscall`, run its
//! safe handler, write the result or block.
//!
//! Every pointer argument is an allegation (`abi::UserRange`) until the caller's page
//! table confirms it (`AddressSpace::check`, which gives a `USlice`); a bad one is
//! `BadAddress` for the caller, never a kernel fault.

mod device;
mod ipc;
mod process;

use crate::kernel::Kernel;
use abi::args::{CallArgs, Regs, ReplyRecvArgs};
use abi::{SysError, Syscall, Sysnum};

/// What became of the caller.
pub enum Outcome {
    /// Finished with this result; the caller continues.
    Done(Result<usize, SysError>),
    /// Blocked; the result arrives later.
    Blocked,
    /// Ended (exit) or gave up the hart (yield).
    Switch,
}

/// Handles the current process's `ecall`.
#[link_section = ".text.hot"]
pub fn dispatch(k: &mut Kernel) {
    let Some(task) = k.cur() else { return };
    task.frame.sepc += 4;
    let f = &task.frame.x;
    let args: Regs = [f[10], f[11], f[12], f[13], f[14], f[15]].map(|a| a as usize);
    let num = f[17] as usize;
    let outcome = run(k, num, args);
    match outcome {
        Outcome::Done(result) => {
            if let Some(t) = k.cur() {
                t.frame.set_result(result);
            }
        }
        Outcome::Blocked | Outcome::Switch => k.reschedule(),
    }
}

/// Runs syscall `num`. The IPC calls and `self_id` are tested one by one and decoded on
/// the spot; the rest are decoded and run out of line, where the jump tables of their
/// `match`es live in `.rodata`, a page the IPC path would otherwise refill after every
/// switch.
#[inline(always)]
fn run(k: &mut Kernel, num: usize, a: Regs) -> Outcome {
    if num == Sysnum::Call as usize {
        ipc::call(k, CallArgs::decode(&a))
    } else if num == Sysnum::ReplyRecv as usize {
        ipc::reply_recv(k, ReplyRecvArgs::decode(&a))
    } else if num == Sysnum::SelfId as usize {
        Outcome::Done(Ok(self_id(k)))
    } else {
        run_other(k, num, a)
    }
}

/// `self_id`'s value: the caller's id, its incarnation in the high half.
#[inline(always)]
fn self_id(k: &mut Kernel) -> usize {
    let id = k.current;
    let incarnation = k.cur().map_or(0, |t| t.incarnation);
    ((u64::from(incarnation) << 32) | u64::from(id)) as usize
}

#[inline(never)]
fn run_other(k: &mut Kernel, num: usize, a: Regs) -> Outcome {
    let num = match Sysnum::try_from(num) {
        Ok(num) => num,
        Err(e) => return Outcome::Done(Err(e)),
    };
    match Syscall::decode(num, a) {
        Syscall::DebugWrite(args) => Outcome::Done(process::debug_write(k, args)),
        Syscall::Exit(code) => {
            let id = k.current;
            k.exit_task(id, i64::from(code), None);
            Outcome::Switch
        }
        Syscall::Yield => {
            if let Some(t) = k.cur() {
                t.frame.set_result(Ok(0));
            }
            Outcome::Switch
        }
        Syscall::Sleep(ns) => process::sleep(k, ns),
        Syscall::Time => Outcome::Done(Ok(k.now_ns() as usize)),
        Syscall::Grow(bytes) => Outcome::Done(process::grow(k, bytes)),
        Syscall::Spawn(args) => Outcome::Done(process::spawn(k, args)),
        Syscall::Wait(args) => process::wait(k, args),
        Syscall::Send(args) => ipc::send(k, args, None),
        Syscall::Recv(args) => ipc::recv(k, args),
        Syscall::Call(args) => ipc::call(k, args),
        Syscall::Reply(args) => Outcome::Done(ipc::reply(k, args)),
        Syscall::SelfId => Outcome::Done(Ok(self_id(k))),
        Syscall::ReplyRecv(args) => ipc::reply_recv(k, args),
        Syscall::BenchSwitch(args) => Outcome::Done(process::bench_switch(k, args)),
        Syscall::SendTimeout(args) => ipc::send(k, args.send, Some(args.timeout_ns)),
        Syscall::DeviceInfo(args) => Outcome::Done(device::device_info(k, args)),
        Syscall::MmioMap(args) => Outcome::Done(device::mmio_map(k, args)),
        Syscall::DmaAlloc(args) => Outcome::Done(device::dma_alloc(k, args)),
        Syscall::SpawnImage(args) => Outcome::Done(process::spawn_image(k, args)),
        Syscall::Reboot => Outcome::Done(process::reboot(k)),
        Syscall::BenchCopy(args) => Outcome::Done(process::bench_copy(k, args)),
        Syscall::CallTimeout(args) => ipc::call_timeout(k, args),
        Syscall::RecvTimeout(args) => ipc::recv_timeout(k, args),
        Syscall::InitrdRead(args) => Outcome::Done(process::initrd_read(k, args)),
    }
}
