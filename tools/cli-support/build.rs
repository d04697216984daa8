//! Stamps the build with the commit it was built from, as `NX_BUILD_COMMIT`: the output of
//! `git rev-parse --short=12 HEAD`, with `-dirty` when the tree has uncommitted changes
//! to tracked files, or `unknown` outside a git checkout or without git. Never fails the
//! build.

use std::path::Path;
use std::process::Command;

/// Runs git with `args` in this crate's folder; its trimmed stdout on success.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=NX_BUILD_COMMIT");
    let commit = match std::env::var("NX_BUILD_COMMIT") {
        // A packager's stamp (a build from a source tarball) wins.
        Ok(stamp) if !stamp.is_empty() => stamp,
        _ => {
            let head = git(&["rev-parse", "--short=12", "HEAD"]);
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
            match head {
                Some(head) if dirty => format!("{head}-dirty"),
                Some(head) => head,
                None => "unknown".to_string(),
            }
        }
    };
    // Run again when HEAD moves: HEAD itself (a checkout) and the ref it names (a commit).
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name]) {
            rerun_if_exists(&path);
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
            rerun_if_exists(&path);
        }
    }
    println!("cargo:rustc-env=NX_BUILD_COMMIT={commit}");
}

/// Asks cargo to run this script again when `path` (relative to the crate or absolute)
/// changes, if it exists.
fn rerun_if_exists(path: &str) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if full.exists() {
        println!("cargo:rerun-if-changed={}", full.display());
    }
}
