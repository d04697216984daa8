//! The fault record: what a supervisor receives when its child faults.
//!
//! Little-endian, version 1:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 4 | magic `NXFR` |
//! | 4 | 2 | version `1` |
//! | 6 | 2 | reserved, 0 |
//! | 8 | 4 | total length |
//! | 12 | 4 | stack copy length `s` (multiple of 8, at most [`MAX_STACK_COPY`]) |
//! | 16 | 4 | module count `m` (at most [`MAX_MODULES`]) |
//! | 20 | 4 | reserved, 0 |
//! | 24 | 288 | registers: 36 `u64` in `regs.bin` order: `x0..x31`, `pc`, `sstatus`, `scause`, `stval` |
//! | 312 | 8 | stack copy start (the faulting `sp`) |
//! | 320 | `s` | stack bytes from `sp` upwards |
//! | 320 + s | 96·m | modules (see [`ModuleEntry`]) |
//!
//! The register order is the one `nxcd` defines for `regs.bin` (a host test checks it),
//! so crashd can copy the 288 bytes verbatim.

use core::fmt;

/// Number of registers in the record (the `regs.bin` count).
pub const REG_COUNT: usize = 36;
/// Index of `pc` in the registers.
pub const REG_PC: usize = 32;
/// Index of `sstatus` in the registers.
pub const REG_SSTATUS: usize = 33;
/// Index of `scause` in the registers.
pub const REG_SCAUSE: usize = 34;
/// Index of `stval` in the registers.
pub const REG_STVAL: usize = 35;
/// Index of `sp` (x2) in the registers.
pub const REG_SP: usize = 2;
/// Index of `s0`/`fp` (x8) in the registers.
pub const REG_FP: usize = 8;
/// Most stack bytes a record carries.
pub const MAX_STACK_COPY: usize = 1024;
/// Most modules a record carries.
pub const MAX_MODULES: usize = 4;
/// Longest module name in bytes.
pub const MAX_NAME: usize = 32;
/// Longest build-id in bytes.
pub const MAX_BUILD_ID: usize = 32;

const MAGIC: [u8; 4] = *b"NXFR";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 320;
const MODULE_LEN: usize = 96;

/// One loaded module: runtime range, link-time base and build-id. 96 bytes:
/// start `u64`, end `u64`, link base `u64`, build-id length `u8`, name length `u8`,
/// 6 reserved zero bytes, build-id (32, zero-padded), name (32, zero-padded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModuleEntry {
    /// Lowest runtime address of the module's loaded segments.
    pub start: u64,
    /// End (exclusive) of the module's loaded segments at runtime.
    pub end: u64,
    /// Lowest link-time virtual address of its loadable segments.
    pub link_base: u64,
    /// GNU build-id bytes (`build_id_len` of them are valid).
    pub build_id: [u8; MAX_BUILD_ID],
    /// Valid bytes of `build_id`.
    pub build_id_len: u8,
    /// Program name bytes (`name_len` of them are valid).
    pub name: [u8; MAX_NAME],
    /// Valid bytes of `name`.
    pub name_len: u8,
}

impl ModuleEntry {
    /// The valid build-id bytes.
    pub fn build_id(&self) -> &[u8] {
        let n = usize::from(self.build_id_len).min(MAX_BUILD_ID);
        &self.build_id[..n]
    }

    /// The valid name bytes.
    pub fn name(&self) -> &[u8] {
        let n = usize::from(self.name_len).min(MAX_NAME);
        &self.name[..n]
    }

    /// Builds an entry, truncating the name and build-id to their maxima.
    pub fn new(name: &[u8], start: u64, end: u64, link_base: u64, build_id: &[u8]) -> Self {
        let mut e = ModuleEntry {
            start,
            end,
            link_base,
            ..ModuleEntry::default()
        };
        let n = name.len().min(MAX_NAME);
        e.name[..n].copy_from_slice(&name[..n]);
        e.name_len = n as u8;
        let b = build_id.len().min(MAX_BUILD_ID);
        e.build_id[..b].copy_from_slice(&build_id[..b]);
        e.build_id_len = b as u8;
        e
    }
}

/// The fault record, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRecord {
    /// Registers in `regs.bin` order.
    pub regs: [u64; REG_COUNT],
    /// Address the stack copy starts at (the faulting `sp`).
    pub stack_base: u64,
    /// Stack bytes (`stack_len` of them are valid).
    pub stack: [u8; MAX_STACK_COPY],
    /// Valid bytes of `stack`.
    pub stack_len: usize,
    /// Loaded modules (`module_count` of them are valid).
    pub modules: [ModuleEntry; MAX_MODULES],
    /// Valid entries of `modules`.
    pub module_count: usize,
}

/// Why a fault record could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// The buffer is shorter than the record (needs the given length).
    Truncated(usize),
    /// The magic is not `NXFR`.
    BadMagic,
    /// The version is not 1.
    UnsupportedVersion(u16),
    /// A reserved field (at the given offset) is not zero.
    Reserved(usize),
    /// The stack copy length is over the bound or not a multiple of 8.
    BadStackLength(u32),
    /// The module count is over the bound.
    TooManyModules(u32),
    /// The declared total length disagrees with the stack and module counts.
    BadTotalLength(u32),
    /// A module's name or build-id length (module index given) is over its bound.
    BadModule(usize),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Truncated(n) => write!(f, "fault record truncated (needs {n} bytes)"),
            RecordError::BadMagic => f.write_str("fault record: bad magic"),
            RecordError::UnsupportedVersion(v) => write!(f, "fault record: version {v}"),
            RecordError::Reserved(o) => write!(f, "fault record: reserved field at {o} not 0"),
            RecordError::BadStackLength(n) => write!(f, "fault record: stack length {n}"),
            RecordError::TooManyModules(n) => write!(f, "fault record: {n} modules"),
            RecordError::BadTotalLength(n) => write!(f, "fault record: total length {n}"),
            RecordError::BadModule(i) => write!(f, "fault record: module {i} malformed"),
        }
    }
}

impl core::error::Error for RecordError {}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(w)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

impl FaultRecord {
    /// Largest encoded record: a buffer this long always suffices.
    pub const MAX_LEN: usize = HEADER_LEN + MAX_STACK_COPY + MODULE_LEN * MAX_MODULES;

    /// An empty record for the given registers.
    pub fn new(regs: [u64; REG_COUNT]) -> Self {
        FaultRecord {
            regs,
            stack_base: regs[REG_SP],
            stack: [0; MAX_STACK_COPY],
            stack_len: 0,
            modules: [ModuleEntry::default(); MAX_MODULES],
            module_count: 0,
        }
    }

    /// The trap cause.
    pub fn scause(&self) -> u64 {
        self.regs[REG_SCAUSE]
    }

    /// The trap value (faulting address or instruction bits).
    pub fn stval(&self) -> u64 {
        self.regs[REG_STVAL]
    }

    /// The faulting pc.
    pub fn pc(&self) -> u64 {
        self.regs[REG_PC]
    }

    /// The valid modules.
    pub fn modules(&self) -> &[ModuleEntry] {
        &self.modules[..self.module_count.min(MAX_MODULES)]
    }

    /// The valid stack bytes.
    pub fn stack(&self) -> &[u8] {
        &self.stack[..self.stack_len.min(MAX_STACK_COPY)]
    }

    /// Encoded length of this record.
    pub fn encoded_len(&self) -> usize {
        let stack = self.stack_len.min(MAX_STACK_COPY) & !7;
        HEADER_LEN + stack + MODULE_LEN * self.module_count.min(MAX_MODULES)
    }

    /// Writes the record into `out`; returns its length.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, RecordError> {
        let total = self.encoded_len();
        let out = out.get_mut(..total).ok_or(RecordError::Truncated(total))?;
        out.fill(0);
        let stack_len = self.stack_len.min(MAX_STACK_COPY) & !7;
        let modules = self.modules();
        out[0..4].copy_from_slice(&MAGIC);
        out[4..6].copy_from_slice(&VERSION.to_le_bytes());
        out[8..12].copy_from_slice(&(total as u32).to_le_bytes());
        out[12..16].copy_from_slice(&(stack_len as u32).to_le_bytes());
        out[16..20].copy_from_slice(&(modules.len() as u32).to_le_bytes());
        for (i, r) in self.regs.iter().enumerate() {
            out[24 + 8 * i..32 + 8 * i].copy_from_slice(&r.to_le_bytes());
        }
        out[312..320].copy_from_slice(&self.stack_base.to_le_bytes());
        out[HEADER_LEN..HEADER_LEN + stack_len].copy_from_slice(&self.stack[..stack_len]);
        let mut off = HEADER_LEN + stack_len;
        for m in modules {
            let e = &mut out[off..off + MODULE_LEN];
            e[0..8].copy_from_slice(&m.start.to_le_bytes());
            e[8..16].copy_from_slice(&m.end.to_le_bytes());
            e[16..24].copy_from_slice(&m.link_base.to_le_bytes());
            e[24] = m.build_id().len() as u8;
            e[25] = m.name().len() as u8;
            e[32..32 + m.build_id().len()].copy_from_slice(m.build_id());
            e[64..64 + m.name().len()].copy_from_slice(m.name());
            off += MODULE_LEN;
        }
        Ok(total)
    }

    /// Decodes a record from the start of `bytes` (trailing bytes are ignored).
    pub fn decode(bytes: &[u8]) -> Result<FaultRecord, RecordError> {
        let head = bytes
            .get(..HEADER_LEN)
            .ok_or(RecordError::Truncated(HEADER_LEN))?;
        if head[0..4] != MAGIC {
            return Err(RecordError::BadMagic);
        }
        let version = u16::from_le_bytes([head[4], head[5]]);
        if version != VERSION {
            return Err(RecordError::UnsupportedVersion(version));
        }
        if head[6] != 0 || head[7] != 0 {
            return Err(RecordError::Reserved(6));
        }
        if u32_at(head, 20) != 0 {
            return Err(RecordError::Reserved(20));
        }
        let total = u32_at(head, 8);
        let stack_len = u32_at(head, 12);
        let count = u32_at(head, 16);
        if stack_len as usize > MAX_STACK_COPY || !stack_len.is_multiple_of(8) {
            return Err(RecordError::BadStackLength(stack_len));
        }
        if count as usize > MAX_MODULES {
            return Err(RecordError::TooManyModules(count));
        }
        let expect = HEADER_LEN + stack_len as usize + MODULE_LEN * count as usize;
        if total as usize != expect {
            return Err(RecordError::BadTotalLength(total));
        }
        let body = bytes.get(..expect).ok_or(RecordError::Truncated(expect))?;
        let mut regs = [0u64; REG_COUNT];
        for (i, r) in regs.iter_mut().enumerate() {
            *r = u64_at(body, 24 + 8 * i);
        }
        let mut rec = FaultRecord::new(regs);
        rec.stack_base = u64_at(body, 312);
        rec.stack_len = stack_len as usize;
        rec.stack[..rec.stack_len].copy_from_slice(&body[HEADER_LEN..HEADER_LEN + rec.stack_len]);
        let mut off = HEADER_LEN + rec.stack_len;
        for i in 0..count as usize {
            let e = &body[off..off + MODULE_LEN];
            let (bid_len, name_len) = (usize::from(e[24]), usize::from(e[25]));
            if bid_len > MAX_BUILD_ID || name_len > MAX_NAME || e[26..32].iter().any(|b| *b != 0) {
                return Err(RecordError::BadModule(i));
            }
            rec.modules[i] = ModuleEntry::new(
                &e[64..64 + name_len],
                u64_at(e, 0),
                u64_at(e, 8),
                u64_at(e, 16),
                &e[32..32 + bid_len],
            );
            off += MODULE_LEN;
        }
        rec.module_count = count as usize;
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FaultRecord {
        let mut regs = [0u64; REG_COUNT];
        for (i, r) in regs.iter_mut().enumerate() {
            *r = 0x1000 + i as u64;
        }
        let mut rec = FaultRecord::new(regs);
        rec.stack_len = 64;
        for (i, b) in rec.stack[..64].iter_mut().enumerate() {
            *b = i as u8;
        }
        rec.modules[0] = ModuleEntry::new(
            b"fault-kload",
            0x4001_0000,
            0x4001_3000,
            0x4001_0000,
            &[0xab; 20],
        );
        rec.module_count = 1;
        rec
    }

    #[test]
    fn record_roundtrips() {
        let rec = sample();
        let mut buf = [0u8; FaultRecord::MAX_LEN];
        let n = rec.encode(&mut buf).unwrap();
        assert_eq!(n, 320 + 64 + 96);
        let back = FaultRecord::decode(&buf[..n]).unwrap();
        assert_eq!(back, rec);
        assert_eq!(back.modules()[0].name(), b"fault-kload");
        assert_eq!(back.modules()[0].build_id(), &[0xab; 20]);
        assert_eq!(back.pc(), 0x1000 + 32);
        assert_eq!(back.scause(), 0x1000 + 34);
        assert_eq!(back.stval(), 0x1000 + 35);
    }

    #[test]
    fn register_order_is_the_regs_bin_order() {
        assert_eq!(REG_COUNT, nxcd::REG_COUNT);
        let names = nxcd::REGISTER_NAMES;
        assert_eq!(names[REG_PC], "pc");
        assert_eq!(names[REG_SSTATUS], "sstatus");
        assert_eq!(names[REG_SCAUSE], "scause");
        assert_eq!(names[REG_STVAL], "stval");
        assert_eq!(names[REG_SP], "sp");
        assert_eq!(names[REG_FP], "s0");
        // The 288 register bytes decode as regs.bin.
        let rec = sample();
        let mut buf = [0u8; FaultRecord::MAX_LEN];
        rec.encode(&mut buf).unwrap();
        let regs = nxcd::Registers::decode(&buf[24..312]).unwrap();
        assert_eq!(regs.to_array(), rec.regs);
    }

    #[test]
    fn no_bit_flip_or_truncation_panics() {
        let mut buf = [0u8; FaultRecord::MAX_LEN];
        let n = sample().encode(&mut buf).unwrap();
        for len in 0..n {
            assert!(FaultRecord::decode(&buf[..len]).is_err());
        }
        for i in 0..n {
            for bit in 0..8 {
                let mut b = buf;
                b[i] ^= 1 << bit;
                if let Ok(r) = FaultRecord::decode(&b[..n]) {
                    assert!(r.stack().len() <= MAX_STACK_COPY && r.modules().len() <= MAX_MODULES);
                }
            }
        }
    }

    #[test]
    fn rejects_malformed_records() {
        let rec = sample();
        let mut good = [0u8; FaultRecord::MAX_LEN];
        let n = rec.encode(&mut good).unwrap();
        let cases: [(usize, u8, RecordError); 5] = [
            (0, b'X', RecordError::BadMagic),
            (4, 2, RecordError::UnsupportedVersion(2)),
            (21, 1, RecordError::Reserved(20)),
            (12, 65, RecordError::BadStackLength(65)),
            (16, 5, RecordError::TooManyModules(5)),
        ];
        for (off, val, want) in cases {
            let mut b = good;
            b[off] = val;
            assert_eq!(FaultRecord::decode(&b[..n]), Err(want));
        }
        assert_eq!(
            FaultRecord::decode(&good[..n - 1]),
            Err(RecordError::Truncated(n))
        );
        assert_eq!(
            FaultRecord::decode(&good[..10]),
            Err(RecordError::Truncated(320))
        );
        let mut b = good;
        b[8] ^= 8;
        assert!(matches!(
            FaultRecord::decode(&b[..n]),
            Err(RecordError::BadTotalLength(_))
        ));
        let mut b = good;
        b[320 + 64 + 25] = 33;
        assert_eq!(FaultRecord::decode(&b[..n]), Err(RecordError::BadModule(0)));
        assert_eq!(rec.encode(&mut [0u8; 100]), Err(RecordError::Truncated(n)));
    }
}
