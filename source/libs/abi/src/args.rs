//! Per-syscall argument structs, decoded from the six argument registers.
//!
//! The kernel's dispatcher decodes a [`Syscall`] from `a7` and `a0..a5` and hands each
//! handler its own struct; no handler indexes registers. Decoding only gives the
//! registers their types: the checks that carry an error (a length over its bound, a
//! range the caller may not touch) stay with the handler, in the documented order (a
//! privilege check may come before a length check), through the methods here. A
//! [`UserRange`] is an allegation about the caller's memory until the kernel checks it
//! against the caller's page table.

use crate::device::{DeviceInfo, DmaRegion, MAX_DMA_PAGES};
use crate::fault::FaultRecord;
use crate::ipc::{RecvHeader, ServiceId, MAX_MSG};
use crate::syscall::{SysError, Sysnum, MAX_BENCH_COPY, MAX_BENCH_PAIRS};

/// The six argument registers `a0..a5`.
pub type Regs = [usize; 6];

/// Longest `debug_write`, in bytes.
pub const MAX_DEBUG_WRITE: usize = 4096;
/// Longest program name (an initrd entry name).
pub const MAX_PROGRAM_NAME: usize = 31;
/// Largest program image `spawn_image` takes, in bytes.
pub const MAX_IMAGE: usize = 512 * 1024;

/// A range of the caller's memory named by a syscall: an allegation until checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRange {
    /// First byte (a user virtual address, as the caller claims).
    pub addr: usize,
    /// Length in bytes.
    pub len: usize,
}

impl UserRange {
    /// The range `[addr, addr + len)`.
    pub const fn new(addr: usize, len: usize) -> UserRange {
        UserRange { addr, len }
    }

    /// The same start with the length cut to at most `max` (a buffer's usable part).
    pub fn clamped(self, max: usize) -> UserRange {
        UserRange::new(self.addr, self.len.min(max))
    }

    /// This range if its length is in `min..=max`, else `BadLength`.
    pub fn with_len_in(self, min: usize, max: usize) -> Result<UserRange, SysError> {
        if (min..=max).contains(&self.len) {
            Ok(self)
        } else {
            Err(SysError::BadLength)
        }
    }
}

/// A service id register: values past `u32` name nobody (`u32::MAX`).
pub fn service_id(reg: usize) -> ServiceId {
    u32::try_from(reg).unwrap_or(u32::MAX)
}

/// `debug_write(ptr, len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebugWriteArgs {
    /// The bytes to write.
    pub bytes: UserRange,
}

impl DebugWriteArgs {
    /// The bytes, if at most [`MAX_DEBUG_WRITE`] (else `BadLength`).
    pub fn bytes(&self) -> Result<UserRange, SysError> {
        self.bytes.with_len_in(0, MAX_DEBUG_WRITE)
    }
}

/// `spawn(name_ptr, name_len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnArgs {
    /// The program's name.
    pub name: UserRange,
}

impl SpawnArgs {
    /// The name, if 1 to [`MAX_PROGRAM_NAME`] bytes (else `BadLength`).
    pub fn name(&self) -> Result<UserRange, SysError> {
        self.name.with_len_in(1, MAX_PROGRAM_NAME)
    }
}

/// `wait(child, rec_ptr, rec_cap)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitArgs {
    /// The child waited for.
    pub child: ServiceId,
    /// The record buffer and its capacity (address 0: no record wanted).
    pub record: UserRange,
}

impl WaitArgs {
    /// Where the record goes: `None` for address 0; `BadLength` for a buffer under
    /// [`FaultRecord::MAX_LEN`]; else the first `MAX_LEN` bytes of the buffer.
    pub fn record(&self) -> Result<Option<UserRange>, SysError> {
        if self.record.addr == 0 {
            return Ok(None);
        }
        if self.record.len < FaultRecord::MAX_LEN {
            return Err(SysError::BadLength);
        }
        Ok(Some(self.record.clamped(FaultRecord::MAX_LEN)))
    }
}

/// `send(dst, ptr, len)`, also the first half of `call` and the form of `reply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendArgs {
    /// The receiver (for `reply`: the caller answered).
    pub dst: ServiceId,
    /// The message.
    pub msg: UserRange,
}

impl SendArgs {
    /// The message, if at most [`MAX_MSG`] bytes (else `BadLength`).
    pub fn msg(&self) -> Result<UserRange, SysError> {
        self.msg.with_len_in(0, MAX_MSG)
    }
}

/// `recv(buf, cap, hdr_ptr)`, also the second half of `reply_recv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvArgs {
    /// The payload buffer and its capacity (any; only `MAX_MSG` bytes can be used).
    pub buf: UserRange,
    /// Where the [`RecvHeader`] goes ([`RecvHeader::LEN`] bytes).
    pub header: UserRange,
}

impl RecvArgs {
    /// The part of the buffer a message can fill: at most [`MAX_MSG`] bytes.
    pub fn usable(&self) -> UserRange {
        self.buf.clamped(MAX_MSG)
    }
}

/// `call(dst, ptr, len, rbuf, rcap)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallArgs {
    /// The request.
    pub send: SendArgs,
    /// The reply buffer and its capacity.
    pub reply: UserRange,
}

/// `reply_recv(dst, ptr, len, buf, cap, hdr_ptr)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyRecvArgs {
    /// The reply (`None` when `dst` is 0: nobody to answer).
    pub reply: Option<SendArgs>,
    /// The receive.
    pub recv: RecvArgs,
}

/// `bench_switch(pairs)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchSwitchArgs {
    /// Switch pairs to time.
    pub pairs: usize,
}

impl BenchSwitchArgs {
    /// The pair count, if 1 to [`MAX_BENCH_PAIRS`] (else `BadLength`).
    pub fn pairs(&self) -> Result<u64, SysError> {
        if (1..=MAX_BENCH_PAIRS).contains(&self.pairs) {
            Ok(self.pairs as u64)
        } else {
            Err(SysError::BadLength)
        }
    }
}

/// `bench_copy(bytes)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchCopyArgs {
    /// Bytes to copy.
    pub bytes: usize,
}

impl BenchCopyArgs {
    /// The byte count, if 1 to [`MAX_BENCH_COPY`] (else `BadLength`).
    pub fn bytes(&self) -> Result<usize, SysError> {
        if (1..=MAX_BENCH_COPY).contains(&self.bytes) {
            Ok(self.bytes)
        } else {
            Err(SysError::BadLength)
        }
    }
}

/// `send_timeout(dst, ptr, len, timeout_ns)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendTimeoutArgs {
    /// The message and its receiver.
    pub send: SendArgs,
    /// How long the message may wait to be taken (0: not at all, a try).
    pub timeout_ns: u64,
}

/// `call_timeout(dst, ptr, len, rbuf, rcap, timeout_ns)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTimeoutArgs {
    /// The call.
    pub call: CallArgs,
    /// How long the request may wait to be taken (0: not at all, a try).
    pub timeout_ns: u64,
}

/// `recv_timeout(buf, cap, hdr_ptr, timeout_ns)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvTimeoutArgs {
    /// The receive.
    pub recv: RecvArgs,
    /// How long to wait for a message (0: only one already there).
    pub timeout_ns: u64,
}

/// `initrd_read(name_ptr, name_len, offset, buf_ptr, buf_len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitrdReadArgs {
    /// The entry's name.
    pub name: UserRange,
    /// Where in the entry to start.
    pub offset: usize,
    /// Where the bytes go (0 bytes: ask for the entry's size).
    pub buf: UserRange,
}

impl InitrdReadArgs {
    /// The name, if 1 to [`MAX_PROGRAM_NAME`] bytes (else `BadLength`).
    pub fn name(&self) -> Result<UserRange, SysError> {
        self.name.with_len_in(1, MAX_PROGRAM_NAME)
    }
}

/// `device_info(index, info_ptr)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceInfoArgs {
    /// Which of the caller's grants (0-based, manifest order).
    pub index: usize,
    /// Where the [`DeviceInfo`] goes ([`DeviceInfo::LEN`] bytes).
    pub info: UserRange,
}

/// `mmio_map(pa, len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmioMapArgs {
    /// Physical address of the first register wanted.
    pub pa: usize,
    /// Bytes wanted from `pa`.
    pub len: usize,
}

/// `dma_alloc(pages, region_ptr)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaAllocArgs {
    /// Pages wanted.
    pub pages: usize,
    /// Where the [`DmaRegion`] goes ([`DmaRegion::LEN`] bytes).
    pub region: UserRange,
}

impl DmaAllocArgs {
    /// The page count, if 1 to [`MAX_DMA_PAGES`] (else `BadLength`).
    pub fn pages(&self) -> Result<usize, SysError> {
        if (1..=MAX_DMA_PAGES).contains(&self.pages) {
            Ok(self.pages)
        } else {
            Err(SysError::BadLength)
        }
    }
}

/// `spawn_image(image_ptr, image_len, name_ptr, name_len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnImageArgs {
    /// The ELF image.
    pub image: UserRange,
    /// The name the process goes by (in logs and its fault record).
    pub name: UserRange,
}

impl SpawnImageArgs {
    /// The image, if 1 to [`MAX_IMAGE`] bytes (else `BadLength`).
    pub fn image(&self) -> Result<UserRange, SysError> {
        self.image.with_len_in(1, MAX_IMAGE)
    }

    /// The name, if 1 to [`MAX_PROGRAM_NAME`] bytes (else `BadLength`).
    pub fn name(&self) -> Result<UserRange, SysError> {
        self.name.with_len_in(1, MAX_PROGRAM_NAME)
    }
}

/// A decoded syscall: its number and its typed arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    /// `debug_write`.
    DebugWrite(DebugWriteArgs),
    /// `exit(code)`.
    Exit(i32),
    /// `yield`.
    Yield,
    /// `sleep(ns)`.
    Sleep(u64),
    /// `time`.
    Time,
    /// `grow(bytes)`.
    Grow(usize),
    /// `spawn`.
    Spawn(SpawnArgs),
    /// `wait`.
    Wait(WaitArgs),
    /// `send`.
    Send(SendArgs),
    /// `recv`.
    Recv(RecvArgs),
    /// `call`.
    Call(CallArgs),
    /// `reply`.
    Reply(SendArgs),
    /// `self_id`.
    SelfId,
    /// `reply_recv`.
    ReplyRecv(ReplyRecvArgs),
    /// `bench_switch`.
    BenchSwitch(BenchSwitchArgs),
    /// `send_timeout`.
    SendTimeout(SendTimeoutArgs),
    /// `device_info`.
    DeviceInfo(DeviceInfoArgs),
    /// `mmio_map`.
    MmioMap(MmioMapArgs),
    /// `dma_alloc`.
    DmaAlloc(DmaAllocArgs),
    /// `spawn_image`.
    SpawnImage(SpawnImageArgs),
    /// `reboot`.
    Reboot,
    /// `bench_copy`.
    BenchCopy(BenchCopyArgs),
    /// `call_timeout`.
    CallTimeout(CallTimeoutArgs),
    /// `recv_timeout`.
    RecvTimeout(RecvTimeoutArgs),
    /// `initrd_read`.
    InitrdRead(InitrdReadArgs),
}

impl SendArgs {
    /// `dst, ptr, len` from `a[0..3]`.
    #[inline(always)]
    pub fn decode(a: &Regs) -> SendArgs {
        SendArgs {
            dst: service_id(a[0]),
            msg: UserRange::new(a[1], a[2]),
        }
    }
}

impl RecvArgs {
    /// `buf, cap, hdr` from `a[at..at + 3]` (`at` is 0 for `recv`, 3 for `reply_recv`).
    #[inline(always)]
    pub fn decode(a: &Regs, at: usize) -> RecvArgs {
        let reg = |i: usize| a.get(at + i).copied().unwrap_or(0);
        RecvArgs {
            buf: UserRange::new(reg(0), reg(1)),
            header: UserRange::new(reg(2), RecvHeader::LEN),
        }
    }
}

impl CallArgs {
    /// `dst, ptr, len, rbuf, rcap` from `a[0..5]`.
    #[inline(always)]
    pub fn decode(a: &Regs) -> CallArgs {
        CallArgs {
            send: SendArgs::decode(a),
            reply: UserRange::new(a[3], a[4]),
        }
    }
}

impl ReplyRecvArgs {
    /// `dst, ptr, len, buf, cap, hdr` from `a[0..6]`; `dst` 0 is no reply.
    #[inline(always)]
    pub fn decode(a: &Regs) -> ReplyRecvArgs {
        ReplyRecvArgs {
            reply: (a[0] != 0).then(|| SendArgs::decode(a)),
            recv: RecvArgs::decode(a, 3),
        }
    }
}

impl Syscall {
    /// The syscall `num` with arguments `a`. Never fails: what can be wrong with the
    /// arguments is the handler's to report, through the methods of each struct.
    pub fn decode(num: Sysnum, a: Regs) -> Syscall {
        match num {
            Sysnum::DebugWrite => Syscall::DebugWrite(DebugWriteArgs {
                bytes: UserRange::new(a[0], a[1]),
            }),
            Sysnum::Exit => Syscall::Exit(a[0] as i32),
            Sysnum::Yield => Syscall::Yield,
            Sysnum::Sleep => Syscall::Sleep(a[0] as u64),
            Sysnum::Time => Syscall::Time,
            Sysnum::Grow => Syscall::Grow(a[0]),
            Sysnum::Spawn => Syscall::Spawn(SpawnArgs {
                name: UserRange::new(a[0], a[1]),
            }),
            Sysnum::Wait => Syscall::Wait(WaitArgs {
                child: service_id(a[0]),
                record: UserRange::new(a[1], a[2]),
            }),
            Sysnum::Send => Syscall::Send(SendArgs::decode(&a)),
            Sysnum::Recv => Syscall::Recv(RecvArgs::decode(&a, 0)),
            Sysnum::Call => Syscall::Call(CallArgs::decode(&a)),
            Sysnum::Reply => Syscall::Reply(SendArgs::decode(&a)),
            Sysnum::SelfId => Syscall::SelfId,
            Sysnum::ReplyRecv => Syscall::ReplyRecv(ReplyRecvArgs::decode(&a)),
            Sysnum::BenchSwitch => Syscall::BenchSwitch(BenchSwitchArgs { pairs: a[0] }),
            Sysnum::SendTimeout => Syscall::SendTimeout(SendTimeoutArgs {
                send: SendArgs::decode(&a),
                timeout_ns: a[3] as u64,
            }),
            Sysnum::DeviceInfo => Syscall::DeviceInfo(DeviceInfoArgs {
                index: a[0],
                info: UserRange::new(a[1], DeviceInfo::LEN),
            }),
            Sysnum::MmioMap => Syscall::MmioMap(MmioMapArgs {
                pa: a[0],
                len: a[1],
            }),
            Sysnum::DmaAlloc => Syscall::DmaAlloc(DmaAllocArgs {
                pages: a[0],
                region: UserRange::new(a[1], DmaRegion::LEN),
            }),
            Sysnum::SpawnImage => Syscall::SpawnImage(SpawnImageArgs {
                image: UserRange::new(a[0], a[1]),
                name: UserRange::new(a[2], a[3]),
            }),
            Sysnum::Reboot => Syscall::Reboot,
            Sysnum::BenchCopy => Syscall::BenchCopy(BenchCopyArgs { bytes: a[0] }),
            Sysnum::CallTimeout => Syscall::CallTimeout(CallTimeoutArgs {
                call: CallArgs::decode(&a),
                timeout_ns: a[5] as u64,
            }),
            Sysnum::RecvTimeout => Syscall::RecvTimeout(RecvTimeoutArgs {
                recv: RecvArgs::decode(&a, 0),
                timeout_ns: a[3] as u64,
            }),
            Sysnum::InitrdRead => Syscall::InitrdRead(InitrdReadArgs {
                name: UserRange::new(a[0], a[1]),
                offset: a[2],
                buf: UserRange::new(a[3], a[4]),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_gives_each_syscall_its_registers() {
        let a = [1, 0x4001_0000, 64, 0x6000_0000, 128, 0x7000_0000];
        assert_eq!(
            Syscall::decode(Sysnum::Call, a),
            Syscall::Call(CallArgs {
                send: SendArgs {
                    dst: 1,
                    msg: UserRange::new(0x4001_0000, 64)
                },
                reply: UserRange::new(0x6000_0000, 128),
            })
        );
        let Syscall::ReplyRecv(rr) = Syscall::decode(Sysnum::ReplyRecv, a) else {
            panic!("reply_recv decoded as another call");
        };
        assert_eq!(rr.reply.map(|r| r.dst), Some(1));
        assert_eq!(rr.recv.buf, UserRange::new(0x6000_0000, 128));
        assert_eq!(rr.recv.header, UserRange::new(0x7000_0000, RecvHeader::LEN));
        assert_eq!(
            Syscall::decode(Sysnum::SendTimeout, a),
            Syscall::SendTimeout(SendTimeoutArgs {
                send: SendArgs::decode(&a),
                timeout_ns: 0x6000_0000,
            })
        );
        assert_eq!(
            Syscall::decode(Sysnum::SpawnImage, a),
            Syscall::SpawnImage(SpawnImageArgs {
                image: UserRange::new(1, 0x4001_0000),
                name: UserRange::new(64, 0x6000_0000),
            })
        );
        assert_eq!(
            Syscall::decode(Sysnum::CallTimeout, a),
            Syscall::CallTimeout(CallTimeoutArgs {
                call: CallArgs::decode(&a),
                timeout_ns: 0x7000_0000,
            })
        );
        let Syscall::RecvTimeout(rt) = Syscall::decode(Sysnum::RecvTimeout, a) else {
            panic!("recv_timeout decoded as another call");
        };
        assert_eq!(rt.recv.buf, UserRange::new(1, 0x4001_0000));
        assert_eq!(rt.recv.header, UserRange::new(64, RecvHeader::LEN));
        assert_eq!(rt.timeout_ns, 0x6000_0000);
        assert_eq!(
            Syscall::decode(Sysnum::InitrdRead, a),
            Syscall::InitrdRead(InitrdReadArgs {
                name: UserRange::new(1, 0x4001_0000),
                offset: 64,
                buf: UserRange::new(0x6000_0000, 128),
            })
        );
        assert_eq!(
            Syscall::decode(Sysnum::Exit, [usize::MAX; 6]),
            Syscall::Exit(-1)
        );
    }

    #[test]
    fn reply_recv_to_zero_is_a_receive_alone() {
        let Syscall::ReplyRecv(rr) = Syscall::decode(Sysnum::ReplyRecv, [0, 5, 5, 1, 2, 3]) else {
            panic!("reply_recv decoded as another call");
        };
        assert_eq!(rr.reply, None);
    }

    #[test]
    fn service_ids_past_u32_name_nobody() {
        assert_eq!(service_id(7), 7);
        assert_eq!(service_id(usize::MAX), u32::MAX);
        assert_eq!(service_id(1 << 32), u32::MAX);
    }

    #[test]
    fn lengths_out_of_bounds_are_bad_length() {
        let send = |len| SendArgs::decode(&[1, 0x4001_0000, len, 0, 0, 0]).msg();
        assert!(send(MAX_MSG).is_ok());
        assert!(send(0).is_ok());
        assert_eq!(send(MAX_MSG + 1), Err(SysError::BadLength));
        let spawn = |len| {
            SpawnArgs {
                name: UserRange::new(8, len),
            }
            .name()
        };
        assert_eq!(spawn(0), Err(SysError::BadLength));
        assert_eq!(spawn(MAX_PROGRAM_NAME + 1), Err(SysError::BadLength));
        assert!(spawn(MAX_PROGRAM_NAME).is_ok());
        let dma = |pages| {
            DmaAllocArgs {
                pages,
                region: UserRange::new(8, 16),
            }
            .pages()
        };
        assert_eq!(dma(0), Err(SysError::BadLength));
        assert_eq!(dma(MAX_DMA_PAGES + 1), Err(SysError::BadLength));
        assert_eq!(dma(1), Ok(1));
        let bench = |pairs| BenchSwitchArgs { pairs }.pairs();
        assert_eq!(bench(0), Err(SysError::BadLength));
        assert_eq!(bench(MAX_BENCH_PAIRS), Ok(MAX_BENCH_PAIRS as u64));
        let copy = |bytes| BenchCopyArgs { bytes }.bytes();
        assert_eq!(copy(0), Err(SysError::BadLength));
        assert_eq!(copy(MAX_BENCH_COPY + 1), Err(SysError::BadLength));
        assert_eq!(copy(MAX_BENCH_COPY), Ok(MAX_BENCH_COPY));
        assert_eq!(
            Syscall::decode(Sysnum::BenchCopy, [4096, 0, 0, 0, 0, 0]),
            Syscall::BenchCopy(BenchCopyArgs { bytes: 4096 })
        );
        assert_eq!(Syscall::decode(Sysnum::Reboot, [0; 6]), Syscall::Reboot);
        let image = |len| {
            SpawnImageArgs {
                image: UserRange::new(8, len),
                name: UserRange::new(8, 1),
            }
            .image()
        };
        assert_eq!(image(0), Err(SysError::BadLength));
        assert_eq!(image(MAX_IMAGE + 1), Err(SysError::BadLength));
        assert!(image(MAX_IMAGE).is_ok());
    }

    #[test]
    fn wait_record_needs_a_whole_record_or_none() {
        let wait = |addr, cap| {
            WaitArgs {
                child: 2,
                record: UserRange::new(addr, cap),
            }
            .record()
        };
        assert_eq!(wait(0, 0), Ok(None));
        assert_eq!(
            wait(0x6000_0000, FaultRecord::MAX_LEN - 1),
            Err(SysError::BadLength)
        );
        assert_eq!(
            wait(0x6000_0000, 1 << 20),
            Ok(Some(UserRange::new(0x6000_0000, FaultRecord::MAX_LEN)))
        );
    }

    #[test]
    fn recv_uses_at_most_one_message_of_its_buffer() {
        let r = RecvArgs::decode(&[0x6000_0000, 1 << 20, 0x6000_2000, 0, 0, 0], 0);
        assert_eq!(r.usable(), UserRange::new(0x6000_0000, MAX_MSG));
        assert_eq!(r.buf.len, 1 << 20);
    }
}
