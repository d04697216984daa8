//! `frames.json`: the crashed thread's stack, innermost frame first.
//!
//! Each frame carries the runtime pc and, when the producer could tell, the Build-ID of
//! the module it falls in. Frames may already be symbolized (the producer had symbols);
//! otherwise tools symbolize them from `maps.json` and a symbol index.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Deserializer, Serialize};

use crate::hex::{address, BuildId};

/// One source location of a symbolized frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    /// Source file path, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Function name (demangled), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// 1-based line number, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// One stack frame. Keys are declared in sorted order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Build-ID of the module containing `pc`, if the producer knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<BuildId>,
    /// Source file of the innermost location at `pc`, if symbolized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Function of the innermost location at `pc` (the deepest inlined function), if
    /// symbolized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The functions the innermost location is inlined into, innermost first; the last
    /// entry is the function the machine code belongs to (addr2line's "inlined by" chain).
    /// Empty when nothing is inlined or the frame is not symbolized.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub inlined: Vec<SourceLocation>,
    /// Line of the innermost location at `pc`, if symbolized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Runtime program counter.
    #[serde(with = "address")]
    pub pc: u64,
    /// Whether `pc` is a return address (looked up at `pc - 1`) or the exact instruction;
    /// `None`: the default rule, exact for the first frame and a return address for the
    /// others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_address: Option<bool>,
}

/// An optional list: `null` reads as absent, that is empty (readers accept `null` for
/// every absent optional key).
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl Frame {
    /// An unsymbolized frame.
    pub fn at(pc: u64) -> Frame {
        Frame {
            build_id: None,
            file: None,
            function: None,
            inlined: Vec::new(),
            line: None,
            pc,
            return_address: None,
        }
    }

    /// Whether this frame's `pc`, at position `index` (0: innermost), is a return
    /// address: as recorded, or else by the default rule (every frame but the first).
    pub fn is_return_address(&self, index: usize) -> bool {
        self.return_address.unwrap_or(index > 0)
    }

    /// Whether the producer already symbolized this frame.
    pub fn is_symbolized(&self) -> bool {
        self.function.is_some() || self.file.is_some() || !self.inlined.is_empty()
    }

    /// All source locations at this frame's pc, innermost first (the frame's own fields,
    /// then [`Frame::inlined`]); empty when the frame is not symbolized.
    pub fn locations(&self) -> Vec<SourceLocation> {
        let mut out = Vec::with_capacity(1 + self.inlined.len());
        if self.function.is_some() || self.file.is_some() || self.line.is_some() {
            out.push(SourceLocation {
                file: self.file.clone(),
                function: self.function.clone(),
                line: self.line,
            });
        }
        out.extend(self.inlined.iter().cloned());
        out
    }
}
