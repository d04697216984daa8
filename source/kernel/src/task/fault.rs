//! Fault records: registers in `regs.bin` order, a bounded stack copy and the module map.

use super::Task;
use crate::mm::space::Access;
use abi::fault::{
    FaultRecord, MAX_STACK_COPY, REG_COUNT, REG_PC, REG_SCAUSE, REG_SSTATUS, REG_STVAL,
};
use abi::layout::{STACK_SIZE, STACK_TOP};
use abi::UserRange;

/// The record of a fault with `scause`/`stval` in `task`, from its saved registers.
pub fn build(task: &Task, scause: u64, stval: u64) -> FaultRecord {
    let mut regs = [0u64; REG_COUNT];
    regs[1..32].copy_from_slice(&task.frame.x[1..32]);
    regs[REG_PC] = task.frame.sepc;
    regs[REG_SSTATUS] = crate::arch::sstatus();
    regs[REG_SCAUSE] = scause;
    regs[REG_STVAL] = stval;
    let mut record = FaultRecord::new(regs);
    let sp = regs[2] as usize;
    let stack_low = STACK_TOP - STACK_SIZE;
    if sp.is_multiple_of(8) && (stack_low..STACK_TOP).contains(&sp) {
        let n = (STACK_TOP - sp).min(MAX_STACK_COPY);
        if let Some(space) = &task.space {
            let copied = space
                .check(UserRange::new(sp, n), Access::Read)
                .and_then(|stack| space.read_user(&stack, &mut record.stack[..n]));
            if copied.is_ok() {
                record.stack_len = n;
            }
        }
    }
    record.modules[0] = task.module;
    record.module_count = 1;
    record
}
