//! On-device symbolization: crashd resolves a dump's frames with the symbol index the
//! image ships in its initrd (`symbols.nxsym`, every program's, by build-id) before it
//! stores the dump, so the dump's `frames.json` carries function, file, line and the
//! inlined chain (`nxcd::symbolize::Symbolizer::embed`, the code `nx crash show` uses on
//! the host), and the crash report names the functions ([`functions_of`]).

use alloc::string::String;

use nxcd::symbolize::Symbolizer;
use nxcd::Dump;

/// What symbolizes a dump before it is stored.
pub trait Symbols {
    /// Writes the locations it resolves into `dump`'s frames; the frames it resolved.
    fn embed(&mut self, dump: &mut Dump) -> usize;
}

impl Symbols for Symbolizer<'_> {
    fn embed(&mut self, dump: &mut Dump) -> usize {
        Symbolizer::embed(self, dump)
    }
}

/// No index: dumps are stored unsymbolized (the host symbolizes them with `--sym`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSymbols;

impl Symbols for NoSymbols {
    fn embed(&mut self, _: &mut Dump) -> usize {
        0
    }
}

/// The frames' functions, as the crash report's `functions` field carries them:
/// innermost frame first; in a frame, its function and those it is inlined into, joined
/// by `<`; frames joined by `;`; `?` for a frame without a function. `None` when no
/// frame is symbolized.
pub fn functions_of(dump: &Dump) -> Option<String> {
    if !dump.frames.iter().any(|f| f.is_symbolized()) {
        return None;
    }
    let mut out = String::new();
    for (i, frame) in dump.frames.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let names: alloc::vec::Vec<String> = frame
            .locations()
            .into_iter()
            .filter_map(|l| l.function)
            .collect();
        if names.is_empty() {
            out.push('?');
        } else {
            out.push_str(&names.join("<"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxcd::{Frame, SourceLocation};

    fn named(function: &str) -> SourceLocation {
        SourceLocation {
            file: None,
            function: Some(function.into()),
            line: None,
        }
    }

    #[test]
    fn functions_list_each_frame_s_chain_innermost_first() {
        let mut f0 = Frame::at(0x10);
        f0.function = Some("core::ptr::write".into());
        f0.inlined = alloc::vec![named("app::inner")];
        let mut f1 = Frame::at(0x20);
        f1.function = Some("app::main".into());
        let f2 = Frame::at(0x30);
        let rec = crate::dump::tests::synthesized();
        let sub = crate::dump::tests::submission(&[]);
        let mut dump = crate::dump::build(&sub, &rec, &crate::dump::Extras::default()).unwrap();
        dump.frames = alloc::vec![f0, f1, f2];
        assert_eq!(
            functions_of(&dump).as_deref(),
            Some("core::ptr::write<app::inner;app::main;?")
        );
        dump.frames = alloc::vec![Frame::at(0x10)];
        assert_eq!(functions_of(&dump), None);
        assert_eq!(NoSymbols.embed(&mut dump), 0);
    }
}
