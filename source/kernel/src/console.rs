//! The debug console: the ns16550a UART at 0x1000_0000 (no init needed under QEMU).

use core::fmt::{self, Write};

const UART: usize = 0x1000_0000;

/// Writes one byte, polling the line status register until the holder is empty.
pub fn put_byte(b: u8) {
    let thr = UART as *mut u8;
    let lsr = (UART + 5) as *const u8;
    // SAFETY: the UART's registers are MMIO at a fixed address, identity-mapped in every
    // address space (root entry 0, kernel-only); volatile byte accesses are how the
    // device is driven, and only one hart runs the kernel.
    unsafe {
        while core::ptr::read_volatile(lsr) & 0x20 == 0 {}
        core::ptr::write_volatile(thr, b);
    }
}

/// Writes bytes as they are (user debug output).
pub fn write_bytes(bytes: &[u8]) {
    for b in bytes {
        put_byte(*b);
    }
}

struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Formats to the console (used by `kprintln!`).
pub fn print(args: fmt::Arguments) {
    let _ = Console.write_fmt(args);
}

/// Prints a line on the kernel console.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        $crate::console::print(format_args!($($arg)*));
        $crate::console::put_byte(b'\n');
    }};
}
