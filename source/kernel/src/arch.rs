//! The hardware edge: CSRs, the timer through SBI, and QEMU's exit device.
//!
//! Each accessor is a single instruction; the kernel runs on one hart with interrupts
//! masked in S-mode, so no access races with a trap.

/// `sstatus.SPIE`: interrupts enabled after `sret`.
const SSTATUS_SPIE: u64 = 1 << 5;
/// `sstatus.SPP`: the mode `sret` returns to (clear: U).
const SSTATUS_SPP: u64 = 1 << 8;
/// `sstatus.FS`: the floating-point unit's state (clear: off, FP instructions trap).
const SSTATUS_FS: u64 = 3 << 13;
/// `sie.STIE`: the supervisor timer interrupt source.
const SIE_STIE: u64 = 1 << 5;
/// `scounteren.TM`: U-mode may read `time`.
const SCOUNTEREN_TM: u64 = 1 << 1;

macro_rules! csr_read {
    ($name:literal) => {{
        let v: u64;
        // SAFETY: reading this CSR has no side effect and is legal in S-mode.
        unsafe { core::arch::asm!(concat!("csrr {0}, ", $name), out(reg) v) };
        v
    }};
}

/// `scause` of the current trap.
pub fn scause() -> u64 {
    csr_read!("scause")
}

/// `sstatus` now (its user-visible fields as the current trap left them).
pub fn sstatus() -> u64 {
    csr_read!("sstatus")
}

/// `sepc` of the current trap.
pub fn sepc() -> u64 {
    csr_read!("sepc")
}

/// `stval` of the current trap.
pub fn stval() -> u64 {
    csr_read!("stval")
}

/// The `time` counter (ticks of the timebase).
pub fn time() -> u64 {
    csr_read!("time")
}

/// Installs the trap vector, sets `sstatus` for every return to U-mode (SPP clear, SPIE
/// set, FS off; traps from U-mode and `sret` keep it so) and enables the timer interrupt
/// source (delivered only in U-mode, since the kernel keeps `sstatus.SIE` clear).
pub fn init_traps(vector: usize) {
    // SAFETY: `vector` is the 4-byte aligned address of `__trap_entry`, which saves and
    // restores the full user context; sscratch 0 marks "in the kernel" for it. The
    // sstatus bits only shape the next `sret` (the kernel uses no floating point);
    // enabling STIE only arms the timer source, and S-mode interrupts stay masked by the
    // clear SIE bit. scounteren only grants U-mode reads of the time counter.
    unsafe {
        core::arch::asm!("csrw sscratch, zero");
        core::arch::asm!("csrw stvec, {0}", in(reg) vector);
        core::arch::asm!("csrc sstatus, {0}", in(reg) SSTATUS_SPP | SSTATUS_FS);
        core::arch::asm!("csrs sstatus, {0}", in(reg) SSTATUS_SPIE);
        core::arch::asm!("csrs sie, {0}", in(reg) SIE_STIE);
        core::arch::asm!("csrw scounteren, {0}", in(reg) SCOUNTEREN_TM);
    }
}

/// Switches to the page table `satp` and flushes every cached translation (`satp` write
/// plus `sfence.vma`): the switch without ASIDs.
pub fn switch_space(satp: u64) {
    // SAFETY: every address space the kernel builds maps the kernel's RAM and MMIO at
    // the same addresses (root entries 0 and 2), so the next instruction fetch, the
    // kernel stack and all kernel data stay valid across the switch.
    unsafe {
        core::arch::asm!("csrw satp, {0}", "sfence.vma", in(reg) satp);
    }
}

/// Switches to the page table `satp` whose ASID tags its translations apart from every
/// other space's: no flush. The caller keeps the ASID rule (an ASID's translations are
/// fenced whenever its tables change or it is given to a new space).
pub fn switch_space_tagged(satp: u64) {
    // SAFETY: as in `switch_space`; translations cached for other ASIDs stay but are not
    // used under this one, and the kernel's own mappings are global and identical in
    // every space.
    unsafe {
        core::arch::asm!("csrw satp, {0}", in(reg) satp);
    }
}

/// Flushes the cached translations of `asid` (0: of every space).
pub fn fence_asid(asid: u16) {
    // SAFETY: sfence.vma only drops cached translations; it changes no mapping.
    unsafe {
        if asid == 0 {
            core::arch::asm!("sfence.vma");
        } else {
            core::arch::asm!("sfence.vma zero, {0}", in(reg) u64::from(asid));
        }
    }
}

/// How many ASID bits `satp` implements (the privileged spec's probe: write ones to the
/// field, read back), with `satp` (ASID 0) loaded before and after.
pub fn probe_asid_bits(satp: u64) -> u32 {
    let probed: u64;
    // SAFETY: the same root table stays selected; only the ASID field changes, and the
    // full fence afterwards drops anything cached under the probe value.
    unsafe {
        core::arch::asm!(
            "csrw satp, {all}",
            "csrr {probed}, satp",
            "csrw satp, {orig}",
            "sfence.vma",
            all = in(reg) satp | (0xFFFF << 44),
            orig = in(reg) satp,
            probed = out(reg) probed,
        );
    }
    ((probed >> 44) & 0xFFFF).count_ones()
}

/// Waits for an interrupt to become pending (interrupts stay masked: no trap is taken;
/// the caller polls `sip`).
pub fn wait_for_interrupt() {
    // SAFETY: wfi only stalls the hart until an enabled interrupt is pending.
    unsafe { core::arch::asm!("wfi") };
}

/// Whether the timer interrupt is pending.
pub fn timer_pending() -> bool {
    csr_read!("sip") & SIE_STIE != 0
}

/// Programs the next timer interrupt at absolute time `when` (SBI TIME extension),
/// which also clears a pending one.
pub fn set_timer(when: u64) {
    // SAFETY: an SBI call per the SBI specification (EID "TIME", FID 0); OpenSBI
    // clobbers only a0 and a1.
    unsafe {
        core::arch::asm!(
            "ecall",
            inlateout("a0") when => _,
            lateout("a1") _,
            in("a6") 0,
            in("a7") 0x5449_4D45,
        );
    }
}

/// Loads from an address no space maps (the gap between the MMIO and RAM gigapages) in
/// S-mode: a trap in the kernel, on purpose (`crash=trap` on the command line).
pub fn crash_by_trap() {
    // SAFETY: an aligned volatile load that changes no memory: nothing maps 0x4000_0000
    // while the kernel's own space is loaded, so the MMU refuses it and the trap path
    // stops the machine (nothing runs after it).
    unsafe { core::ptr::read_volatile(0x4000_0000 as *const u64) };
}

/// Resets the machine through the sifive_test device (0x7777): QEMU starts firmware and
/// kernel again in the same process, on the same disks.
pub fn reset_machine() -> ! {
    // SAFETY: the sifive_test device sits at 0x10_0000, identity-mapped for the kernel;
    // a 32-bit write of the reset value resets the machine.
    unsafe { core::ptr::write_volatile(0x10_0000 as *mut u32, 0x7777) };
    loop {
        wait_for_interrupt();
    }
}

/// Ends QEMU through the sifive_test device: code 0 is success, 1..=255 failure.
pub fn exit_qemu(code: u32) -> ! {
    let value = if code == 0 {
        0x5555
    } else {
        (code.min(255) << 16) | 0x3333
    };
    // SAFETY: the sifive_test device sits at 0x10_0000, identity-mapped for the kernel;
    // a 32-bit write ends the machine.
    unsafe { core::ptr::write_volatile(0x10_0000 as *mut u32, value) };
    loop {
        wait_for_interrupt();
    }
}
