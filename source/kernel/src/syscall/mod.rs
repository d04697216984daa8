//! Syscall entry: decode `a7`, run the safe handler, write the result or block.
//!
//! Every pointer argument is an allegation until the caller's page table confirms it
//! (U bit and rights); a bad one is `BadAddress` for the caller, never a kernel fault.

mod ipc;
mod process;

use crate::task::Kernel;
use abi::{SysError, Sysnum};

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
    let args = [f[10], f[11], f[12], f[13], f[14], f[15]].map(|a| a as usize);
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

/// Runs syscall `num`. The IPC calls and `self_id` are tested one by one; the rest are
/// decoded and run out of line, where the jump tables of their `match`es live in
/// `.rodata`, a page the IPC path would otherwise refill after every switch.
#[inline(always)]
fn run(k: &mut Kernel, num: usize, a: [usize; 6]) -> Outcome {
    if num == Sysnum::Call as usize {
        ipc::send(k, a[0], a[1], a[2], Some((a[3], a[4])))
    } else if num == Sysnum::ReplyRecv as usize {
        ipc::reply_recv(k, a)
    } else if num == Sysnum::SelfId as usize {
        Outcome::Done(Ok(k.current as usize))
    } else {
        run_other(k, num, a)
    }
}

#[inline(never)]
fn run_other(k: &mut Kernel, num: usize, a: [usize; 6]) -> Outcome {
    let num = match Sysnum::try_from(num) {
        Ok(num) => num,
        Err(e) => return Outcome::Done(Err(e)),
    };
    match num {
        Sysnum::DebugWrite => Outcome::Done(process::debug_write(k, a[0], a[1])),
        Sysnum::Exit => {
            let id = k.current;
            k.exit_task(id, i64::from(a[0] as i32), None);
            Outcome::Switch
        }
        Sysnum::Yield => {
            if let Some(t) = k.cur() {
                t.frame.set_result(Ok(0));
            }
            Outcome::Switch
        }
        Sysnum::Sleep => process::sleep(k, a[0] as u64),
        Sysnum::Time => Outcome::Done(Ok(k.now_ns() as usize)),
        Sysnum::Grow => Outcome::Done(process::grow(k, a[0])),
        Sysnum::Spawn => Outcome::Done(process::spawn(k, a[0], a[1])),
        Sysnum::Wait => process::wait(k, a[0], a[1], a[2]),
        Sysnum::Send => ipc::send(k, a[0], a[1], a[2], None),
        Sysnum::Recv => ipc::recv(k, a[0], a[1], a[2]),
        Sysnum::Call => ipc::send(k, a[0], a[1], a[2], Some((a[3], a[4]))),
        Sysnum::Reply => Outcome::Done(ipc::reply(k, a[0], a[1], a[2])),
        Sysnum::ReplyRecv => ipc::reply_recv(k, a),
        Sysnum::SelfId => Outcome::Done(Ok(k.current as usize)),
        Sysnum::BenchSwitch => Outcome::Done(process::bench_switch(k, a[0])),
    }
}
