//! Starting a program: its ELF (from the initrd, or from a caller's buffer), through a
//! load plan, into a fresh Sv39 address space with a stack, ready to enter at its entry
//! point in U-mode. Both sources pass the same checks (`kernel_core::elf::plan`) and
//! record the same module (name, load range, build-id) for fault records.

use super::{ProgramName, State, Task};
use crate::kernel::{Kernel, IMAGE_SLOTS};
use crate::mm::space::AddressSpace;
use crate::trap::TrapFrame;
use abi::layout::{PAGE_SIZE, STACK_SIZE, STACK_TOP};
use abi::{ModuleEntry, ServiceId, SysError};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use kernel_core::elf::{self, LoadPlan};
use kernel_core::grants::DmaBook;
use kernel_core::sv39::{PTE_R, PTE_U, PTE_W, PTE_X};

/// What a new process may do, from its manifest line (nothing for an image).
struct Rights {
    spawn: bool,
    exec: bool,
    bench: bool,
    grants: Vec<usize>,
}

/// Starts manifest program `name` as a child of `parent`; returns its service id.
pub fn spawn(k: &mut Kernel, name: &str, parent: ServiceId) -> Result<ServiceId, SysError> {
    let program = *k.manifest.by_name(name).ok_or(SysError::NoSuchProgram)?;
    let id = program.id;
    if k.tasks.get(id as usize).is_some_and(|t| t.is_some()) {
        return Err(SysError::AlreadyRunning);
    }
    let image = k
        .archive
        .find(program.name)
        .ok_or(SysError::NoSuchProgram)?;
    let name = ProgramName::new(program.name.as_bytes()).ok_or(SysError::NoSuchProgram)?;
    let rights = Rights {
        spawn: program.spawn,
        exec: program.exec,
        bench: program.runner,
        grants: k.grants.get(id as usize - 1).cloned().unwrap_or_default(),
    };
    start(k, id, image, name, parent, rights)
}

/// Starts the ELF `image` (copied out of the caller) as a child of `parent`, in the first
/// free slot after the manifest's programs; it holds no rights of any kind.
pub fn spawn_image(
    k: &mut Kernel,
    image: &[u8],
    name: ProgramName,
    parent: ServiceId,
) -> Result<ServiceId, SysError> {
    let first = k.manifest.programs().len() + 1;
    let id = (first..first + IMAGE_SLOTS)
        .find(|i| k.tasks.get(*i).is_some_and(|t| t.is_none()))
        .ok_or(SysError::NoMemory)? as ServiceId;
    let rights = Rights {
        spawn: false,
        exec: false,
        bench: false,
        grants: Vec::new(),
    };
    start(k, id, image, name, parent, rights)
}

fn start(
    k: &mut Kernel,
    id: ServiceId,
    image: &[u8],
    name: ProgramName,
    parent: ServiceId,
    rights: Rights,
) -> Result<ServiceId, SysError> {
    let plan = elf::plan(image).map_err(|_| SysError::BadImage)?;
    let asid = k.asid_for(id);
    let mut space = AddressSpace::new(&mut k.frames, asid).ok_or(SysError::NoMemory)?;
    if let Err(e) = load(k, &mut space, image, &plan) {
        space.release(&mut k.frames);
        return Err(e);
    }
    // The ASID may have tagged an ended process's translations: drop them.
    crate::arch::fence_asid(asid);
    let mut x = [0u64; 32];
    x[2] = STACK_TOP as u64;
    let frame = TrapFrame {
        x,
        sepc: plan.entry as u64,
    };
    let (start, end) = plan.span();
    let module = ModuleEntry::new(
        name.as_bytes(),
        start as u64,
        end as u64,
        start as u64,
        plan.build_id(),
    );
    let incarnation = match k.starts.get_mut(id as usize) {
        Some(n) => {
            *n = n.wrapping_add(1);
            *n
        }
        None => 0,
    };
    let task = Task {
        incarnation,
        name,
        parent,
        may_spawn: rights.spawn,
        may_exec: rights.exec,
        may_bench: rights.bench,
        frame,
        space: Some(space),
        state: State::Runnable,
        module,
        inbox: VecDeque::new(),
        notices: VecDeque::new(),
        outgoing: Vec::new(),
        exit: None,
        grants: rights.grants,
        mapped: 0,
        dma: DmaBook::default(),
    };
    match k.tasks.get_mut(id as usize) {
        Some(slot) => *slot = Some(task),
        None => return Err(SysError::NoSuchProgram),
    }
    Ok(id)
}

fn load(
    k: &mut Kernel,
    space: &mut AddressSpace,
    image: &[u8],
    plan: &LoadPlan,
) -> Result<(), SysError> {
    let page = PAGE_SIZE;
    // Pages shared by two segments get the union of their rights.
    let mut pages: BTreeMap<usize, u64> = BTreeMap::new();
    for seg in plan.segments() {
        let mut rights = PTE_U | PTE_R;
        if seg.perms.write {
            rights |= PTE_W;
        }
        if seg.perms.exec {
            rights |= PTE_X;
        }
        let mut va = seg.vaddr & !(page - 1);
        while va < seg.vaddr + seg.mem_len {
            *pages.entry(va).or_insert(0) |= rights;
            va += page;
        }
    }
    for (&va, &rights) in &pages {
        let pa = space.map_zeroed(&mut k.frames, va, rights)?;
        for seg in plan.segments() {
            let lo = va.max(seg.vaddr);
            let hi = (va + page).min(seg.vaddr + seg.file_len);
            if lo >= hi {
                continue;
            }
            let from = seg.file_offset + (lo - seg.vaddr);
            let bytes = image
                .get(from..from + (hi - lo))
                .ok_or(SysError::BadImage)?;
            AddressSpace::fill_frame(pa, lo - va, bytes);
        }
    }
    let mut va = STACK_TOP - STACK_SIZE;
    while va < STACK_TOP {
        space.map_zeroed(&mut k.frames, va, PTE_U | PTE_R | PTE_W)?;
        va += page;
    }
    Ok(())
}
