//! Store paths: relative, `/`-separated, printable ASCII (littlefs names are bytes; the
//! store keeps them to what every tool can show and type).

use alloc::string::String;

use crate::{Error, MAX_PATH};

/// Names beginning with this are the store's own (the temporary file of a write); they
/// are refused in paths and never listed.
pub const RESERVED_PREFIX: &str = ".statefs-";

/// The temporary name a file is written under, in its target's directory, before it is
/// renamed over the target.
pub(crate) const TMP_NAME: &str = ".statefs-new";

/// Checks a store path: relative (a leading `/` is allowed and ignored), components that
/// are not empty, `.` or `..`, printable ASCII without `\`, no reserved name, at most
/// [`MAX_PATH`] bytes. Returns it without the leading `/` (empty for the root).
pub fn check_path(path: &str) -> Result<&str, Error> {
    let rel = path.strip_prefix('/').unwrap_or(path);
    let rel = rel.strip_suffix('/').unwrap_or(rel);
    let bad = |why| Error::BadPath {
        path: escape(path),
        why,
    };
    if rel.len() > MAX_PATH {
        return Err(bad("longer than 255 bytes"));
    }
    if rel.is_empty() {
        return Ok(rel);
    }
    for c in rel.split('/') {
        if c.is_empty() || c == "." || c == ".." {
            return Err(bad("empty, '.' or '..' component"));
        }
        if !c.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
            return Err(bad(
                "only printable ASCII without spaces or '\\' is allowed in names",
            ));
        }
        if c.starts_with(RESERVED_PREFIX) {
            return Err(bad("names beginning with '.statefs-' are the store's own"));
        }
    }
    Ok(rel)
}

/// `path` with control characters and non-ASCII escaped, for messages.
pub(crate) fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}

/// The directory part of a checked relative path ("" for the root).
pub(crate) fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

/// A nul-terminated, `/`-rooted copy of a checked relative path (optionally joined with
/// one more name) for littlefs.
pub(crate) fn c_path(rel: &str, name: Option<&str>) -> CPath {
    let mut buf = [0u8; MAX_PATH + 2 + 1 + 32];
    let mut n = 0;
    let mut push = |s: &[u8]| {
        buf[n..n + s.len()].copy_from_slice(s);
        n += s.len();
    };
    push(b"/");
    push(rel.as_bytes());
    if let Some(name) = name {
        if !rel.is_empty() {
            push(b"/");
        }
        push(name.as_bytes());
    }
    CPath { buf }
}

/// A path for littlefs (nul-terminated within its buffer).
pub(crate) struct CPath {
    buf: [u8; MAX_PATH + 2 + 1 + 32],
}

impl CPath {
    /// The pointer littlefs takes.
    pub(crate) fn as_ptr(&self) -> *const core::ffi::c_char {
        self.buf.as_ptr().cast()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        assert_eq!(check_path("/crash/a.nxcd"), Ok("crash/a.nxcd"));
        assert_eq!(check_path("trust/"), Ok("trust"));
        assert_eq!(check_path("/"), Ok(""));
        for bad in [
            "a//b",
            "a/./b",
            "../x",
            "a b",
            "caf\u{e9}",
            "x/.statefs-new",
            "tab\there",
        ] {
            assert!(
                matches!(check_path(bad), Err(Error::BadPath { .. })),
                "{bad}"
            );
        }
        let long = "a".repeat(256);
        assert!(check_path(&long).is_err());
    }

    #[test]
    fn c_paths_are_rooted_and_terminated() {
        let p = c_path("crash", Some(TMP_NAME));
        assert!(p.buf.starts_with(b"/crash/.statefs-new\0"));
        let r = c_path("", Some("boot"));
        assert!(r.buf.starts_with(b"/boot\0"));
    }
}
