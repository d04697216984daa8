//! Who may touch which subtree of `state:`. The table is statefsd's configuration, kept
//! here so host tests check it; the program of a request is the boot-manifest line of
//! its **kernel-stamped sender id**, never a name or path in the payload. What the table
//! does not grant is `Denied`.
//!
//! A grant covers a directory and everything below it. Reading a path needs a grant of
//! `Read` or `ReadWrite` on a directory that holds it (or on the path itself); writing,
//! removing and renaming need `ReadWrite` on the path (both paths for a rename). Listing
//! a directory is reading it, so a program never learns the names in a subtree it may not
//! read; the store's root is no program's.

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Stat, read and list.
    Read,
    /// And write, remove and rename.
    ReadWrite,
}

/// One grant: `program` may `access` `subtree` (a store path without a leading `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The boot-manifest program.
    pub program: &'static str,
    /// The directory, and everything below it.
    pub subtree: &'static str,
    /// What it may do there.
    pub access: Access,
}

const fn grant(program: &'static str, subtree: &'static str, access: Access) -> Grant {
    Grant {
        program,
        subtree,
        access,
    }
}

/// statefsd's grants (docs/provisioning/statefs.md, "The directory tree"): crashd writes
/// only `crash/`, updated only `boot/` and reads `trust/`, bundlemgrd and flashd read
/// `trust/`; selftest-client proves the rule in `settings/selftest/`.
pub const ACCESS: &[Grant] = &[
    grant("crashd", "crash", Access::ReadWrite),
    grant("updated", "boot", Access::ReadWrite),
    grant("updated", "trust", Access::Read),
    grant("bundlemgrd", "trust", Access::Read),
    grant("flashd", "trust", Access::Read),
    grant("selftest-client", "settings/selftest", Access::ReadWrite),
];

/// Whether `path` (checked, no leading `/`) lies in `subtree`.
fn within(path: &str, subtree: &str) -> bool {
    path == subtree
        || path
            .strip_prefix(subtree)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether `program` (`None`: not a manifest program) may do `want` at `path`.
pub fn allows(grants: &[Grant], program: Option<&str>, path: &str, want: Access) -> bool {
    let Some(program) = program else {
        return false;
    };
    grants.iter().any(|g| {
        g.program == program
            && within(path, g.subtree)
            && (want == Access::Read || g.access == Access::ReadWrite)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_cover_their_subtree_only() {
        let p = Some("crashd");
        assert!(allows(ACCESS, p, "crash", Access::ReadWrite));
        assert!(allows(ACCESS, p, "crash/1.nxcd", Access::ReadWrite));
        assert!(!allows(ACCESS, p, "crashy/1", Access::Read));
        assert!(!allows(ACCESS, p, "boot/bootctl", Access::Read));
        assert!(!allows(ACCESS, p, "", Access::Read));
        let u = Some("updated");
        assert!(allows(ACCESS, u, "trust/keys/a.pub", Access::Read));
        assert!(!allows(ACCESS, u, "trust/keys/a.pub", Access::ReadWrite));
        assert!(allows(ACCESS, u, "boot/bootctl", Access::ReadWrite));
        assert!(!allows(ACCESS, None, "crash", Access::Read));
        assert!(!allows(ACCESS, Some("nobody"), "crash", Access::Read));
    }
}
