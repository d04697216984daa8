//! The `--version` text of the host binaries: the package version and the commit it was
//! built from (`-V`), plus the format versions the tool reads and writes (`--version`),
//! as `cargo --version --verbose` names what it was built from.
//!
//! The commit is stamped at build time (`git rev-parse --short=12 HEAD`, `-dirty` for a
//! tree with uncommitted changes, `unknown` outside git; a packager may set
//! `NX_BUILD_COMMIT`).

/// The commit the binaries were built from.
pub const COMMIT: &str = env!("NX_BUILD_COMMIT");

/// The versions of the formats a tool reads and writes, each named as its document
/// names it (`nxcd 2`, `nx-image-manifest/1`).
#[derive(Debug, Clone, Copy)]
pub struct Formats {
    /// Formats the tool reads.
    pub reads: &'static [&'static str],
    /// Formats the tool writes.
    pub writes: &'static [&'static str],
}

/// The short version: `0.1.0 (commit 1a2b3c4d5e6f)`.
pub fn short(package_version: &str) -> String {
    format!("{package_version} (commit {COMMIT})")
}

/// The long version: the short one, then a `reads:` and a `writes:` line.
pub fn long(package_version: &str, formats: Formats) -> String {
    let list = |names: &[&str]| {
        if names.is_empty() {
            "-".to_string()
        } else {
            names.join(", ")
        }
    };
    format!(
        "{}\nreads:  {}\nwrites: {}",
        short(package_version),
        list(formats.reads),
        list(formats.writes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_version_names_the_commit_and_the_formats() {
        let text = long(
            "1.2.3",
            Formats {
                reads: &["nxcd 2", "symbols.nxsym 1"],
                writes: &[],
            },
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("1.2.3 (commit {COMMIT})"));
        assert_eq!(lines[1], "reads:  nxcd 2, symbols.nxsym 1");
        assert_eq!(lines[2], "writes: -");
        assert!(!COMMIT.is_empty());
    }
}
