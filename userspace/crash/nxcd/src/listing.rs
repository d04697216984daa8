//! The rules of a dump directory that need no I/O: which file names are dumps, the
//! deterministic listing order, and which file a user-given dump id designates. The host
//! (`nxcd::store`, behind `std`) applies them to a directory it reads; crashd in the OS
//! applies them to its own directory listing, so both list and resolve alike.
//!
//! Rules:
//! - A dump file's name ends in `.nxcd.zst` or `.nxcd`, has something before the
//!   extension, and does not start with `.` (hidden and temporary files are not dumps).
//! - Listing order: readable dumps newest first (`created_ns` descending; ties by dump
//!   id, then file name), then unreadable files by name.
//! - An id designates the readable dumps whose `dump_id` is the id; when there are none,
//!   the files whose name, or name without the extension, is the id. Exactly one
//!   candidate resolves; none or several do not.

use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::Header;

/// File name suffixes of dump files, longest first (so a stem strips `.nxcd.zst` whole).
pub const DUMP_EXTENSIONS: [&str; 2] = [".nxcd.zst", ".nxcd"];

/// Whether a file name is a dump file name (and not a hidden or temporary file).
pub fn is_dump_name(name: &str) -> bool {
    !name.starts_with('.')
        && DUMP_EXTENSIONS
            .iter()
            .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

/// The file name without its dump extension (the name itself when it has none).
pub fn dump_stem(name: &str) -> &str {
    DUMP_EXTENSIONS
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name)
}

/// What the listing order and id resolution need of one file in a dump directory.
pub trait DumpEntry {
    /// The file's name in the directory.
    fn file_name(&self) -> &str;
    /// The dump's header when the file is a readable dump, `None` when it is not.
    fn header(&self) -> Option<&Header>;
}

/// Compares two entries in listing order (see the module's rules).
pub fn listing_cmp<E: DumpEntry + ?Sized>(a: &E, b: &E) -> Ordering {
    match (a.header(), b.header()) {
        (Some(ha), Some(hb)) => hb
            .created_ns
            .cmp(&ha.created_ns)
            .then_with(|| ha.dump_id.cmp(&hb.dump_id))
            .then_with(|| a.file_name().cmp(b.file_name())),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.file_name().cmp(b.file_name()),
    }
}

/// Sorts entries into listing order: readable dumps newest first, then unreadable files.
pub fn listing_order<E: DumpEntry>(entries: &mut [E]) {
    entries.sort_by(|a, b| listing_cmp(a, b));
}

/// What a dump id designates among a directory's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one entry: its index.
    One(usize),
    /// No entry.
    NotFound,
    /// Several entries: their indices, in the input's order.
    Ambiguous(Vec<usize>),
}

/// Resolves `id` among `entries` (see the module's rules); indices refer to `entries`.
pub fn resolve<E: DumpEntry>(entries: &[E], id: &str) -> Resolution {
    let by_id: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.header().is_some_and(|h| h.dump_id.as_str() == id))
        .map(|(i, _)| i)
        .collect();
    let candidates = if by_id.is_empty() {
        entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.file_name() == id || dump_stem(e.file_name()) == id)
            .map(|(i, _)| i)
            .collect()
    } else {
        by_id
    };
    match candidates.as_slice() {
        [] => Resolution::NotFound,
        [one] => Resolution::One(*one),
        _ => Resolution::Ambiguous(candidates),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::{format, vec};

    struct Entry {
        name: &'static str,
        header: Option<Header>,
    }

    impl DumpEntry for Entry {
        fn file_name(&self) -> &str {
            self.name
        }
        fn header(&self) -> Option<&Header> {
            self.header.as_ref()
        }
    }

    fn dump(name: &'static str, id: &str, created_ns: u64) -> Entry {
        let text = format!(
            r#"{{"arch":"riscv64","build_id":"00112233","created_ns":{created_ns},"dump_id":"{id}","exit_code":-6,"pc":"0x1000","pid":7,"process":"p","scause":5,"stval":"0x0"}}"#
        );
        let header: Header = serde_json::from_str(&text).unwrap();
        Entry {
            name,
            header: Some(header),
        }
    }

    fn corrupt(name: &'static str) -> Entry {
        Entry { name, header: None }
    }

    fn names(entries: &[Entry]) -> Vec<String> {
        entries.iter().map(|e| String::from(e.name)).collect()
    }

    #[test]
    fn recognizes_dump_file_names() {
        for (name, want) in [
            ("a.nxcd", true),
            ("a.nxcd.zst", true),
            (".a.nxcd.tmp-1", false),
            (".a.nxcd", false),
            (".nxcd", false),
            ("a.zst", false),
            ("a.json", false),
            ("a.nxcd.bak", false),
        ] {
            assert_eq!(is_dump_name(name), want, "{name}");
        }
    }

    #[test]
    fn stem_strips_the_whole_extension() {
        assert_eq!(dump_stem("a.nxcd.zst"), "a");
        assert_eq!(dump_stem("a.nxcd"), "a");
        assert_eq!(dump_stem("a.json"), "a.json");
    }

    #[test]
    fn lists_newest_first_then_id_then_name_then_corrupt_by_name() {
        let mut entries = vec![
            corrupt("z.nxcd"),
            dump("old.nxcd", "old", 1),
            corrupt("b.nxcd"),
            dump("new-b.nxcd", "same", 9),
            dump("new-a.nxcd.zst", "same", 9),
            dump("mid.nxcd", "a-mid", 9),
        ];
        listing_order(&mut entries);
        assert_eq!(
            names(&entries),
            [
                "mid.nxcd",
                "new-a.nxcd.zst",
                "new-b.nxcd",
                "old.nxcd",
                "b.nxcd",
                "z.nxcd"
            ]
        );
    }

    #[test]
    fn an_id_prefers_the_header_over_file_names() {
        let entries = [dump("x.nxcd", "y", 1), dump("y.nxcd", "z", 2)];
        assert_eq!(resolve(&entries, "y"), Resolution::One(0));
    }

    #[test]
    fn a_file_name_with_or_without_extension_reaches_corrupt_files() {
        let entries = [corrupt("bad.nxcd.zst"), dump("ok.nxcd", "ok", 1)];
        assert_eq!(resolve(&entries, "bad"), Resolution::One(0));
        assert_eq!(resolve(&entries, "bad.nxcd.zst"), Resolution::One(0));
        assert_eq!(resolve(&entries, "missing"), Resolution::NotFound);
    }

    #[test]
    fn an_id_shared_by_several_dumps_is_ambiguous() {
        let entries = [dump("a.nxcd", "d", 1), corrupt("c"), dump("b.nxcd", "d", 2)];
        assert_eq!(resolve(&entries, "d"), Resolution::Ambiguous(vec![0, 2]));
    }
}
