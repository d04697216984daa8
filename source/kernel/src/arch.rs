//! The hardware edge: CSRs, the timer through SBI, and QEMU's exit device.
//!
//! Each accessor is a single instruction; the kernel runs on one hart with interrupts
//! masked in S-mode, so no access races with a trap.

/// `sstatus.SPIE`: interrupts enabled after `sret`.
pub const SSTATUS_SPIE: u64 = 1 << 5;
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

/// `stval` of the current trap.
pub fn stval() -> u64 {
    csr_read!("stval")
}

/// The `time` counter (ticks of the timebase).
pub fn time() -> u64 {
    csr_read!("time")
}

/// Installs the trap vector and enables the timer interrupt source (delivered only in
/// U-mode, since the kernel keeps `sstatus.SIE` clear).
pub fn init_traps(vector: usize) {
    // SAFETY: `vector` is the 4-byte aligned address of `__trap_entry`, which saves and
    // restores the full user context; enabling STIE only arms the timer source, and S-mode
    // interrupts stay masked by the clear SIE bit. scounteren only grants U-mode reads of
    // the time counter.
    unsafe {
        core::arch::asm!("csrw stvec, {0}", in(reg) vector);
        core::arch::asm!("csrs sie, {0}", in(reg) SIE_STIE);
        core::arch::asm!("csrw scounteren, {0}", in(reg) SCOUNTEREN_TM);
    }
}

/// Switches to the page table `satp` and flushes the TLB.
pub fn switch_space(satp: u64) {
    // SAFETY: every address space the kernel builds maps the kernel's RAM and MMIO at
    // the same addresses (root entries 0 and 2), so the next instruction fetch, the
    // kernel stack and all kernel data stay valid across the switch.
    unsafe {
        core::arch::asm!("csrw satp, {0}", "sfence.vma", in(reg) satp);
    }
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
