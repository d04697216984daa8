//! Syscalls: one raw `ecall` shim and safe wrappers that pass only valid slices.

use abi::{
    decode_result, DeviceInfo, DmaRegion, FaultRecord, MsgKind, RecvHeader, ServiceId, SysError,
    Sysnum,
};

/// Issues syscall `num` with up to six arguments.
///
/// # Safety
///
/// Pointer arguments are handed to the kernel as they are. The kernel checks them against
/// the page table, so a bad pointer only yields `BadAddress`; but a *valid* pointer the
/// kernel writes through (a receive buffer, a fault-record buffer) must name memory the
/// caller may overwrite.
#[inline(always)]
pub unsafe fn raw(num: Sysnum, args: [usize; 6]) -> Result<usize, SysError> {
    // SAFETY: the caller's contract, passed on.
    unsafe { raw_number(num as usize, args) }
}

/// Issues syscall number `num`, which need not be one the kernel knows (an unknown one is
/// `BadSyscall`), with up to six arguments.
///
/// # Safety
///
/// As [`raw`].
#[inline(always)]
pub unsafe fn raw_number(num: usize, args: [usize; 6]) -> Result<usize, SysError> {
    let (a0, a1): (usize, usize);
    // SAFETY: `ecall` enters the kernel, which restores every register but a0 and a1
    // (the result) before returning; memory effects are the caller's contract above.
    unsafe {
        core::arch::asm!(
            "ecall",
            inlateout("a0") args[0] => a0,
            inlateout("a1") args[1] => a1,
            in("a2") args[2],
            in("a3") args[3],
            in("a4") args[4],
            in("a5") args[5],
            in("a7") num,
        );
    }
    decode_result(a0, a1)
}

#[inline(always)]
fn call0(num: Sysnum, args: [usize; 6]) -> Result<usize, SysError> {
    // SAFETY: every wrapper below passes pointers from live slices of the right length,
    // writable where the kernel writes.
    unsafe { raw(num, args) }
}

/// Writes bytes to the debug console (at most 4 KiB).
pub fn debug_write(bytes: &[u8]) -> Result<usize, SysError> {
    call0(
        Sysnum::DebugWrite,
        [bytes.as_ptr() as usize, bytes.len(), 0, 0, 0, 0],
    )
}

/// Ends the process with `code`.
pub fn exit(code: i32) -> ! {
    let _ = call0(Sysnum::Exit, [code as usize, 0, 0, 0, 0, 0]);
    loop {
        let _ = call0(Sysnum::Yield, [0; 6]);
    }
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    let _ = call0(Sysnum::Yield, [0; 6]);
}

/// Blocks for at least `ns` nanoseconds.
pub fn sleep_ns(ns: u64) {
    let _ = call0(Sysnum::Sleep, [ns as usize, 0, 0, 0, 0, 0]);
}

/// Monotonic nanoseconds since the kernel started.
pub fn time_ns() -> u64 {
    call0(Sysnum::Time, [0; 6]).unwrap_or(0) as u64
}

/// Extends the heap by `bytes`; returns the old break.
pub fn grow(bytes: usize) -> Result<usize, SysError> {
    call0(Sysnum::Grow, [bytes, 0, 0, 0, 0, 0])
}

/// Nanoseconds the kernel took for `pairs` address-space switch pairs (`satp` +
/// `sfence.vma` and back), measured now (`runner` programs only).
pub fn bench_switch(pairs: usize) -> Result<u64, SysError> {
    call0(Sysnum::BenchSwitch, [pairs, 0, 0, 0, 0, 0]).map(|ns| ns as u64)
}

/// Resets the machine (init only: `NotPermitted` for any other program). Returns only
/// with the kernel's refusal.
pub fn reboot() -> SysError {
    match call0(Sysnum::Reboot, [0; 6]) {
        Err(e) => e,
        Ok(_) => SysError::BadSyscall,
    }
}

/// Has the kernel time a `memcpy` of `bytes` between buffers of its own (runners only);
/// returns the nanoseconds it took.
pub fn bench_copy(bytes: usize) -> Result<u64, SysError> {
    call0(Sysnum::BenchCopy, [bytes, 0, 0, 0, 0, 0]).map(|ns| ns as u64)
}

/// The caller's own service id.
#[inline]
pub fn self_id() -> ServiceId {
    call0(Sysnum::SelfId, [0; 6]).unwrap_or(0) as ServiceId
}

/// The caller's own incarnation: how many programs its slot has started since boot, this
/// one included (what the kernel stamps beside its id in every message it sends).
#[inline]
pub fn self_incarnation() -> u32 {
    (call0(Sysnum::SelfId, [0; 6]).unwrap_or(0) as u64 >> 32) as u32
}

/// The size of initrd entry `name` (`NoSuchProgram` when there is none).
pub fn initrd_size(name: &str) -> Result<usize, SysError> {
    call0(
        Sysnum::InitrdRead,
        [name.as_ptr() as usize, name.len(), 0, 0, 0, 0],
    )
}

/// Copies initrd entry `name` from `offset` into `buf`; returns the bytes copied (0 at
/// or past its end).
pub fn initrd_read(name: &str, offset: usize, buf: &mut [u8]) -> Result<usize, SysError> {
    if buf.is_empty() {
        return Ok(0);
    }
    call0(
        Sysnum::InitrdRead,
        [
            name.as_ptr() as usize,
            name.len(),
            offset,
            buf.as_mut_ptr() as usize,
            buf.len(),
            0,
        ],
    )
}

/// Starts the manifest program `name` as a child (init and execd only).
pub fn spawn(name: &str) -> Result<ServiceId, SysError> {
    call0(
        Sysnum::Spawn,
        [name.as_ptr() as usize, name.len(), 0, 0, 0, 0],
    )
    .map(|id| id as ServiceId)
}

/// Waits for child `id` to end; returns its exit code. A fault record, when the child
/// faulted, is written into `record` (left untouched otherwise).
pub fn wait(id: ServiceId, record: &mut [u8; FaultRecord::MAX_LEN]) -> Result<i64, SysError> {
    call0(
        Sysnum::Wait,
        [
            id as usize,
            record.as_mut_ptr() as usize,
            record.len(),
            0,
            0,
            0,
        ],
    )
    .map(|c| c as i64)
}

/// Sends `msg` to `dst`; returns once `dst` has received it.
#[inline]
pub fn send(dst: ServiceId, msg: &[u8]) -> Result<(), SysError> {
    call0(
        Sysnum::Send,
        [dst as usize, msg.as_ptr() as usize, msg.len(), 0, 0, 0],
    )
    .map(|_| ())
}

/// Sends `msg` to `dst`, waiting at most `timeout_ns` for `dst` to take it; then
/// `TimedOut` and the message is withdrawn. A timeout of 0 only delivers to a receiver
/// already waiting in `recv` (see [`try_send`]).
#[inline]
pub fn send_timeout(dst: ServiceId, msg: &[u8], timeout_ns: u64) -> Result<(), SysError> {
    call0(
        Sysnum::SendTimeout,
        [
            dst as usize,
            msg.as_ptr() as usize,
            msg.len(),
            timeout_ns as usize,
            0,
            0,
        ],
    )
    .map(|_| ())
}

/// Sends `msg` to `dst` only if `dst` waits in `recv` now; else `TimedOut` at once.
#[inline]
pub fn try_send(dst: ServiceId, msg: &[u8]) -> Result<(), SysError> {
    send_timeout(dst, msg, 0)
}

/// The caller's `index`-th granted device (manifest order): its MMIO window, virtio
/// device id and interrupt line. `NoDevice` past the caller's grants.
pub fn device_info(index: usize) -> Result<DeviceInfo, SysError> {
    let mut out = [0u8; DeviceInfo::LEN];
    call0(
        Sysnum::DeviceInfo,
        [index, out.as_mut_ptr() as usize, 0, 0, 0, 0],
    )?;
    Ok(DeviceInfo::from_bytes(&out))
}

/// Maps the granted device window holding `[pa, pa + len)` into this process; returns
/// the virtual address of `pa` (virtio-drivers' `Hal::mmio_phys_to_virt`). `Denied` for a
/// window not granted to the caller, `BadAddress` outside every device window,
/// `BadLength` for 0 bytes or a range past the window's end.
pub fn mmio_map(pa: usize, len: usize) -> Result<usize, SysError> {
    call0(Sysnum::MmioMap, [pa, len, 0, 0, 0, 0])
}

/// `pages` physically contiguous zeroed pages for DMA (virtio-drivers' `Hal::dma_alloc`),
/// for programs holding a device grant; they stay until the process ends.
pub fn dma_alloc(pages: usize) -> Result<DmaRegion, SysError> {
    let mut out = [0u8; DmaRegion::LEN];
    call0(
        Sysnum::DmaAlloc,
        [pages, out.as_mut_ptr() as usize, 0, 0, 0, 0],
    )?;
    Ok(DmaRegion::from_bytes(&out))
}

/// Starts the ELF `image` as a child named `name` (`exec` programs only); returns its
/// service id. The image passes the checks of an initrd program.
pub fn spawn_image(image: &[u8], name: &str) -> Result<ServiceId, SysError> {
    call0(
        Sysnum::SpawnImage,
        [
            image.as_ptr() as usize,
            image.len(),
            name.as_ptr() as usize,
            name.len(),
            0,
            0,
        ],
    )
    .map(|id| id as ServiceId)
}

/// The `call` syscall as the [`abi::rpc::Caller`] of services' client stubs
/// (`samgrd_api::Client::new(sys::Ipc, id)`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ipc;

impl abi::rpc::Caller for Ipc {
    #[inline]
    fn call(
        &mut self,
        dst: ServiceId,
        request: &[u8],
        reply: &mut [u8],
    ) -> Result<usize, SysError> {
        call(dst, request, reply)
    }
}

/// Sends `msg` to `dst` and waits for the reply in `reply`; returns the reply length.
#[inline]
pub fn call(dst: ServiceId, msg: &[u8], reply: &mut [u8]) -> Result<usize, SysError> {
    call0(
        Sysnum::Call,
        [
            dst as usize,
            msg.as_ptr() as usize,
            msg.len(),
            reply.as_mut_ptr() as usize,
            reply.len(),
            0,
        ],
    )
}

/// Waits for a message into `buf`; returns its header (sender from the kernel).
#[inline]
pub fn recv(buf: &mut [u8]) -> Result<RecvHeader, SysError> {
    let mut hdr = [0u8; RecvHeader::LEN];
    call0(
        Sysnum::Recv,
        [
            buf.as_mut_ptr() as usize,
            buf.len(),
            hdr.as_mut_ptr() as usize,
            0,
            0,
            0,
        ],
    )?;
    RecvHeader::from_bytes(&hdr).ok_or(SysError::BadLength)
}

/// Waits at most `timeout_ns` for a message into `buf` (0: only one already there);
/// `TimedOut` when none came.
#[inline]
pub fn recv_timeout(buf: &mut [u8], timeout_ns: u64) -> Result<RecvHeader, SysError> {
    let mut hdr = [0u8; RecvHeader::LEN];
    call0(
        Sysnum::RecvTimeout,
        [
            buf.as_mut_ptr() as usize,
            buf.len(),
            hdr.as_mut_ptr() as usize,
            timeout_ns as usize,
            0,
            0,
        ],
    )?;
    RecvHeader::from_bytes(&hdr).ok_or(SysError::BadLength)
}

/// `call`, but the request waits at most `timeout_ns` to be taken by `dst` (0: only if
/// `dst` waits in `recv` now); then `TimedOut` and it is withdrawn. Once taken, it waits
/// for the reply as `call` does.
#[inline]
pub fn call_timeout(
    dst: ServiceId,
    msg: &[u8],
    reply: &mut [u8],
    timeout_ns: u64,
) -> Result<usize, SysError> {
    call0(
        Sysnum::CallTimeout,
        [
            dst as usize,
            msg.as_ptr() as usize,
            msg.len(),
            reply.as_mut_ptr() as usize,
            reply.len(),
            timeout_ns as usize,
        ],
    )
}

/// Answers `dst`, blocked in `call` on this process.
#[inline]
pub fn reply(dst: ServiceId, msg: &[u8]) -> Result<(), SysError> {
    call0(
        Sysnum::Reply,
        [dst as usize, msg.as_ptr() as usize, msg.len(), 0, 0, 0],
    )
    .map(|_| ())
}

/// Answers `dst` (`None`: no one) with `buf[..reply_len]`, then waits for the next
/// message into `buf`, in one kernel entry: a server's loop around one IPC buffer (the
/// kernel takes the reply before it receives). An argument error (`BadLength`,
/// `BadAddress`) returns at once with neither half done; a reply the peer cannot take is
/// dropped.
#[inline]
pub fn reply_recv(
    dst: Option<ServiceId>,
    reply_len: usize,
    buf: &mut [u8],
) -> Result<RecvHeader, SysError> {
    if reply_len > buf.len() {
        return Err(SysError::BadLength);
    }
    let mut hdr = [0u8; RecvHeader::LEN];
    call0(
        Sysnum::ReplyRecv,
        [
            dst.unwrap_or(0) as usize,
            buf.as_ptr() as usize,
            reply_len,
            buf.as_mut_ptr() as usize,
            buf.len(),
            hdr.as_mut_ptr() as usize,
        ],
    )?;
    RecvHeader::from_bytes(&hdr).ok_or(SysError::BadLength)
}

/// A server's loop around one IPC buffer, never returning: each call's request arrives
/// in `buf`; `handle(sender, buf, len)` answers the request `buf[..len]` from `sender`
/// (the id the kernel stamped) by writing the reply over `buf` and returning its length;
/// the reply goes back in the same kernel entry that receives the next request
/// ([`reply_recv`]). Messages that are not calls, and failed receives, are dropped.
#[inline]
pub fn serve(buf: &mut [u8], mut handle: impl FnMut(ServiceId, &mut [u8], usize) -> usize) -> ! {
    serve_headers(buf, |hdr, buf, len| handle(hdr.sender, buf, len))
}

/// [`serve`], handing `handle` the whole header the kernel wrote (the sender's id and
/// incarnation) instead of the id alone.
#[inline]
pub fn serve_headers(
    buf: &mut [u8],
    mut handle: impl FnMut(&RecvHeader, &mut [u8], usize) -> usize,
) -> ! {
    let mut answer: Option<(ServiceId, usize)> = None;
    loop {
        let (to, reply_len) = answer.take().map_or((None, 0), |(id, n)| (Some(id), n));
        let hdr = match reply_recv(to, reply_len, buf) {
            Ok(h) => h,
            Err(_) => continue,
        };
        if hdr.kind != MsgKind::Call {
            continue;
        }
        let len = (hdr.len as usize).min(buf.len());
        let n = handle(&hdr, buf, len);
        answer = Some((hdr.sender, n.min(buf.len())));
    }
}
