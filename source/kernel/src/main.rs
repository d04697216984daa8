//! The os-lite kernel: the smallest S-mode kernel that honestly hosts the services.
//!
//! Principles (after Hubris): static configuration (the boot manifest in the initrd names
//! every program and its service id), simple algorithms (round-robin, synchronous IPC,
//! one kernel stack, no kernel threads), and safe code except where the hardware
//! demands it (CSRs, the trap path, physical memory), each with its `// SAFETY:`.
//!
//! Boot: OpenSBI enters `_start` (entry.S) at 0x8020_0000 with the hart id and the
//! device tree; `rust_main` reads RAM and the initrd range from the tree, turns on Sv39,
//! measures an address-space switch, starts the manifest's first program (init) and
//! returns to it. From then on the kernel runs only in `trap_handler`.
//!
//! The contract (syscalls, IPC, fault records, initrd, markers) is written down in
//! docs/architecture/kernel.md.
#![no_std]
#![no_main]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;

mod arch;
mod bench;
mod boot;
mod console;
mod kernel;
mod mm;
mod syscall;
mod task;
mod trap;

core::arch::global_asm!(include_str!("entry.S"));

/// The kernel's Rust entry, called once by `_start` on the boot stack.
#[no_mangle]
extern "C" fn rust_main(hartid: usize, dtb: usize) -> ! {
    // The trap vector first: a fault from here on is reported, not a silent hang.
    trap::init();
    mm::heap::init();
    let info = match boot::BootInfo::read(dtb) {
        Ok(info) => info,
        Err(e) => panic!("device tree: {e}"),
    };
    let kernel = match kernel::Kernel::new(&info) {
        Ok(k) => k,
        Err(e) => panic!("boot: {e}"),
    };
    kprintln!(
        "kernel: booted (hart {hartid}, {} MiB RAM, initrd {} bytes, {} programs)",
        info.ram_size >> 20,
        info.initrd.len(),
        kernel.program_count()
    );
    kprintln!(
        "kernel: virtio-mmio: {} devices in {} slots",
        kernel.device_count(),
        kernel.windows.len()
    );
    let (tagged, bits) = kernel.space_mode();
    if tagged {
        kprintln!("kernel: address spaces tagged ({bits} ASID bits): switches without sfence.vma");
    } else {
        kprintln!(
            "kernel: address spaces untagged ({bits} ASID bits{}): every switch with sfence.vma",
            if info.asid_off { ", asid=off" } else { "" }
        );
    }
    if info.crash_trap {
        arch::crash_by_trap();
    }
    kernel::start(kernel)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // One line: the message, then where.
    match info.location() {
        Some(at) => kprintln!("KERNEL PANIC: {} (at {at})", info.message()),
        None => kprintln!("KERNEL PANIC: {}", info.message()),
    }
    arch::exit_qemu(1)
}
