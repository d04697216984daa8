//! Line output on the debug console: each `println!` is one `debug_write`, so lines of
//! different processes never interleave.

use alloc::string::String;
use core::fmt::Write;

/// Formats a line and writes it in one syscall (used by `println!`).
pub fn print_line(args: core::fmt::Arguments) {
    let mut line = String::new();
    let _ = line.write_fmt(args);
    line.push('\n');
    for chunk in line.as_bytes().chunks(4096) {
        let _ = crate::sys::debug_write(chunk);
    }
}

/// Prints a line on the debug console.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::print_line(format_args!($($arg)*))
    };
}
