//! `regs.bin`: the RISC-V (RV64) register file at the fault, defined once here.
//!
//! Layout: 36 little-endian `u64` values, 288 bytes, in this order: `x0`..`x31`, `pc`,
//! `sstatus`, `scause`, `stval`. The kernel's fault record uses the same order.

use crate::error::Error;

/// Number of registers in the layout.
pub const REG_COUNT: usize = 36;
/// Length of `regs.bin` in bytes.
pub const REGS_LEN: usize = REG_COUNT * 8;

/// Register names in layout order: the ABI names of `x0`..`x31`, then `pc` and the trap
/// CSRs.
pub const REGISTER_NAMES: [&str; REG_COUNT] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6", "pc", "sstatus", "scause", "stval",
];

/// The register file at the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Registers {
    /// General-purpose registers `x0`..`x31` (`x[0]` is `zero`, `x[1]` is `ra`, ...).
    pub x: [u64; 32],
    /// Program counter (`sepc` at the trap).
    pub pc: u64,
    /// Supervisor status register.
    pub sstatus: u64,
    /// Trap cause.
    pub scause: u64,
    /// Trap value.
    pub stval: u64,
}

impl Registers {
    /// All values in layout order.
    pub fn to_array(&self) -> [u64; REG_COUNT] {
        let mut out = [0u64; REG_COUNT];
        let tail = [self.pc, self.sstatus, self.scause, self.stval];
        for (dst, src) in out.iter_mut().zip(self.x.iter().chain(tail.iter())) {
            *dst = *src;
        }
        out
    }

    /// Builds the register file from values in layout order.
    pub fn from_array(values: &[u64; REG_COUNT]) -> Registers {
        let mut regs = Registers::default();
        for (dst, src) in regs.x.iter_mut().zip(values.iter()) {
            *dst = *src;
        }
        let [pc, sstatus, scause, stval] = [32, 33, 34, 35].map(|i| values.get(i).copied());
        regs.pc = pc.unwrap_or_default();
        regs.sstatus = sstatus.unwrap_or_default();
        regs.scause = scause.unwrap_or_default();
        regs.stval = stval.unwrap_or_default();
        regs
    }

    /// `(name, value)` pairs in layout order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u64)> {
        REGISTER_NAMES.into_iter().zip(self.to_array())
    }

    /// The value of the register called `name` (ABI name, `x0`..`x31`, `fp`, `pc` or a
    /// trap CSR).
    pub fn get(&self, name: &str) -> Option<u64> {
        let values = self.to_array();
        let index = REGISTER_NAMES
            .iter()
            .position(|n| *n == name)
            .or_else(|| (name == "fp").then_some(8))
            .or_else(|| {
                let digits = name.strip_prefix('x')?;
                let canonical = matches!(digits.len(), 1 | 2)
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && (digits.len() == 1 || !digits.starts_with('0'));
                let n: usize = digits.parse().ok()?;
                (canonical && n < 32).then_some(n)
            })?;
        values.get(index).copied()
    }

    /// Encodes to the 288-byte layout.
    pub fn encode(&self) -> [u8; REGS_LEN] {
        let mut out = [0u8; REGS_LEN];
        for (chunk, value) in out.chunks_exact_mut(8).zip(self.to_array()) {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        out
    }

    /// Decodes the 288-byte layout; any other length is an error.
    pub fn decode(bytes: &[u8]) -> Result<Registers, Error> {
        if bytes.len() != REGS_LEN {
            return Err(Error::BadRegsLength {
                len: bytes.len() as u64,
            });
        }
        let mut values = [0u64; REG_COUNT];
        for (value, chunk) in values.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(chunk);
            *value = u64::from_le_bytes(raw);
        }
        Ok(Registers::from_array(&values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_x0_to_x31_then_pc_and_trap_csrs() {
        let values: [u64; REG_COUNT] = core::array::from_fn(|i| 0x1000 + i as u64);
        let regs = Registers::from_array(&values);
        let bytes = regs.encode();
        assert_eq!(bytes.len(), 288);
        assert_eq!(&bytes[0..8], &0x1000u64.to_le_bytes());
        assert_eq!(&bytes[256..264], &regs.pc.to_le_bytes());
        assert_eq!(regs.pc, 0x1000 + 32);
        assert_eq!(regs.stval, 0x1000 + 35);
        assert_eq!(Registers::decode(&bytes).unwrap(), regs);
        assert_eq!(regs.get("sp"), Some(0x1002));
        assert_eq!(regs.get("x2"), Some(0x1002));
        assert_eq!(regs.get("fp"), Some(0x1008));
        assert_eq!(regs.get("x0"), Some(0x1000));
        assert_eq!(regs.get("x32"), None);
        assert_eq!(regs.get("x01"), None);
        assert_eq!(regs.get("scause"), Some(0x1000 + 34));
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(
            Registers::decode(&[0; 287]),
            Err(Error::BadRegsLength { len: 287 })
        );
    }
}
