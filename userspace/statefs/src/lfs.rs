//! The littlefs C library behind a small owner: its state, configuration, buffers and the
//! block device callbacks. Every littlefs call is made here; [`crate::store`] turns the
//! results into [`crate::Error`]s.
//!
//! littlefs keeps pointers into its state (to the configuration, to open files and
//! directories), so the state lives in one heap allocation that is never moved and is
//! reached only through raw pointers derived from it; the device lives in another,
//! reached by littlefs's callbacks through the configuration's `context`. littlefs runs
//! only inside these methods, so no Rust reference to either allocation is alive while it
//! does.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::{c_int, c_void};
use core::ptr::{addr_of_mut, NonNull};

use littlefs2_sys as ll;

use crate::device::range;
use crate::path::CPath;
use crate::{
    BlockDevice, DeviceError, BLOCK_CYCLES, BLOCK_SIZE, CACHE_SIZE, DISK_VERSION, IO_SIZE,
    LOOKAHEAD_SIZE, MAX_PATH, STORE_OFFSET,
};

/// littlefs's "no such entry" code.
pub(crate) const ERR_NOENT: c_int = ll::lfs_error_LFS_ERR_NOENT;
/// littlefs's "already exists" code.
pub(crate) const ERR_EXIST: c_int = ll::lfs_error_LFS_ERR_EXIST;
/// littlefs's "corrupt" code.
pub(crate) const ERR_CORRUPT: c_int = ll::lfs_error_LFS_ERR_CORRUPT;
/// littlefs's I/O error code (what the callbacks return for a device error).
pub(crate) const ERR_IO: c_int = ll::lfs_error_LFS_ERR_IO;
/// littlefs's "not a directory" code.
pub(crate) const ERR_NOTDIR: c_int = ll::lfs_error_LFS_ERR_NOTDIR;
/// littlefs's "is a directory" code.
pub(crate) const ERR_ISDIR: c_int = ll::lfs_error_LFS_ERR_ISDIR;
/// littlefs's "directory not empty" code.
pub(crate) const ERR_NOTEMPTY: c_int = ll::lfs_error_LFS_ERR_NOTEMPTY;
/// littlefs's "no space" code.
pub(crate) const ERR_NOSPC: c_int = ll::lfs_error_LFS_ERR_NOSPC;
/// littlefs's "invalid" code (also a bad disk version or geometry at mount).
pub(crate) const ERR_INVAL: c_int = ll::lfs_error_LFS_ERR_INVAL;

const CACHE: usize = CACHE_SIZE as usize;
const LOOKAHEAD: usize = LOOKAHEAD_SIZE as usize;

#[repr(C, align(8))]
struct Buf<const N: usize>([u8; N]);

/// littlefs's state and everything it points into.
#[repr(C)]
struct Core {
    lfs: ll::lfs_t,
    cfg: ll::lfs_config,
    file: ll::lfs_file_t,
    file_cfg: ll::lfs_file_config,
    dir: ll::lfs_dir_t,
    info: ll::lfs_info,
    read_buf: Buf<CACHE>,
    prog_buf: Buf<CACHE>,
    file_buf: Buf<CACHE>,
    lookahead: Buf<LOOKAHEAD>,
}

/// The device and the last failure it reported (littlefs sees only `LFS_ERR_IO`).
struct Ctx<D> {
    dev: D,
    blocks: u32,
    failure: Option<Failure>,
    /// A write reached the device since its last flush.
    dirty: bool,
}

/// A device failure, as the callbacks saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `read`, `write`, `erase` or `flush`.
    pub op: &'static str,
    /// Byte offset in the partition.
    pub offset: u64,
    /// The device's reason.
    pub reason: DeviceError,
}

/// Kind and size of a littlefs entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Info {
    /// A directory (else a regular file).
    pub dir: bool,
    /// Size in bytes (files).
    pub size: u64,
}

/// littlefs over one device.
pub(crate) struct Lfs<D: BlockDevice> {
    core: NonNull<Core>,
    ctx: NonNull<Ctx<D>>,
    mounted: bool,
}

fn offset_of(block: ll::lfs_block_t, off: ll::lfs_off_t) -> u64 {
    STORE_OFFSET + u64::from(block) * u64::from(BLOCK_SIZE) + u64::from(off)
}

/// Runs a device request for a callback, keeping the failure for the caller.
///
/// # Safety
/// `c` is the configuration of a live [`Lfs<D>`], whose `context` is its `Ctx<D>`.
unsafe fn with_ctx<D: BlockDevice>(
    c: *const ll::lfs_config,
    op: &'static str,
    offset: u64,
    f: impl FnOnce(&mut D) -> Result<(), DeviceError>,
) -> c_int {
    // SAFETY: by this function's contract `context` is the Lfs's Ctx<D>, alive for as
    // long as littlefs runs, and no Rust reference to it exists while littlefs runs.
    let ctx = unsafe { &mut *((*c).context as *mut Ctx<D>) };
    match op {
        "write" => ctx.dirty = true,
        // Nothing to make durable: a flush would cost the device a sync for nothing.
        "flush" if !ctx.dirty => return 0,
        _ => {}
    }
    let result = f(&mut ctx.dev);
    if op == "flush" && result.is_ok() {
        ctx.dirty = false;
    }
    match result {
        Ok(()) => 0,
        Err(reason) => {
            ctx.failure = Some(Failure { op, offset, reason });
            ERR_IO
        }
    }
}

unsafe extern "C" fn read_cb<D: BlockDevice>(
    c: *const ll::lfs_config,
    block: ll::lfs_block_t,
    off: ll::lfs_off_t,
    buffer: *mut c_void,
    size: ll::lfs_size_t,
) -> c_int {
    let offset = offset_of(block, off);
    // SAFETY: littlefs hands a buffer of `size` writable bytes, and its configuration is
    // that of a live Lfs<D> (the only one these callbacks are installed in).
    unsafe {
        let buf = core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size as usize);
        with_ctx::<D>(c, "read", offset, |dev| dev.read(offset, buf))
    }
}

unsafe extern "C" fn prog_cb<D: BlockDevice>(
    c: *const ll::lfs_config,
    block: ll::lfs_block_t,
    off: ll::lfs_off_t,
    buffer: *const c_void,
    size: ll::lfs_size_t,
) -> c_int {
    let offset = offset_of(block, off);
    // SAFETY: littlefs hands `size` readable bytes, and its configuration is that of a
    // live Lfs<D>.
    unsafe {
        let data = core::slice::from_raw_parts(buffer.cast::<u8>(), size as usize);
        with_ctx::<D>(c, "write", offset, |dev| dev.write(offset, data))
    }
}

unsafe extern "C" fn erase_cb<D: BlockDevice>(
    c: *const ll::lfs_config,
    block: ll::lfs_block_t,
) -> c_int {
    let offset = offset_of(block, 0);
    // A disk needs no erase (littlefs never assumes an erased value); the block is only
    // checked to be inside the partition.
    // SAFETY: littlefs's configuration is that of a live Lfs<D>.
    unsafe {
        with_ctx::<D>(c, "erase", offset, |dev| {
            range(offset, BLOCK_SIZE as usize, dev.size()).map(|_| ())
        })
    }
}

unsafe extern "C" fn sync_cb<D: BlockDevice>(c: *const ll::lfs_config) -> c_int {
    // SAFETY: littlefs's configuration is that of a live Lfs<D>.
    unsafe { with_ctx::<D>(c, "flush", 0, |dev| dev.flush()) }
}

impl<D: BlockDevice> Lfs<D> {
    /// littlefs over `dev`, with `blocks` blocks after [`STORE_OFFSET`]; not mounted.
    pub(crate) fn new(dev: D, blocks: u32) -> Lfs<D> {
        // SAFETY: every field of Core is plain C data (integers, raw pointers, optional
        // function pointers, byte arrays) for which all-zero bytes are a valid value, and
        // littlefs expects its state zeroed before mount or format.
        let core: Box<Core> = unsafe { Box::<Core>::new_zeroed().assume_init() };
        let core = NonNull::from(Box::leak(core));
        let ctx = NonNull::from(Box::leak(Box::new(Ctx {
            dev,
            blocks,
            failure: None,
            dirty: false,
        })));
        let p = core.as_ptr();
        // SAFETY: `p` points to the Core just allocated, owned by this Lfs and not yet
        // known to littlefs; the buffers it points littlefs at live in the same
        // allocation, which is freed only in Drop.
        unsafe {
            (*p).cfg = ll::lfs_config {
                context: ctx.as_ptr().cast(),
                read: Some(read_cb::<D>),
                prog: Some(prog_cb::<D>),
                erase: Some(erase_cb::<D>),
                sync: Some(sync_cb::<D>),
                read_size: IO_SIZE,
                prog_size: IO_SIZE,
                block_size: BLOCK_SIZE,
                block_count: blocks,
                block_cycles: BLOCK_CYCLES,
                cache_size: CACHE_SIZE,
                lookahead_size: LOOKAHEAD_SIZE,
                compact_thresh: 0,
                read_buffer: addr_of_mut!((*p).read_buf).cast(),
                prog_buffer: addr_of_mut!((*p).prog_buf).cast(),
                lookahead_buffer: addr_of_mut!((*p).lookahead).cast(),
                name_max: MAX_PATH as u32,
                file_max: 0,
                attr_max: 0,
                metadata_max: 0,
                inline_max: 0,
                disk_version: DISK_VERSION,
            };
            (*p).file_cfg.buffer = addr_of_mut!((*p).file_buf).cast();
        }
        Lfs {
            core,
            ctx,
            mounted: false,
        }
    }

    fn lfs(&self) -> *mut ll::lfs_t {
        // SAFETY: `core` is this Lfs's live allocation.
        unsafe { addr_of_mut!((*self.core.as_ptr()).lfs) }
    }

    fn cfg(&self) -> *const ll::lfs_config {
        // SAFETY: `core` is this Lfs's live allocation.
        unsafe { addr_of_mut!((*self.core.as_ptr()).cfg) }
    }

    /// The device (between littlefs calls).
    pub(crate) fn dev(&mut self) -> &mut D {
        // SAFETY: `ctx` is this Lfs's live allocation and littlefs is not running (it runs
        // only inside this type's methods, none of which is active while `&mut self` is
        // lent out here).
        unsafe { &mut (*self.ctx.as_ptr()).dev }
    }

    /// Flushes the device if a write reached it since its last flush.
    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
        // SAFETY: as in `dev`.
        let ctx = unsafe { &mut *self.ctx.as_ptr() };
        if !ctx.dirty {
            return Ok(());
        }
        ctx.dev.flush().map_err(|reason| Failure {
            op: "flush",
            offset: 0,
            reason,
        })?;
        ctx.dirty = false;
        Ok(())
    }

    /// The device failure behind the last `LFS_ERR_IO`, if any (cleared).
    pub(crate) fn take_failure(&mut self) -> Option<Failure> {
        // SAFETY: as in `dev`.
        unsafe { (*self.ctx.as_ptr()).failure.take() }
    }

    /// The number of blocks littlefs is configured with.
    pub(crate) fn blocks(&self) -> u32 {
        // SAFETY: as in `dev`.
        unsafe { (*self.ctx.as_ptr()).blocks }
    }

    /// Formats the device (unmounting first if mounted).
    pub(crate) fn format(&mut self) -> c_int {
        self.unmount();
        // SAFETY: the state and configuration live in this Lfs's allocation.
        unsafe { ll::lfs_format(self.lfs(), self.cfg()) }
    }

    /// Mounts the store.
    pub(crate) fn mount(&mut self) -> c_int {
        self.unmount();
        // SAFETY: as in `format`.
        let rc = unsafe { ll::lfs_mount(self.lfs(), self.cfg()) };
        self.mounted = rc == 0;
        rc
    }

    fn unmount(&mut self) {
        if self.mounted {
            // SAFETY: the state was mounted by `mount`; unmounting only frees.
            unsafe { ll::lfs_unmount(self.lfs()) };
            self.mounted = false;
        }
    }

    /// littlefs's disk version and block count of the mounted store.
    pub(crate) fn fs_stat(&mut self) -> Result<(u32, u32), c_int> {
        let mut info = ll::lfs_fsinfo::default();
        // SAFETY: the state is mounted (callers mount first); `info` is a local.
        let rc = unsafe { ll::lfs_fs_stat(self.lfs(), &mut info) };
        if rc < 0 {
            return Err(rc);
        }
        Ok((info.disk_version, info.block_count))
    }

    /// Blocks in use.
    pub(crate) fn fs_size(&mut self) -> Result<u32, c_int> {
        // SAFETY: as in `fs_stat`.
        let rc = unsafe { ll::lfs_fs_size(self.lfs()) };
        u32::try_from(rc).map_err(|_| rc)
    }

    /// Creates a directory.
    pub(crate) fn mkdir(&mut self, path: &CPath) -> c_int {
        // SAFETY: the state is mounted; `path` is nul-terminated.
        unsafe { ll::lfs_mkdir(self.lfs(), path.as_ptr()) }
    }

    /// Removes a file or an empty directory.
    pub(crate) fn remove(&mut self, path: &CPath) -> c_int {
        // SAFETY: as in `mkdir`.
        unsafe { ll::lfs_remove(self.lfs(), path.as_ptr()) }
    }

    /// Renames `from` to `to` (atomically replacing a file at `to`).
    pub(crate) fn rename(&mut self, from: &CPath, to: &CPath) -> c_int {
        // SAFETY: as in `mkdir`.
        unsafe { ll::lfs_rename(self.lfs(), from.as_ptr(), to.as_ptr()) }
    }

    /// Kind and size of the entry at `path`.
    pub(crate) fn stat(&mut self, path: &CPath) -> Result<Info, c_int> {
        let p = self.core.as_ptr();
        // SAFETY: as in `mkdir`; `info` is in this Lfs's allocation and read only after
        // littlefs returns.
        unsafe {
            let rc = ll::lfs_stat(self.lfs(), path.as_ptr(), addr_of_mut!((*p).info));
            if rc < 0 {
                return Err(rc);
            }
            Ok(Info {
                dir: u32::from((*p).info.type_) == ll::lfs_type_LFS_TYPE_DIR,
                size: u64::from((*p).info.size),
            })
        }
    }

    /// Creates (or truncates) the file at `path` and writes `data` to it, then closes it:
    /// the new contents are committed by the close.
    pub(crate) fn write_file(&mut self, path: &CPath, data: &[u8]) -> c_int {
        let p = self.core.as_ptr();
        let flags = (ll::lfs_open_flags_LFS_O_WRONLY
            | ll::lfs_open_flags_LFS_O_CREAT
            | ll::lfs_open_flags_LFS_O_TRUNC) as c_int;
        // SAFETY: the state is mounted; the file and its configuration live in this Lfs's
        // allocation and the file is closed before returning; `data` outlives the calls.
        unsafe {
            let file = addr_of_mut!((*p).file);
            let rc = ll::lfs_file_opencfg(
                self.lfs(),
                file,
                path.as_ptr(),
                flags,
                addr_of_mut!((*p).file_cfg),
            );
            if rc < 0 {
                return rc;
            }
            let mut written = 0usize;
            let mut err = 0;
            while written < data.len() {
                let chunk = &data[written..];
                let n = chunk.len().min(1 << 20) as ll::lfs_size_t;
                let rc = ll::lfs_file_write(self.lfs(), file, chunk.as_ptr().cast(), n);
                if rc <= 0 {
                    err = if rc < 0 { rc } else { ERR_IO };
                    break;
                }
                written += rc as usize;
            }
            let rc = ll::lfs_file_close(self.lfs(), file);
            if err < 0 {
                err
            } else {
                rc
            }
        }
    }

    /// Reads the whole file at `path`, which [`Lfs::stat`] said holds `size` bytes.
    pub(crate) fn read_file(&mut self, path: &CPath, size: usize) -> Result<Vec<u8>, c_int> {
        let p = self.core.as_ptr();
        let mut out = alloc::vec![0u8; size];
        // SAFETY: as in `write_file`; `out` holds `size` bytes.
        unsafe {
            let file = addr_of_mut!((*p).file);
            let rc = ll::lfs_file_opencfg(
                self.lfs(),
                file,
                path.as_ptr(),
                ll::lfs_open_flags_LFS_O_RDONLY as c_int,
                addr_of_mut!((*p).file_cfg),
            );
            if rc < 0 {
                return Err(rc);
            }
            let mut got = 0usize;
            let mut err = 0;
            while got < size {
                let want = (size - got).min(1 << 20) as ll::lfs_size_t;
                let rc = ll::lfs_file_read(self.lfs(), file, out[got..].as_mut_ptr().cast(), want);
                if rc < 0 {
                    err = rc;
                    break;
                }
                if rc == 0 {
                    // Shorter than its entry said: the store is damaged.
                    err = ERR_CORRUPT;
                    break;
                }
                got += rc as usize;
            }
            let rc = ll::lfs_file_close(self.lfs(), file);
            if err < 0 {
                return Err(err);
            }
            if rc < 0 {
                return Err(rc);
            }
        }
        Ok(out)
    }

    /// Reads up to `buf.len()` bytes of the file at `path` from `offset`; returns how many
    /// (fewer at the end of the file).
    pub(crate) fn read_range(
        &mut self,
        path: &CPath,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<usize, c_int> {
        let p = self.core.as_ptr();
        // SAFETY: as in `write_file`; `buf` is writable for its length.
        unsafe {
            let file = addr_of_mut!((*p).file);
            let rc = ll::lfs_file_opencfg(
                self.lfs(),
                file,
                path.as_ptr(),
                ll::lfs_open_flags_LFS_O_RDONLY as c_int,
                addr_of_mut!((*p).file_cfg),
            );
            if rc < 0 {
                return Err(rc);
            }
            let mut result = Ok(0usize);
            let rc = ll::lfs_file_seek(
                self.lfs(),
                file,
                offset as ll::lfs_soff_t,
                ll::lfs_whence_flags_LFS_SEEK_SET as c_int,
            );
            if rc < 0 {
                result = Err(rc);
            } else {
                let mut got = 0usize;
                while got < buf.len() {
                    let want = (buf.len() - got).min(1 << 20) as ll::lfs_size_t;
                    let rc =
                        ll::lfs_file_read(self.lfs(), file, buf[got..].as_mut_ptr().cast(), want);
                    if rc < 0 {
                        result = Err(rc);
                        break;
                    }
                    if rc == 0 {
                        break;
                    }
                    got += rc as usize;
                }
                if result.is_ok() {
                    result = Ok(got);
                }
            }
            let rc = ll::lfs_file_close(self.lfs(), file);
            match result {
                Ok(_) if rc < 0 => Err(rc),
                r => r,
            }
        }
    }

    /// The entries of the directory at `path` (without `.` and `..`): name, and kind and
    /// size.
    pub(crate) fn read_dir(&mut self, path: &CPath) -> Result<Vec<(String, Info)>, c_int> {
        let p = self.core.as_ptr();
        let mut out = Vec::new();
        // SAFETY: as in `write_file`, for the directory handle; names are read from the
        // info record littlefs filled, nul-terminated within its 256 bytes.
        unsafe {
            let dir = addr_of_mut!((*p).dir);
            let rc = ll::lfs_dir_open(self.lfs(), dir, path.as_ptr());
            if rc < 0 {
                return Err(rc);
            }
            let mut err = 0;
            loop {
                let rc = ll::lfs_dir_read(self.lfs(), dir, addr_of_mut!((*p).info));
                if rc < 0 {
                    err = rc;
                    break;
                }
                if rc == 0 {
                    break;
                }
                let info = &(*p).info;
                let bytes: Vec<u8> = info
                    .name
                    .iter()
                    .take_while(|c| **c != 0)
                    .map(|c| c.to_ne_bytes()[0])
                    .collect();
                let name = String::from_utf8_lossy(&bytes).into_owned();
                if name == "." || name == ".." {
                    continue;
                }
                let entry = Info {
                    dir: u32::from(info.type_) == ll::lfs_type_LFS_TYPE_DIR,
                    size: u64::from(info.size),
                };
                out.push((name, entry));
            }
            let rc = ll::lfs_dir_close(self.lfs(), dir);
            if err < 0 {
                return Err(err);
            }
            if rc < 0 {
                return Err(rc);
            }
        }
        Ok(out)
    }

    /// Unmounts and gives the device back.
    pub(crate) fn into_dev(mut self) -> D {
        self.unmount();
        let ctx = self.ctx;
        let core = self.core;
        core::mem::forget(self);
        // SAFETY: both allocations came from Box::leak in `new`, littlefs no longer refers
        // to them (unmounted), and `self` was forgotten so Drop does not free them again.
        unsafe {
            drop(Box::from_raw(core.as_ptr()));
            Box::from_raw(ctx.as_ptr()).dev
        }
    }
}

impl<D: BlockDevice> Drop for Lfs<D> {
    fn drop(&mut self) {
        self.unmount();
        // SAFETY: both allocations came from Box::leak in `new` and littlefs no longer
        // refers to them (unmounted).
        unsafe {
            drop(Box::from_raw(self.core.as_ptr()));
            drop(Box::from_raw(self.ctx.as_ptr()));
        }
    }
}
