//! Section names of the `.nxcd` container and their canonical (stable) order.

use core::fmt;

/// A section this version of the format defines.
///
/// The declaration order is the canonical order: the writer emits sections in this order,
/// and it is the order of [`SectionName::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionName {
    /// `header.json`: one JSON object describing the crash (required).
    Header,
    /// `frames.json`: the stack frames, innermost first (required).
    Frames,
    /// `maps.json`: the loaded modules (required).
    Maps,
    /// `logs.jsonl`: recent logd records, one JSON object per line (optional).
    Logs,
    /// `spans.jsonl`: span records, one JSON object per line (optional).
    Spans,
    /// `regs.bin`: the register file in the layout of [`crate::Registers`] (optional).
    Regs,
}

impl SectionName {
    /// Every section, in canonical order.
    pub const ALL: [SectionName; 6] = [
        SectionName::Header,
        SectionName::Frames,
        SectionName::Maps,
        SectionName::Logs,
        SectionName::Spans,
        SectionName::Regs,
    ];

    /// The name as stored in the section table.
    pub const fn as_str(self) -> &'static str {
        match self {
            SectionName::Header => "header.json",
            SectionName::Frames => "frames.json",
            SectionName::Maps => "maps.json",
            SectionName::Logs => "logs.jsonl",
            SectionName::Spans => "spans.jsonl",
            SectionName::Regs => "regs.bin",
        }
    }

    /// Looks a stored name up; `None` if this version does not define it.
    pub fn from_name(name: &str) -> Option<SectionName> {
        SectionName::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether a valid file must contain this section.
    pub const fn is_required(self) -> bool {
        matches!(
            self,
            SectionName::Header | SectionName::Frames | SectionName::Maps
        )
    }

    /// Position in canonical order (0 for `header.json`).
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
