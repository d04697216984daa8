//! A symbol store: several indexes read as one, as a debugger reads every debug file it
//! is given. [`IndexSet`] holds parsed indexes in the order they were given; a Build-ID
//! is looked up in each in turn and the first that holds it answers. Two indexes may hold
//! the same module (the same encoded bytes: it is one module, listed and merged once), but
//! a Build-ID whose contents differ between two indexes is refused when the second is
//! added, naming both files, since either answer could be wrong.
//!
//! [`IndexSet::merged`] writes one index of every module the set holds: sorted by
//! Build-ID, each module's bytes copied unchanged, so the output depends only on the set
//! of modules, not on the order or the names of the inputs.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::write::write_encoded;
use crate::{build_id_hex, Error, Module, SymIndex};

/// Why an index could not join a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError {
    /// The file is not a valid index.
    Invalid {
        /// The file, as the caller named it.
        file: String,
        /// What is wrong with it.
        error: Error,
    },
    /// Two files hold one Build-ID with different contents.
    Conflict {
        /// The Build-ID, hex.
        build_id: String,
        /// The file added first.
        first: String,
        /// The file that conflicts with it.
        second: String,
    },
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::Invalid { file, error } => {
                write!(f, "{file} is not a valid symbol index: {error}")
            }
            SetError::Conflict {
                build_id,
                first,
                second,
            } => write!(
                f,
                "{first} and {second} hold Build-ID {build_id} with different contents"
            ),
        }
    }
}

// The cause is part of the message (`source` stays `None`, so a cause chain does not
// repeat it).
impl core::error::Error for SetError {}

/// Several parsed indexes, looked up in the order they were added.
#[derive(Clone, Default)]
pub struct IndexSet<'a> {
    indexes: Vec<(String, SymIndex<'a>)>,
}

impl<'a> IndexSet<'a> {
    /// An empty set (no index given: every lookup misses).
    pub fn new() -> IndexSet<'a> {
        IndexSet::default()
    }

    /// Parses `bytes` (the contents of `file`) and adds the index.
    pub fn add(&mut self, file: &str, bytes: &'a [u8]) -> Result<(), SetError> {
        let index = SymIndex::parse(bytes).map_err(|error| SetError::Invalid {
            file: String::from(file),
            error,
        })?;
        self.push(file, index)
    }

    /// Adds a parsed index, after checking that no index already in the set holds one of
    /// its Build-IDs with other contents.
    pub fn push(&mut self, file: &str, index: SymIndex<'a>) -> Result<(), SetError> {
        for m in index.modules() {
            if let Some((first, held)) = self.find(m.build_id()) {
                if held.raw() != m.raw() {
                    return Err(SetError::Conflict {
                        build_id: build_id_hex(m.build_id()),
                        first: String::from(first),
                        second: String::from(file),
                    });
                }
            }
        }
        self.indexes.push((String::from(file), index));
        Ok(())
    }

    /// Whether no index was added.
    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }

    /// The files of the set, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.indexes.iter().map(|(f, _)| f.as_str())
    }

    /// The module with this Build-ID and the file it was found in: the first index (in
    /// the order added) that holds it.
    pub fn find(&self, build_id: &[u8]) -> Option<(&str, Module<'a>)> {
        self.indexes.iter().find_map(|(file, index)| {
            index
                .modules()
                .binary_search_by(|m| m.build_id().cmp(build_id))
                .ok()
                .and_then(|i| index.modules().get(i))
                .map(|m| (file.as_str(), *m))
        })
    }

    /// The module with this Build-ID, if any index holds it.
    pub fn module(&self, build_id: &[u8]) -> Option<Module<'a>> {
        self.find(build_id).map(|(_, m)| m)
    }

    /// Every module the set holds, once each, sorted by Build-ID, with the first file
    /// that holds it.
    pub fn modules(&self) -> Vec<(&str, Module<'a>)> {
        let mut all: Vec<(&str, Module<'a>)> = self
            .indexes
            .iter()
            .flat_map(|(file, index)| index.modules().iter().map(move |m| (file.as_str(), *m)))
            .collect();
        // Stable: of one Build-ID, the file added first stays first and is kept.
        all.sort_by(|a, b| a.1.build_id().cmp(b.1.build_id()));
        all.dedup_by(|later, earlier| later.1.build_id() == earlier.1.build_id());
        all
    }

    /// One index holding every module of the set once (see the module's rules).
    pub fn merged(&self) -> Vec<u8> {
        let encoded: Vec<&[u8]> = self.modules().iter().map(|(_, m)| m.raw()).collect();
        write_encoded(&encoded)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::format::NONE;
    use crate::{write_index, BuildId, BuildIdKind, DebugKind, ModuleData, Node, Strings};
    use alloc::vec;

    /// A one-function module `name` at 0x1000..0x1100 with Build-ID `[id; 20]`.
    fn module(id: u8, name: &str) -> ModuleData {
        let mut strings = Strings::default();
        let f = strings.intern(name);
        let file = strings.intern("/src/lib.rs");
        ModuleData {
            build_id: BuildId::new(&[id; 20]).unwrap(),
            build_id_kind: BuildIdKind::Gnu,
            name: String::from("m"),
            arch: String::from("riscv64"),
            debug: DebugKind::Dwarf,
            debug_file: None,
            strings,
            nodes: vec![Node {
                name: f,
                parent: NONE,
                call_file: NONE,
                call_line: 0,
            }],
            scopes: vec![(0x1000, 1), (0x1100, 0)],
            lines: vec![(0x1000, Some((file, 7))), (0x1100, None)],
        }
    }

    fn function_at(set: &IndexSet<'_>, id: u8) -> Option<String> {
        let m = set.module(&[id; 20])?;
        let frames = m.lookup(0x1010).unwrap();
        frames.first().and_then(|f| f.function).map(String::from)
    }

    #[test]
    fn looks_up_across_indexes_first_hit_wins() {
        let a = write_index(&[module(1, "a::one"), module(2, "a::two")]);
        let b = write_index(&[module(3, "b::three")]);
        let mut set = IndexSet::new();
        assert!(set.is_empty());
        set.add("a.nxsym", &a).unwrap();
        set.add("b.nxsym", &b).unwrap();
        assert_eq!(function_at(&set, 2).as_deref(), Some("a::two"));
        assert_eq!(function_at(&set, 3).as_deref(), Some("b::three"));
        assert_eq!(set.find(&[3; 20]).map(|(f, _)| f), Some("b.nxsym"));
        assert!(set.module(&[4; 20]).is_none());
        assert_eq!(set.files().collect::<Vec<_>>(), ["a.nxsym", "b.nxsym"]);
    }

    #[test]
    fn the_same_module_in_two_indexes_is_held_once() {
        let a = write_index(&[module(1, "one"), module(2, "two")]);
        let b = write_index(&[module(2, "two"), module(3, "three")]);
        let mut set = IndexSet::new();
        set.add("a.nxsym", &a).unwrap();
        set.add("b.nxsym", &b).unwrap();
        let listed: Vec<(&str, u8)> = set
            .modules()
            .iter()
            .map(|(f, m)| (*f, m.build_id()[0]))
            .collect();
        assert_eq!(listed, [("a.nxsym", 1), ("a.nxsym", 2), ("b.nxsym", 3)]);
    }

    #[test]
    fn rejects_one_build_id_with_two_contents_naming_both_files() {
        let a = write_index(&[module(1, "one")]);
        let b = write_index(&[module(1, "other")]);
        let mut set = IndexSet::new();
        set.add("a.nxsym", &a).unwrap();
        let e = set.add("b.nxsym", &b).unwrap_err();
        assert_eq!(
            e,
            SetError::Conflict {
                build_id: build_id_hex(&[1; 20]),
                first: String::from("a.nxsym"),
                second: String::from("b.nxsym"),
            }
        );
        let text = alloc::format!("{e}");
        assert!(text.contains("a.nxsym and b.nxsym"), "{text}");
        assert!(text.contains(&build_id_hex(&[1; 20])), "{text}");
        // The refused index is not half added.
        assert_eq!(set.files().count(), 1);
        assert_eq!(function_at(&set, 1).as_deref(), Some("one"));
    }

    #[test]
    fn rejects_a_bad_index_naming_the_file() {
        let mut set = IndexSet::new();
        let e = set.add("junk.nxsym", b"not cbor").unwrap_err();
        assert!(matches!(&e, SetError::Invalid { file, .. } if file == "junk.nxsym"));
        assert!(alloc::format!("{e}").starts_with("junk.nxsym is not a valid symbol index"));
    }

    #[test]
    fn merge_equals_an_index_built_from_all_modules_in_any_order() {
        let a = write_index(&[module(3, "three"), module(1, "one")]);
        let b = write_index(&[module(2, "two"), module(1, "one")]);
        let whole = write_index(&[module(1, "one"), module(2, "two"), module(3, "three")]);
        for order in [[&a, &b], [&b, &a]] {
            let mut set = IndexSet::new();
            set.add("x", order[0]).unwrap();
            set.add("y", order[1]).unwrap();
            assert_eq!(set.merged(), whole);
        }
        assert_eq!(IndexSet::new().merged(), write_index(&[]));
    }
}
