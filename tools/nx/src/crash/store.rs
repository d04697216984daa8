//! The dump directory: which files are dumps, reading each one (a bad file never stops
//! the scan), the deterministic listing order, and resolving a user-given dump id.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use nxcd::{Dump, Header, Limits};

/// File name suffixes of dump files.
pub const EXTENSIONS: [&str; 2] = [".nxcd.zst", ".nxcd"];

/// Cap on the size of a symbol index read with `--sym`.
pub const MAX_SYMBOL_INDEX: u64 = 512 * 1024 * 1024;

/// One dump file in the directory.
#[derive(Debug)]
pub struct DumpFile {
    /// File name (lossy UTF-8), as listed.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Size on disk in bytes.
    pub size: u64,
    /// The header of the dump (the whole dump was checked), or why it could not be
    /// read. Only headers are kept, so a large directory costs little memory.
    pub content: Result<Header, String>,
}

impl DumpFile {
    /// The file name without the dump extension.
    pub fn stem(&self) -> &str {
        EXTENSIONS
            .iter()
            .find_map(|ext| self.name.strip_suffix(ext))
            .unwrap_or(&self.name)
    }

    /// The dump id (header's `dump_id`), for readable dumps.
    pub fn dump_id(&self) -> Option<&str> {
        self.content.as_ref().ok().map(|h| h.dump_id.as_str())
    }
}

/// Whether a file name is a dump file name (and not a hidden or temporary file).
pub fn is_dump_name(name: &str) -> bool {
    !name.starts_with('.')
        && EXTENSIONS
            .iter()
            .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

/// Reads one dump file, with its header or the reason it is unreadable.
pub fn read_dump_file(path: &Path, name: String, size: u64) -> DumpFile {
    let content = nxcd::fs::read_dump(path, &Limits::DEFAULT)
        .map(|dump| dump.header)
        .map_err(|e| e.to_string());
    DumpFile {
        name,
        path: path.to_path_buf(),
        size,
        content,
    }
}

/// Every dump file in `dir`, sorted by file name. Unreadable dumps are included with
/// their error; only a missing or unreadable directory is an error.
pub fn scan(dir: &Path) -> anyhow::Result<Vec<DumpFile>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read dump directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.with_context(|| format!("cannot read dump directory {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_dump_name(&name) {
            continue;
        }
        let path = entry.path();
        // Follows symlinks: a link to a dump is a dump.
        let Ok(meta) = std::fs::metadata(&path) else {
            files.push(DumpFile {
                name,
                path,
                size: 0,
                content: Err(String::from("cannot stat file (dangling link?)")),
            });
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        files.push(read_dump_file(&path, name, meta.len()));
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Readable dumps newest first (ties: dump id, then file name); then corrupt files by
/// name. This is the order of `nx crash ls`.
pub fn listing_order(files: &mut [DumpFile]) {
    files.sort_by(|a, b| match (&a.content, &b.content) {
        (Ok(ha), Ok(hb)) => hb
            .created_ns
            .cmp(&ha.created_ns)
            .then_with(|| ha.dump_id.cmp(&hb.dump_id))
            .then_with(|| a.name.cmp(&b.name)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.name.cmp(&b.name),
    });
}

/// Finds the one file `id` designates: a readable dump whose `dump_id` is `id`, else a
/// file whose name, or name without the extension, is `id`.
pub fn resolve(files: Vec<DumpFile>, id: &str, dir: &Path) -> anyhow::Result<DumpFile> {
    let (by_id, rest): (Vec<DumpFile>, Vec<DumpFile>) =
        files.into_iter().partition(|f| f.dump_id() == Some(id));
    let candidates = if by_id.is_empty() {
        rest.into_iter()
            .filter(|f| f.name == id || f.stem() == id)
            .collect()
    } else {
        by_id
    };
    let mut candidates = candidates.into_iter();
    match (candidates.next(), candidates.next()) {
        (None, _) => bail!("no dump with id {id:?} in {}", dir.display()),
        (Some(one), None) => Ok(one),
        (Some(first), Some(second)) => {
            const SHOWN: usize = 5;
            let mut names = vec![first.name, second.name];
            names.extend(candidates.map(|f| f.name));
            let more = names.len().saturating_sub(SHOWN);
            names.truncate(SHOWN);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            bail!(
                "dump id {id:?} is ambiguous in {}: files {}{more}; name the file instead",
                dir.display(),
                names.join(", ")
            )
        }
    }
}

/// A readable dump, opened by id.
#[derive(Debug)]
pub struct OpenDump {
    /// File name.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Size on disk in bytes.
    pub size: u64,
    /// The decoded dump.
    pub dump: Dump,
}

/// Reads the whole dump of a file the scan found readable.
pub fn load(file: &DumpFile) -> anyhow::Result<Dump> {
    nxcd::fs::read_dump(&file.path, &Limits::DEFAULT)
        .with_context(|| format!("{}: corrupt dump", file.path.display()))
}

/// Resolves `id` and reads the dump, which must be readable.
pub fn open(dir: &Path, id: &str) -> anyhow::Result<OpenDump> {
    let file = resolve(scan(dir)?, id, dir)?;
    if let Err(reason) = &file.content {
        bail!("{}: corrupt dump: {reason}", file.path.display());
    }
    let dump = load(&file)?;
    Ok(OpenDump {
        name: file.name,
        path: file.path,
        size: file.size,
        dump,
    })
}

/// Reads a symbol index file (size-capped).
pub fn read_symbol_index(path: &Path) -> anyhow::Result<Vec<u8>> {
    durable::read_capped(path, MAX_SYMBOL_INDEX).context("cannot read the symbol index")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
