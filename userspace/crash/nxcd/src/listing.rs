//! The rules of a dump directory that need no I/O: which file names are dumps, the
//! deterministic listing order, and which file a user-given dump id designates. The host
//! (`nxcd::store`, behind `std`) applies them to a directory it reads; crashd in the OS
//! applies them to its own directory listing, so both list and resolve alike.
//!
//! Rules:
//! - A dump file's name ends in `.nxcd.zst` or `.nxcd`, has something before the
//!   extension, and does not start with `.` (hidden and temporary files are not dumps).
//! - Listing order: readable dumps newest first (`created_ns` descending, or `seq`
//!   descending between two dumps that both carry one: crashd numbers the dumps it
//!   stores across boots, whose times count from each boot's start; ties by dump id,
//!   then file name), then unreadable files by name.
//! - An id designates the readable dumps whose `dump_id` is the id; when there are none,
//!   the files whose name, or name without the extension, is the id; when there are none
//!   either, the readable dumps whose `dump_id` starts with the id (an abbreviated id, as
//!   git takes abbreviated commits), then the files whose name starts with it. Exactly one
//!   candidate resolves; none or several do not.
//! - Near misses of an id that designates nothing are the dump ids (file names without
//!   the extension, for unreadable files) within a small edit distance of the id or of
//!   their own prefix of its length: the "did you mean" of an error.

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
        (Some(ha), Some(hb)) => match (ha.seq, hb.seq) {
            (Some(sa), Some(sb)) => sb.cmp(&sa),
            _ => hb.created_ns.cmp(&ha.created_ns),
        }
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

/// Indices of the entries that pass `keep`.
fn matching<E: DumpEntry>(entries: &[E], keep: impl Fn(&E) -> bool) -> Vec<usize> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| keep(e))
        .map(|(i, _)| i)
        .collect()
}

/// Resolves `id` among `entries` (see the module's rules); indices refer to `entries`.
pub fn resolve<E: DumpEntry>(entries: &[E], id: &str) -> Resolution {
    fn dump_id<E: DumpEntry>(e: &E) -> Option<&str> {
        e.header().map(|h| h.dump_id.as_str())
    }
    let steps: [&dyn Fn(&E) -> bool; 4] = [
        &|e| dump_id(e) == Some(id),
        &|e| e.file_name() == id || dump_stem(e.file_name()) == id,
        &|e| !id.is_empty() && dump_id(e).is_some_and(|d| d.starts_with(id)),
        &|e| !id.is_empty() && e.file_name().starts_with(id),
    ];
    let candidates = steps
        .iter()
        .map(|step| matching(entries, step))
        .find(|found| !found.is_empty())
        .unwrap_or_default();
    match candidates.as_slice() {
        [] => Resolution::NotFound,
        [one] => Resolution::One(*one),
        _ => Resolution::Ambiguous(candidates),
    }
}

/// How many near misses [`near_misses`] returns at most.
pub const NEAR_MISSES_SHOWN: usize = 3;

/// The name a near miss is judged and shown by: the dump id of a readable dump, the file
/// name without its extension otherwise.
pub fn entry_name<E: DumpEntry + ?Sized>(entry: &E) -> &str {
    match entry.header() {
        Some(h) => h.dump_id.as_str(),
        None => dump_stem(entry.file_name()),
    }
}

/// Edit distance (insertions, deletions, substitutions of characters) between `a` and
/// `b`, computed in one row of `b.len() + 1` cells.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            let substitution = diagonal + usize::from(ca != *cb);
            row[j + 1] = substitution.min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The entries an id that designates nothing nearly names (see the module's rules),
/// closest first (ties in the input's order), at most [`NEAR_MISSES_SHOWN`]. An id is a
/// near miss of a name when it is within a quarter of its length (at most 3 edits) of the
/// whole name or of the name's first as many characters as the id has; an id shorter than
/// 4 characters has no near misses (every name would be one).
pub fn near_misses<E: DumpEntry>(entries: &[E], id: &str) -> Vec<usize> {
    let len = id.chars().count();
    let allowed = (len / 4).min(3);
    if allowed == 0 {
        return Vec::new();
    }
    let mut close: Vec<(usize, usize)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let name = entry_name(e);
            let prefix: alloc::string::String = name.chars().take(len).collect();
            let distance = edit_distance(id, name).min(edit_distance(id, &prefix));
            (distance <= allowed).then_some((distance, i))
        })
        .collect();
    close.sort();
    close
        .into_iter()
        .map(|(_, i)| i)
        .take(NEAR_MISSES_SHOWN)
        .collect()
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
    fn dumps_crashd_numbered_list_by_seq_across_boots() {
        let with_seq = |name, id, created, seq: u64| {
            let mut e = dump(name, id, created);
            if let Some(h) = e.header.as_mut() {
                h.seq = Some(seq);
            }
            e
        };
        // Boot 1's dump late in its boot, boot 2's early in its own: boot 2's is newer.
        let mut entries = vec![
            with_seq("boot1.nxcd", "900-p-7", 900, 1),
            with_seq("boot2.nxcd", "100-p-7", 100, 2),
        ];
        listing_order(&mut entries);
        assert_eq!(names(&entries), ["boot2.nxcd", "boot1.nxcd"]);
        // Without seq on both, times decide.
        entries[0].header.as_mut().unwrap().seq = None;
        listing_order(&mut entries);
        assert_eq!(names(&entries), ["boot1.nxcd", "boot2.nxcd"]);
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
    fn a_unique_prefix_of_a_dump_id_resolves() {
        let entries = [
            dump("a.nxcd", "20251223-demo-42", 3),
            dump("b.nxcd", "20251220-netd-7", 2),
            corrupt("20251219-bad.nxcd"),
        ];
        assert_eq!(resolve(&entries, "20251223"), Resolution::One(0));
        assert_eq!(resolve(&entries, "20251220-n"), Resolution::One(1));
        assert_eq!(
            resolve(&entries, "2025122"),
            Resolution::Ambiguous(vec![0, 1])
        );
        // Readable dumps' ids come before file names, so only then is a corrupt file
        // reached by a prefix of its name.
        assert_eq!(resolve(&entries, "20251219"), Resolution::One(2));
        assert_eq!(resolve(&entries, ""), Resolution::NotFound);
    }

    #[test]
    fn an_exact_id_wins_over_a_longer_id_it_is_a_prefix_of() {
        let entries = [dump("a.nxcd", "demo-4", 1), dump("b.nxcd", "demo-42", 2)];
        assert_eq!(resolve(&entries, "demo-4"), Resolution::One(0));
    }

    #[test]
    fn near_misses_are_small_edits_of_ids_or_their_prefixes() {
        let entries = [
            dump("a.nxcd", "20251223-demo-42", 3),
            dump("b.nxcd", "20251220-netd-7", 2),
            corrupt("broken.nxcd"),
        ];
        // A typo in the whole id; a typo in a prefix; a corrupt file's name.
        assert_eq!(near_misses(&entries, "20251223-demo-24"), vec![0]);
        assert_eq!(
            near_misses(&entries, "20251230"),
            vec![1, 0],
            "closest first"
        );
        assert_eq!(near_misses(&entries, "brokn"), vec![2]);
        assert!(near_misses(&entries, "nothing-like-it").is_empty());
        assert!(near_misses(&entries, "x").is_empty(), "too short to guess");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn an_id_shared_by_several_dumps_is_ambiguous() {
        let entries = [dump("a.nxcd", "d", 1), corrupt("c"), dump("b.nxcd", "d", 2)];
        assert_eq!(resolve(&entries, "d"), Resolution::Ambiguous(vec![0, 2]));
    }
}
