//! Rendering frames as text, so every consumer (nxsym, nx crash, the OS's crash
//! service) prints them the same way.
//!
//! [`gnu`] is byte for byte what binutils `addr2line -f -i -C` prints for one address:
//! for each frame, innermost first, the function (`??` when unknown) on one line and
//! `file:line` on the next (`??` for an unknown file, `?` for an unknown line); an address
//! nothing is known about prints `??` and `??:0`.

use crate::Frame;
use core::fmt::{self, Write};

/// Writes `frames` as `addr2line -f -i -C` does.
pub fn gnu(out: &mut impl Write, frames: &[Frame<'_>]) -> fmt::Result {
    if frames.is_empty() {
        return out.write_str("??\n??:0\n");
    }
    for f in frames {
        writeln!(out, "{}", f.function.unwrap_or("??"))?;
        write_location(out, f)?;
        out.write_char('\n')?;
    }
    Ok(())
}

/// Writes `file:line` of one frame (`??` / `?` for unknown parts).
pub fn write_location(out: &mut impl Write, f: &Frame<'_>) -> fmt::Result {
    out.write_str(f.file.unwrap_or("??"))?;
    match f.line {
        Some(l) => write!(out, ":{l}"),
        None => out.write_str(":?"),
    }
}

/// Writes one line per frame, `function at file:line`, callers an inlined frame was
/// inlined into prefixed with ` (inlined by) `, as `llvm-symbolizer --pretty-print` does.
pub fn pretty(out: &mut impl Write, frames: &[Frame<'_>]) -> fmt::Result {
    if frames.is_empty() {
        return out.write_str("?? at ??:0\n");
    }
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.write_str(" (inlined by) ")?;
        }
        write!(out, "{} at ", f.function.unwrap_or("??"))?;
        write_location(out, f)?;
        out.write_char('\n')?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    const INNER: Frame<'static> = Frame {
        function: Some("a::inner"),
        file: Some("/src/a.rs"),
        line: Some(7),
    };
    const OUTER: Frame<'static> = Frame {
        function: None,
        file: None,
        line: None,
    };

    #[test]
    fn gnu_matches_binutils_shapes() {
        let mut s = String::new();
        gnu(&mut s, &[INNER, OUTER]).unwrap();
        assert_eq!(s, "a::inner\n/src/a.rs:7\n??\n??:?\n");
        let mut s = String::new();
        gnu(&mut s, &[]).unwrap();
        assert_eq!(s, "??\n??:0\n");
    }

    #[test]
    fn pretty_marks_inlined_callers() {
        let mut s = String::new();
        pretty(&mut s, &[INNER, OUTER]).unwrap();
        assert_eq!(s, "a::inner at /src/a.rs:7\n (inlined by) ?? at ??:?\n");
    }
}
