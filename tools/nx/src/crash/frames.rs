//! How `nx crash show` prints frames for people: the panic machinery of a host dump
//! collapsed into one line, and the toolchain's source paths shortened. The JSON output
//! keeps every frame and every path as recorded.
//!
//! Rules:
//! - Panic machinery: a Rust panic handler records the stack from inside itself, so a
//!   host dump starts with the hook and the runtime's panic frames (`core::panicking::*`,
//!   `std::panicking::*`, `rust_begin_unwind`, `__rust_end_short_backtrace`) above the
//!   frame that panicked. When a frame of that set appears, the frames from the top of the
//!   stack through the last frame of its unbroken run are the machinery; a stack without
//!   a panic frame has none (a fault record of the OS, for one).
//! - Toolchain paths: `/rustc/<commit hash>/library/...` (the standard library's sources
//!   as the toolchain recorded them) prints as `/rustc/<first 7 hex digits>…/library/...`:
//!   the commit still names the toolchain, and the line no longer wraps.

use nxcd::symbolize::ResolvedFrame;

/// Hex digits of a `/rustc/` commit hash kept when shortened.
const RUSTC_HASH_SHOWN: usize = 7;

/// Whether a function is part of Rust's panic machinery.
fn is_panic_function(function: &str) -> bool {
    const PREFIXES: [&str; 2] = ["core::panicking::", "std::panicking::"];
    const NAMES: [&str; 2] = ["rust_begin_unwind", "__rust_end_short_backtrace"];
    PREFIXES.iter().any(|p| function.starts_with(p)) || NAMES.iter().any(|n| function.contains(n))
}

/// Whether any of a frame's locations (inlined ones too) is panic machinery.
fn is_panic_frame(frame: &ResolvedFrame) -> bool {
    frame
        .locations
        .iter()
        .filter_map(|l| l.function.as_deref())
        .any(is_panic_function)
}

/// How many frames from the top of the stack are panic machinery (see the module's
/// rules); 0 when none.
pub fn panic_machinery(frames: &[ResolvedFrame]) -> usize {
    let Some(first) = frames.iter().position(is_panic_frame) else {
        return 0;
    };
    let run = frames[first..]
        .iter()
        .take_while(|f| is_panic_frame(f))
        .count();
    first + run
}

/// `text` with every `/rustc/<hash>/` shortened (see the module's rules).
pub fn shorten_rustc_paths(text: &str) -> String {
    const MARK: &str = "/rustc/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        let (before, from_mark) = rest.split_at(at);
        out.push_str(before);
        let after = &from_mark[MARK.len()..];
        let hash_len = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hash_len > RUSTC_HASH_SHOWN && after[hash_len..].starts_with('/') {
            out.push_str(MARK);
            out.push_str(&after[..RUSTC_HASH_SHOWN]);
            out.push('…');
            rest = &after[hash_len..];
        } else {
            out.push_str(MARK);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxcd::symbolize::{Location, Origin};

    fn frame(functions: &[&str]) -> ResolvedFrame {
        ResolvedFrame {
            pc: 0,
            module: None,
            frame_build_id: None,
            locations: functions
                .iter()
                .map(|f| Location {
                    function: Some(f.to_string()),
                    file: None,
                    line: None,
                })
                .collect(),
            origin: Origin::Index,
        }
    }

    #[test]
    fn the_hook_and_the_panic_run_above_the_panicking_frame_are_machinery() {
        let frames = [
            frame(&["core::ops::function::Fn::call"]),
            frame(&[
                "<Box<dyn Fn> as Fn>::call",
                "std::panicking::panic_with_hook",
            ]),
            frame(&["std::sys::backtrace::__rust_end_short_backtrace"]),
            frame(&["__rustc::rust_begin_unwind"]),
            frame(&["core::panicking::panic_fmt"]),
            frame(&["app::validate"]),
            frame(&["std::panicking::catch_unwind"]),
            frame(&[]),
        ];
        assert_eq!(panic_machinery(&frames), 5);
    }

    #[test]
    fn a_stack_without_a_panic_frame_has_no_machinery() {
        let frames = [frame(&["app::poll"]), frame(&[]), frame(&["app::main"])];
        assert_eq!(panic_machinery(&frames), 0);
        assert_eq!(panic_machinery(&[]), 0);
    }

    #[test]
    fn rustc_paths_keep_a_hash_prefix() {
        assert_eq!(
            shorten_rustc_paths(
                "f at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/x.rs:79"
            ),
            "f at /rustc/5980761…/library/core/src/x.rs:79"
        );
        for kept in [
            "/rustc/abc/x.rs",
            "/rustc/59807616e1fa",
            "src/main.rs:3",
            "/rustc/",
        ] {
            assert_eq!(shorten_rustc_paths(kept), kept);
        }
    }
}
