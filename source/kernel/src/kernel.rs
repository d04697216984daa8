//! The kernel's state: the task table, frames, the boot manifest and initrd, device
//! windows and grants, address-space mode and time; the one cell that holds it.
//!
//! The scheduler (`task::sched`), processes (`task`), syscalls (`syscall`) and the
//! switch benchmark (`bench`) each add their `impl Kernel` block in their own module.

use crate::boot::BootInfo;
use crate::mm::frame::FrameAllocator;
use crate::mm::space::AddressSpace;
use crate::task::Task;
use crate::{arch, trap};
use abi::ServiceId;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;
use initrd::manifest::Manifest;
use initrd::Archive;
use kernel_core::grants::{self, Window};

/// Task-table slots beyond the manifest's programs, for programs started from memory
/// (`spawn_image`); their service ids follow the manifest's.
pub const IMAGE_SLOTS: usize = 8;

/// Why the kernel could not start.
#[derive(Debug)]
pub enum StartError {
    /// The initrd is malformed.
    Initrd(initrd::Error),
    /// No `boot.manifest` in the initrd, or a malformed one.
    Manifest,
    /// No RAM left for the kernel's own page table.
    NoMemory,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Initrd(e) => write!(f, "{e}"),
            StartError::Manifest => f.write_str("initrd: missing or malformed boot.manifest"),
            StartError::NoMemory => f.write_str("no memory for the kernel page table"),
        }
    }
}

/// All kernel state.
pub struct Kernel {
    /// Physical frames.
    pub frames: FrameAllocator,
    /// The boot manifest.
    pub manifest: Manifest<'static>,
    /// The initrd.
    pub archive: Archive<'static>,
    /// Processes by service id (index 0 unused: the kernel); manifest programs first,
    /// then [`IMAGE_SLOTS`] for programs started from memory. Sized once at boot.
    pub tasks: Vec<Option<Task>>,
    /// The process that trapped (or runs next).
    pub current: ServiceId,
    /// Set when the current process must give up the hart.
    pub(crate) switch: bool,
    /// Whether a slice timer is pending (re-armed only after it fired or idling).
    pub(crate) timer_armed: bool,
    /// A process to run next without a scan (a `call`'s receiver, just woken).
    pub(crate) handoff: Option<ServiceId>,
    /// No sleeper or send deadline is due before this `time` tick (`u64::MAX`: none), so
    /// the scheduler scans only once it has passed.
    pub(crate) next_wake: u64,
    /// The `satp` loaded now.
    pub(crate) loaded_satp: u64,
    /// ASID bits the hart implements.
    pub(crate) asid_bits: u32,
    /// Whether spaces carry ASIDs (switches then need no fence).
    pub(crate) asids: bool,
    /// `time` ticks per second.
    pub timebase: u64,
    /// `time` at boot.
    pub boot_ticks: u64,
    /// The space that maps only the kernel (loaded at boot and while a space is freed).
    pub(crate) kernel_space: AddressSpace,
    /// A second kernel-only space, the other end of measured switches (`bench`).
    pub(crate) spare_space: Option<AddressSpace>,
    /// The virtio-mmio windows of the device tree, with the device found in each.
    pub windows: Vec<Window>,
    /// Per manifest program (index `id - 1`): the windows its grants were given.
    pub grants: Vec<Vec<usize>>,
    /// Per task-table slot: how many programs have been started in it since boot (the
    /// incarnation of the one running there now).
    pub starts: Vec<u32>,
}

extern "C" {
    static __kernel_end: u8;
}

impl Kernel {
    /// Checks the initrd and manifest, takes over RAM, gives each device grant its
    /// window and turns on paging.
    pub fn new(info: &BootInfo) -> Result<Kernel, StartError> {
        let archive = Archive::parse(info.initrd).map_err(StartError::Initrd)?;
        let text = archive.find("boot.manifest").ok_or(StartError::Manifest)?;
        let manifest = Manifest::parse(text).map_err(|_| StartError::Manifest)?;
        let kernel_end = &raw const __kernel_end as u64;
        let initrd = (
            info.initrd.as_ptr() as u64,
            (info.initrd.as_ptr() as usize + info.initrd.len()) as u64,
        );
        let mut frames = FrameAllocator::new(
            kernel_end,
            (info.ram_start + info.ram_size) as u64,
            &[initrd, (info.dtb.0 as u64, info.dtb.1 as u64)],
        );
        let kernel_space = AddressSpace::new(&mut frames, 0).ok_or(StartError::NoMemory)?;
        arch::switch_space(kernel_space.satp());
        let slots = manifest.programs().len() + 1 + IMAGE_SLOTS;
        // Each process's translations carry its service id as ASID when the hart has
        // enough ASID bits for every id (and one spare for the switch benchmark), unless
        // the command line says `asid=off`.
        let asid_bits = arch::probe_asid_bits(kernel_space.satp());
        let asids = !info.asid_off && (slots as u64 + 1) <= (1u64 << asid_bits.min(16));
        let mut tasks = Vec::new();
        tasks.resize_with(slots, || None);
        let starts = alloc::vec![0; slots];
        let windows = info.windows.clone();
        let grants = grants::assign_all(&windows, manifest.programs().iter().map(|p| p.granted()));
        Ok(Kernel {
            frames,
            manifest,
            archive,
            tasks,
            current: 0,
            switch: true,
            timer_armed: false,
            handoff: None,
            next_wake: u64::MAX,
            loaded_satp: kernel_space.satp(),
            asid_bits,
            asids,
            timebase: info.timebase,
            boot_ticks: arch::time(),
            kernel_space,
            spare_space: None,
            windows,
            grants,
            starts,
        })
    }

    /// The ASID a new space for process `id` gets (0 when ASIDs are not used).
    pub fn asid_for(&self, id: ServiceId) -> u16 {
        if self.asids {
            id as u16
        } else {
            0
        }
    }

    /// Loads `satp`: a tagged switch with ASIDs, else a switch with a full fence.
    pub(crate) fn load_space(&mut self, satp: u64) {
        if self.asids {
            arch::switch_space_tagged(satp);
        } else {
            arch::switch_space(satp);
        }
        self.loaded_satp = satp;
    }

    /// How switches are made, for the boot log.
    pub fn space_mode(&self) -> (bool, u32) {
        (self.asids, self.asid_bits)
    }

    /// Programs in the manifest.
    pub fn program_count(&self) -> usize {
        self.manifest.programs().len()
    }

    /// Device windows holding a device, for the boot log.
    pub fn device_count(&self) -> usize {
        self.windows.iter().filter(|w| w.device_id != 0).count()
    }

    /// Nanoseconds since boot.
    pub fn now_ns(&self) -> u64 {
        self.ticks_to_ns(arch::time().saturating_sub(self.boot_ticks))
    }

    /// `time` ticks as nanoseconds.
    pub fn ticks_to_ns(&self, ticks: u64) -> u64 {
        (u128::from(ticks) * 1_000_000_000 / u128::from(self.timebase.max(1))) as u64
    }

    /// Nanoseconds as `time` ticks (saturating).
    pub fn ns_to_ticks(&self, ns: u64) -> u64 {
        u64::try_from(u128::from(ns) * u128::from(self.timebase) / 1_000_000_000)
            .unwrap_or(u64::MAX)
    }

    /// The `time` tick `ns` nanoseconds from now (saturating).
    pub fn deadline_in(&self, ns: u64) -> u64 {
        arch::time().saturating_add(self.ns_to_ticks(ns))
    }

    /// The task with id `id`, if it exists.
    pub fn task(&mut self, id: ServiceId) -> Option<&mut Task> {
        self.tasks.get_mut(id as usize)?.as_mut()
    }

    /// The current task (always present while it runs a syscall).
    pub fn cur(&mut self) -> Option<&mut Task> {
        let id = self.current;
        self.task(id)
    }
}

/// The kernel state, reached only from `rust_main` and the trap handler.
struct KernelCell(UnsafeCell<Option<Kernel>>);

// SAFETY: one hart runs the kernel, with interrupts masked in S-mode, and the trap
// handler is never re-entered (a trap in S-mode panics), so the cell is never shared.
unsafe impl Sync for KernelCell {}

static KERNEL: KernelCell = KernelCell(UnsafeCell::new(None));

/// Runs `f` on the kernel state (inlined: the trap path stays in `.text.hot`).
#[inline(always)]
pub fn with_kernel<R>(f: impl FnOnce(&mut Kernel) -> R) -> R {
    // SAFETY: see `KernelCell`: no other reference to the state exists while `f` runs.
    let slot = unsafe { &mut *KERNEL.0.get() };
    match slot {
        Some(k) => f(k),
        None => panic!("kernel state used before boot"),
    }
}

/// Installs the state, measures, starts init and enters it (`rust_main` installed the
/// trap vector first). Never returns.
pub fn start(kernel: Kernel) -> ! {
    // SAFETY: see `KernelCell`: called once at boot, before any trap can occur.
    unsafe { *KERNEL.0.get() = Some(kernel) };
    let frame = with_kernel(|k| {
        k.bench_space_switch();
        let first = k.manifest.first().map(|p| p.name).unwrap_or("init");
        if let Err(e) = k.spawn(first, 0) {
            panic!("cannot start {first}: {e}");
        }
        k.resume()
    });
    trap::enter_user(frame)
}
