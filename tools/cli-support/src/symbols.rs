//! The symbol store arguments every command that symbolizes takes: `--sym FILE`
//! (repeatable) and `--sym-dir DIR` (every `*.nxsym` directly in `DIR`, in byte order of
//! the names; repeatable). [`SymArgs::paths`] lists the index files in lookup order: the
//! `--sym` files as given, then each `--sym-dir`'s files. Reading and parsing them is the
//! caller's (`symindex::IndexSet` joins them).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::ArgAction;

/// The extension of a symbol index file.
pub const INDEX_EXTENSION: &str = "nxsym";

/// `--sym` and `--sym-dir`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SymArgs {
    /// Symbol index (symbols.nxsym); repeatable, each looked up in the order given.
    #[arg(long = "sym", value_name = "FILE", action = ArgAction::Append)]
    pub sym: Vec<PathBuf>,
    /// Directory of symbol indexes: every *.nxsym in it (not in subdirectories), by name;
    /// repeatable.
    #[arg(long = "sym-dir", value_name = "DIR", action = ArgAction::Append)]
    pub sym_dir: Vec<PathBuf>,
}

impl SymArgs {
    /// Whether neither `--sym` nor `--sym-dir` was given.
    pub fn is_empty(&self) -> bool {
        self.sym.is_empty() && self.sym_dir.is_empty()
    }

    /// The index files, in lookup order (see the module's rules). A `--sym-dir` that
    /// cannot be listed is an error naming it.
    pub fn paths(&self) -> Result<Vec<PathBuf>> {
        let mut paths = self.sym.clone();
        for dir in &self.sym_dir {
            paths.extend(indexes_in(dir)?);
        }
        Ok(paths)
    }
}

/// Every `*.nxsym` entry directly in `dir`, sorted by name.
fn indexes_in(dir: &std::path::Path) -> Result<Vec<PathBuf>> {
    let context = || format!("--sym-dir {}: cannot read the directory", dir.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(context)? {
        let entry = entry.with_context(context)?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == INDEX_EXTENSION) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn lists_sym_files_then_each_dirs_indexes_sorted_and_not_recursive() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.nxsym", "a.nxsym", "notes.txt", "c.nxsym.tmp"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/d.nxsym"), b"").unwrap();
        let args = SymArgs {
            sym: vec![PathBuf::from("z.nxsym"), PathBuf::from("y.nxsym")],
            sym_dir: vec![dir.path().to_path_buf()],
        };
        assert_eq!(
            args.paths().unwrap(),
            [
                PathBuf::from("z.nxsym"),
                PathBuf::from("y.nxsym"),
                dir.path().join("a.nxsym"),
                dir.path().join("b.nxsym"),
            ]
        );
        assert!(!args.is_empty());
        assert!(SymArgs::default().is_empty());
    }

    #[test]
    fn an_unreadable_dir_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let args = SymArgs {
            sym: vec![],
            sym_dir: vec![missing.clone()],
        };
        let e = format!("{:#}", args.paths().unwrap_err());
        assert!(e.contains(&missing.display().to_string()), "{e}");
        assert!(e.starts_with("--sym-dir "), "{e}");
    }
}
