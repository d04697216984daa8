//! Syscall numbers, error codes and the two-register result encoding.

use core::fmt;

/// A syscall number, passed in `a7`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sysnum {
    /// `debug_write(ptr, len)`: write bytes to the debug console (the UART).
    DebugWrite = 0,
    /// `exit(code)`: end the calling process with `code` (an `i32`). Never returns.
    Exit = 1,
    /// `yield()`: give up the rest of the time slice.
    Yield = 2,
    /// `sleep(ns)`: block for at least `ns` nanoseconds.
    Sleep = 3,
    /// `time() -> ns`: monotonic nanoseconds since the kernel started.
    Time = 4,
    /// `grow(bytes) -> old_break`: extend the heap by `bytes` (rounded up to pages).
    Grow = 5,
    /// `spawn(name_ptr, name_len) -> ServiceId`: start a program of the boot manifest as a
    /// child of the caller. Privileged: only programs the manifest marks `spawn`.
    Spawn = 6,
    /// `wait(child, rec_ptr, rec_cap) -> code`: block until the child exits; a fault
    /// record, when there is one, is written to `rec_ptr` (needs `FaultRecord::MAX_LEN`).
    Wait = 7,
    /// `send(dst, ptr, len)`: deliver a message; blocks until the receiver takes it.
    Send = 8,
    /// `recv(buf, cap, hdr_ptr) -> len`: block until a message arrives; the kernel writes a
    /// [`crate::RecvHeader`] at `hdr_ptr`.
    Recv = 9,
    /// `call(dst, ptr, len, rbuf, rcap) -> reply_len`: send and block for the reply.
    Call = 10,
    /// `reply(dst, ptr, len)`: answer a caller blocked in `call` on this process.
    Reply = 11,
    /// `self_id() -> id | incarnation << 32`: the caller's own service id in the low 32
    /// bits and its incarnation (as [`crate::RecvHeader`] carries it) in the high 32 (also
    /// the null syscall).
    SelfId = 12,
    /// `reply_recv(dst, ptr, len, buf, cap, hdr_ptr) -> len`: `reply` to `dst` (0: no
    /// one), then `recv`, in one trap: a server's loop. An argument error of either half
    /// (`BadLength`, `BadAddress`) returns at once and neither happens; a reply the peer
    /// cannot take (it ended, or waits for no reply from the caller) is dropped and the
    /// receive goes on.
    ReplyRecv = 13,
    /// `bench_switch(pairs) -> ns`: the kernel times `pairs` (1 to
    /// [`MAX_BENCH_PAIRS`]) address-space switch pairs, each a `satp` write plus
    /// `sfence.vma` to a space that maps only the kernel and the same back, and returns
    /// the nanoseconds they took: the reference a benchmark sets its IPC figures beside,
    /// measured between its rounds. Only `runner` programs (`NotPermitted` otherwise).
    BenchSwitch = 14,
    /// `send_timeout(dst, ptr, len, timeout_ns)`: `send`, but the message waits in the
    /// receiver's inbox at most `timeout_ns` nanoseconds (0: only if the receiver is in
    /// `recv` now, a non-blocking try); then `TimedOut`, and it is withdrawn.
    SendTimeout = 15,
    /// `device_info(index, info_ptr) -> device id`: writes the [`crate::device::DeviceInfo`]
    /// of the caller's `index`-th granted device (manifest order); `NoDevice` past them.
    DeviceInfo = 16,
    /// `mmio_map(pa, len) -> va`: maps the granted device window holding
    /// `[pa, pa + len)` into the caller's space and returns the virtual address of `pa`.
    /// `Denied` for another device's window, `BadAddress` outside every granted window.
    MmioMap = 17,
    /// `dma_alloc(pages, region_ptr) -> va`: physically contiguous zeroed pages for a
    /// driver (callers with a device grant only), mapped into its space; writes a
    /// [`crate::device::DmaRegion`] (physical and virtual address). Freed when it ends.
    DmaAlloc = 18,
    /// `spawn_image(image_ptr, image_len, name_ptr, name_len) -> ServiceId`: starts the
    /// ELF in the caller's buffer as its child, with the checks of an initrd program
    /// (programs the manifest marks `exec` only).
    SpawnImage = 19,
    /// `reboot()`: resets the machine (the sifive_test device's reset): firmware and
    /// kernel start again, on the same memory devices and disks. Never returns. Only the
    /// first program of the boot manifest, init (`NotPermitted` otherwise), which asks
    /// for it on the `final` program's request.
    Reboot = 20,
    /// `bench_copy(bytes) -> ns`: the kernel times a `memcpy` of `bytes` (1 to
    /// [`MAX_BENCH_COPY`]) between two buffers of its own and returns the nanoseconds
    /// it took: the reference a disk benchmark sets its throughput beside. Only `runner`
    /// programs (`NotPermitted` otherwise).
    BenchCopy = 21,
    /// `call_timeout(dst, ptr, len, rbuf, rcap, timeout_ns) -> reply len`: `call`, but the
    /// request waits in the receiver's inbox at most `timeout_ns` nanoseconds (0: only if
    /// the receiver is in `recv` now); then `TimedOut`, and it is withdrawn. Once taken,
    /// the caller waits for the reply as for `call`.
    CallTimeout = 22,
    /// `recv_timeout(buf, cap, hdr_ptr, timeout_ns) -> len`: `recv`, but it waits at most
    /// `timeout_ns` nanoseconds for a message or notice (0: only what is there now);
    /// then `TimedOut`.
    RecvTimeout = 23,
    /// `initrd_read(name_ptr, name_len, offset, buf_ptr, buf_len) -> bytes`: copies the
    /// bytes of initrd entry `name` from `offset` into the buffer (as many as fit; 0 at or
    /// past the end) and returns how many; with a 0-byte buffer it returns the entry's
    /// size. Read-only, for any program: the initrd is the image's signed content (the
    /// programs, the boot manifest, the symbol index `symbols.nxsym`).
    InitrdRead = 24,
}

/// The highest syscall number the kernel knows.
pub const LAST_SYSNUM: usize = Sysnum::InitrdRead as usize;

/// Most switch pairs one `bench_switch` times (a few milliseconds with interrupts off).
pub const MAX_BENCH_PAIRS: usize = 1000;

/// Most bytes one `bench_copy` copies (1 MiB).
pub const MAX_BENCH_COPY: usize = 1 << 20;

impl TryFrom<usize> for Sysnum {
    type Error = SysError;

    fn try_from(value: usize) -> Result<Self, SysError> {
        Ok(match value {
            0 => Sysnum::DebugWrite,
            1 => Sysnum::Exit,
            2 => Sysnum::Yield,
            3 => Sysnum::Sleep,
            4 => Sysnum::Time,
            5 => Sysnum::Grow,
            6 => Sysnum::Spawn,
            7 => Sysnum::Wait,
            8 => Sysnum::Send,
            9 => Sysnum::Recv,
            10 => Sysnum::Call,
            11 => Sysnum::Reply,
            12 => Sysnum::SelfId,
            13 => Sysnum::ReplyRecv,
            14 => Sysnum::BenchSwitch,
            15 => Sysnum::SendTimeout,
            16 => Sysnum::DeviceInfo,
            17 => Sysnum::MmioMap,
            18 => Sysnum::DmaAlloc,
            19 => Sysnum::SpawnImage,
            20 => Sysnum::Reboot,
            21 => Sysnum::BenchCopy,
            22 => Sysnum::CallTimeout,
            23 => Sysnum::RecvTimeout,
            24 => Sysnum::InitrdRead,
            _ => return Err(SysError::BadSyscall),
        })
    }
}

/// Why a syscall failed; the code travels in `a0`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysError {
    /// The syscall number is unknown.
    BadSyscall = 1,
    /// A pointer argument names memory the caller may not access that way.
    BadAddress = 2,
    /// A length or size argument is out of bounds (e.g. a message over 4 KiB).
    BadLength = 3,
    /// No live process has that service id.
    NoSuchService = 4,
    /// The caller lacks the privilege (e.g. `spawn` outside init and execd).
    Denied = 5,
    /// No program of that name in the boot manifest or the initrd.
    NoSuchProgram = 6,
    /// The program is already running (one instance per manifest entry).
    AlreadyRunning = 7,
    /// The program's ELF is malformed or does not fit the user layout.
    BadImage = 8,
    /// Out of physical memory or of the heap limit.
    NoMemory = 9,
    /// The peer ended while the caller was blocked on it.
    PeerGone = 10,
    /// The target is not the caller's child, or nobody waits for that reply.
    NotPermitted = 11,
    /// The receive buffer is smaller than the message; the message is dropped.
    Truncated = 12,
    /// A `send_timeout` whose message nobody took before its deadline; it is withdrawn.
    TimedOut = 13,
    /// The caller has no granted device with that index.
    NoDevice = 14,
    /// A device reported an error (a driver service's reply; the kernel never returns
    /// it).
    Io = 15,
}

impl SysError {
    /// The error with code `code`, if any.
    pub fn from_code(code: usize) -> Option<SysError> {
        Some(match code {
            1 => SysError::BadSyscall,
            2 => SysError::BadAddress,
            3 => SysError::BadLength,
            4 => SysError::NoSuchService,
            5 => SysError::Denied,
            6 => SysError::NoSuchProgram,
            7 => SysError::AlreadyRunning,
            8 => SysError::BadImage,
            9 => SysError::NoMemory,
            10 => SysError::PeerGone,
            11 => SysError::NotPermitted,
            12 => SysError::Truncated,
            13 => SysError::TimedOut,
            14 => SysError::NoDevice,
            15 => SysError::Io,
            _ => return None,
        })
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SysError::BadSyscall => "unknown syscall",
            SysError::BadAddress => "bad user address",
            SysError::BadLength => "length out of bounds",
            SysError::NoSuchService => "no such service",
            SysError::Denied => "not privileged",
            SysError::NoSuchProgram => "no such program",
            SysError::AlreadyRunning => "program already running",
            SysError::BadImage => "bad program image",
            SysError::NoMemory => "out of memory",
            SysError::PeerGone => "peer ended",
            SysError::NotPermitted => "not permitted",
            SysError::Truncated => "message larger than the buffer",
            SysError::TimedOut => "nobody took the message before its deadline",
            SysError::NoDevice => "no such granted device",
            SysError::Io => "the device reported an error",
        };
        f.write_str(text)
    }
}

impl core::error::Error for SysError {}

/// Encodes a syscall result into `(a0, a1)`.
pub fn encode_result(result: Result<usize, SysError>) -> (usize, usize) {
    match result {
        Ok(value) => (0, value),
        Err(err) => (err as usize, 0),
    }
}

/// Decodes `(a0, a1)` as the kernel left them; an unknown status is `BadSyscall`.
pub fn decode_result(a0: usize, a1: usize) -> Result<usize, SysError> {
    match a0 {
        0 => Ok(a1),
        code => Err(SysError::from_code(code).unwrap_or(SysError::BadSyscall)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sysnum_roundtrips_through_its_number() {
        for n in 0..=LAST_SYSNUM {
            let s = Sysnum::try_from(n).unwrap();
            assert_eq!(s as usize, n);
        }
        assert_eq!(LAST_SYSNUM, 24);
        assert_eq!(Sysnum::try_from(25), Err(SysError::BadSyscall));
        assert_eq!(Sysnum::try_from(usize::MAX), Err(SysError::BadSyscall));
    }

    #[test]
    fn results_roundtrip_through_two_registers() {
        for code in 1..=15usize {
            let e = SysError::from_code(code).unwrap();
            assert_eq!(e as usize, code);
            assert_eq!(decode_result(encode_result(Err(e)).0, 0), Err(e));
        }
        assert_eq!(SysError::from_code(0), None);
        assert_eq!(SysError::from_code(16), None);
        let (a0, a1) = encode_result(Ok(0xdead));
        assert_eq!(decode_result(a0, a1), Ok(0xdead));
        assert_eq!(decode_result(99, 0), Err(SysError::BadSyscall));
    }
}
