//! The saved user context: the layout trap.S reads and writes.

/// A process's registers while it is not running. Offsets are fixed by trap.S:
/// `x[i]` at `8 * i`, `sepc` at 256.
#[repr(C)]
#[derive(Debug, Clone, Default)]
pub struct TrapFrame {
    /// `x0`..`x31` (`x[0]` is unused and reads as 0).
    pub x: [u64; 32],
    /// The user pc to resume at.
    pub sepc: u64,
}

impl TrapFrame {
    /// Stores a syscall result in `a0` (status) and `a1` (value).
    pub fn set_result(&mut self, result: Result<usize, abi::SysError>) {
        let (a0, a1) = abi::encode_result(result);
        self.x[10] = a0 as u64;
        self.x[11] = a1 as u64;
    }
}
