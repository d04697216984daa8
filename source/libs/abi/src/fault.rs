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

use zerocopy::{FromBytes, IntoBytes};

mod raw;

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
        let stack_len = self.stack_len.min(MAX_STACK_COPY) & !7;
        let modules = self.modules();
        let header = raw::Header {
            magic: MAGIC,
            version: VERSION.into(),
            reserved0: 0.into(),
            total_len: (total as u32).into(),
            stack_len: (stack_len as u32).into(),
            module_count: (modules.len() as u32).into(),
            reserved1: 0.into(),
            regs: self.regs.map(Into::into),
            stack_base: self.stack_base.into(),
        };
        let (head, rest) = out.split_at_mut(HEADER_LEN);
        head.copy_from_slice(header.as_bytes());
        let (stack, rest) = rest.split_at_mut(stack_len);
        stack.copy_from_slice(&self.stack[..stack_len]);
        for (m, e) in modules.iter().zip(rest.chunks_exact_mut(MODULE_LEN)) {
            let mut entry = raw::Module {
                start: m.start.into(),
                end: m.end.into(),
                link_base: m.link_base.into(),
                build_id_len: m.build_id().len() as u8,
                name_len: m.name().len() as u8,
                reserved: [0; 6],
                build_id: [0; MAX_BUILD_ID],
                name: [0; MAX_NAME],
            };
            entry.build_id[..m.build_id().len()].copy_from_slice(m.build_id());
            entry.name[..m.name().len()].copy_from_slice(m.name());
            e.copy_from_slice(entry.as_bytes());
        }
        Ok(total)
    }

    /// Decodes a record from the start of `bytes` (trailing bytes are ignored).
    pub fn decode(bytes: &[u8]) -> Result<FaultRecord, RecordError> {
        let (head, _) =
            raw::Header::ref_from_prefix(bytes).map_err(|_| RecordError::Truncated(HEADER_LEN))?;
        if head.magic != MAGIC {
            return Err(RecordError::BadMagic);
        }
        let version = head.version.get();
        if version != VERSION {
            return Err(RecordError::UnsupportedVersion(version));
        }
        if head.reserved0.get() != 0 {
            return Err(RecordError::Reserved(raw::RESERVED0_AT));
        }
        if head.reserved1.get() != 0 {
            return Err(RecordError::Reserved(raw::RESERVED1_AT));
        }
        let total = head.total_len.get();
        let stack_len = head.stack_len.get();
        let count = head.module_count.get();
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
        let body = bytes
            .get(HEADER_LEN..expect)
            .ok_or(RecordError::Truncated(expect))?;
        let (stack, modules) = body.split_at(stack_len as usize);
        let modules = <[raw::Module]>::ref_from_bytes_with_elems(modules, count as usize)
            .map_err(|_| RecordError::Truncated(expect))?;
        let mut rec = FaultRecord::new(head.regs.map(|r| r.get()));
        rec.stack_base = head.stack_base.get();
        rec.stack_len = stack.len();
        rec.stack[..stack.len()].copy_from_slice(stack);
        for (i, (e, slot)) in modules.iter().zip(&mut rec.modules).enumerate() {
            let (bid_len, name_len) = (usize::from(e.build_id_len), usize::from(e.name_len));
            if bid_len > MAX_BUILD_ID || name_len > MAX_NAME || e.reserved != [0; 6] {
                return Err(RecordError::BadModule(i));
            }
            *slot = ModuleEntry::new(
                &e.name[..name_len],
                e.start.get(),
                e.end.get(),
                e.link_base.get(),
                &e.build_id[..bid_len],
            );
        }
        rec.module_count = modules.len();
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
