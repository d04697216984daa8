//! Symbolization of a dump's frames (shared by `nx crash` and the OS's crash service):
//! frames the producer already symbolized are kept;
//! the others are placed in a module through `maps.json` (runtime pc to link-time
//! address) and looked up by Build-ID in a set of `symbols.nxsym` indexes (the first that
//! holds the Build-ID answers). An unknown Build-ID or an uncovered address is shown raw
//! (`module+0xoffset`), never an error; when indexes were given, each Build-ID none of
//! them holds is recorded once ([`Symbolizer::missing`]) for the caller to report.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::{BuildId, Dump, Frame};
use symindex::{IndexSet, Module};

/// Where a frame's source locations came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `frames.json` already had them.
    Dump,
    /// Looked up in the symbol index.
    Index,
    /// Not symbolized.
    None,
}

impl Origin {
    /// Stable lowercase name (used in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Dump => "dump",
            Origin::Index => "index",
            Origin::None => "none",
        }
    }
}

/// A function/file/line triple of a symbolized frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Function name.
    pub function: Option<String>,
    /// Source file.
    pub file: Option<String>,
    /// Line (absent when unknown or 0).
    pub line: Option<u32>,
}

impl Location {
    /// The symbol index's view of this location (for its shared renderer).
    fn as_frame(&self) -> symindex::Frame<'_> {
        symindex::Frame {
            function: self.function.as_deref(),
            file: self.file.as_deref(),
            line: self.line,
        }
    }
}

/// A frame placed in its module, with its source locations innermost first.
#[derive(Debug, Clone)]
pub struct ResolvedFrame {
    /// Runtime pc.
    pub pc: u64,
    /// Module name, offset of pc in it, link-time address and Build-ID, when a module of
    /// `maps.json` contains the pc.
    pub module: Option<(String, u64, u64, BuildId)>,
    /// Build-ID recorded in the frame itself, if any.
    pub frame_build_id: Option<BuildId>,
    /// Source locations, innermost first; empty when not symbolized.
    pub locations: Vec<Location>,
    /// Where the locations came from.
    pub origin: Origin,
}

impl ResolvedFrame {
    /// The locations as `symindex::render::pretty` prints them (`function at file:line`,
    /// then ` (inlined by) ...` lines), one string per line; empty when not symbolized.
    pub fn pretty_lines(&self) -> Vec<String> {
        if self.locations.is_empty() {
            return Vec::new();
        }
        let frames: Vec<symindex::Frame<'_>> =
            self.locations.iter().map(Location::as_frame).collect();
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = symindex::render::pretty(&mut text, &frames);
        text.lines().map(str::to_string).collect()
    }

    /// `module+0xoffset`, or the bare pc when no module contains it.
    pub fn raw(&self) -> String {
        match &self.module {
            Some((name, offset, _, _)) => format!("{name}+{offset:#x}"),
            None => format!("{:#x}", self.pc),
        }
    }
}

/// A module of the dump whose Build-ID no given index holds, with the frames it left raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingModule {
    /// The module's Build-ID.
    pub build_id: BuildId,
    /// The module's name in `maps.json`.
    pub module: String,
    /// Indexes (in `frames.json`) of the frames in it that needed the index.
    pub frames: Vec<usize>,
}

/// Looks frames up in a set of symbol indexes, caching modules by Build-ID and
/// collecting (deduplicated) warnings about index errors.
pub struct Symbolizer<'a> {
    indexes: IndexSet<'a>,
    modules: BTreeMap<Vec<u8>, Option<Module<'a>>>,
    /// Problems met in the index (each once), for stderr.
    pub warnings: Vec<String>,
    /// The Build-IDs no index holds (each once, in order of first frame), when at least
    /// one index was given; filled by [`Symbolizer::frames`].
    pub missing: Vec<MissingModule>,
}

impl<'a> Symbolizer<'a> {
    /// A symbolizer over `indexes` (an empty set: only the dump's own symbols are used).
    pub fn new(indexes: IndexSet<'a>) -> Symbolizer<'a> {
        Symbolizer {
            indexes,
            modules: BTreeMap::new(),
            warnings: Vec::new(),
            missing: Vec::new(),
        }
    }

    fn warn(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    fn module(&mut self, build_id: &BuildId) -> Option<Module<'a>> {
        if let Some(cached) = self.modules.get(build_id.as_bytes()) {
            return *cached;
        }
        let found = self.indexes.module(build_id.as_bytes());
        self.modules.insert(build_id.as_bytes().to_vec(), found);
        found
    }

    fn lookup(&mut self, build_id: &BuildId, link_addr: u64) -> Vec<Location> {
        let Some(module) = self.module(build_id) else {
            return Vec::new();
        };
        match module.lookup(link_addr) {
            Ok(frames) => frames
                .into_iter()
                .map(|f| Location {
                    function: f.function.map(str::to_string),
                    file: f.file.map(str::to_string),
                    line: f.line.filter(|&l| l != 0),
                })
                .collect(),
            Err(e) => {
                self.warn(format!(
                    "symbol index: module {build_id} at {link_addr:#x}: {e}"
                ));
                Vec::new()
            }
        }
    }

    /// Resolves one frame of `dump`. When `return_address` is set, the frame's pc points
    /// after a call: it is looked up at `pc - 1`, inside the call.
    pub fn frame(&mut self, dump: &Dump, frame: &Frame, return_address: bool) -> ResolvedFrame {
        let module = dump.link_address(frame.pc).map(|l| {
            (
                l.module.name.clone(),
                l.offset,
                l.link_addr,
                l.module.build_id.clone(),
            )
        });
        let (locations, origin) = if frame.is_symbolized() {
            let locations = frame
                .locations()
                .into_iter()
                .map(|l| Location {
                    function: l.function,
                    file: l.file,
                    line: l.line,
                })
                .collect();
            (locations, Origin::Dump)
        } else if let Some((_, _, link_addr, build_id)) = &module {
            let at = if return_address {
                link_addr.saturating_sub(1)
            } else {
                *link_addr
            };
            let locations = self.lookup(build_id, at);
            let origin = if locations.is_empty() {
                Origin::None
            } else {
                Origin::Index
            };
            (locations, origin)
        } else {
            (Vec::new(), Origin::None)
        };
        ResolvedFrame {
            pc: frame.pc,
            module,
            frame_build_id: frame.build_id.clone(),
            locations,
            origin,
        }
    }

    /// Resolves every frame of `dump`, innermost first.
    pub fn frames(&mut self, dump: &Dump) -> Vec<ResolvedFrame> {
        let frames: Vec<ResolvedFrame> = dump
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| self.frame(dump, f, f.is_return_address(i)))
            .collect();
        for (i, f) in frames.iter().enumerate() {
            self.note_missing(i, f);
        }
        frames
    }

    /// Symbolizes `dump` in place: each frame the producer left unsymbolized and the index
    /// resolves gets its locations written into `frames.json` (`function`, `file`,
    /// `line`, then the `inlined` chain), so every later reader sees them as the
    /// producer's, without an index. What the OS's crash service does on the device.
    /// Returns the frames it symbolized.
    pub fn embed(&mut self, dump: &mut Dump) -> usize {
        let resolved = self.frames(dump);
        let mut done = 0;
        for (frame, r) in dump.frames.iter_mut().zip(resolved) {
            if r.origin != Origin::Index {
                continue;
            }
            let mut locations = r.locations.into_iter().map(|l| crate::SourceLocation {
                file: l.file,
                function: l.function,
                line: l.line,
            });
            if let Some(first) = locations.next() {
                frame.function = first.function;
                frame.file = first.file;
                frame.line = first.line;
                frame.inlined = locations.collect();
                done += 1;
            }
        }
        done
    }

    /// Records frame `i` when it needed the index and no index holds its module.
    fn note_missing(&mut self, i: usize, frame: &ResolvedFrame) {
        if self.indexes.is_empty() || frame.origin == Origin::Dump {
            return;
        }
        let Some((name, _, _, build_id)) = &frame.module else {
            return;
        };
        if self.module(build_id).is_some() {
            return;
        }
        match self.missing.iter_mut().find(|m| &m.build_id == build_id) {
            Some(m) => m.frames.push(i),
            None => self.missing.push(MissingModule {
                build_id: build_id.clone(),
                module: name.clone(),
                frames: alloc::vec![i],
            }),
        }
    }
}
