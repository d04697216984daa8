//! Refusing an output path that names one of the inputs, checked before any work so that
//! an input is never replaced by what is made from it.

use std::fs;
use std::path::Path;

use crate::Error;

/// Whether `a` and `b` are the same existing file: symbolic links followed, hard links
/// and other spellings of the path recognised (the same device and inode on Unix, the
/// same file index on Windows; through the `same-file` crate). A path that cannot be
/// looked up is no file here (reading or writing it reports why).
///
/// Only regular files and directories are opened for the comparison; for other kinds
/// (FIFOs, devices, sockets), where opening may block or fail, the metadata is compared
/// instead.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    let openable = |m: &fs::Metadata| m.is_file() || m.is_dir();
    if openable(&ma) && openable(&mb) {
        return same_file::is_same_file(a, b).unwrap_or(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Fails with [`Error::OutputIsInput`] when `output` is one of `inputs`, each given with
/// what it is (the option that named it, e.g. `"--payload"`); and, checked first, with
/// [`Error::NotARegularFile`] when `output` exists and is not a regular file
/// ([`crate::check_output`]). Call it before any work.
pub fn refuse_output_among_inputs(output: &Path, inputs: &[(&str, &Path)]) -> Result<(), Error> {
    crate::check_output(output)?;
    match inputs.iter().find(|(_, input)| same_file(output, input)) {
        Some((what, input)) => Err(Error::OutputIsInput {
            path: output.to_path_buf(),
            what: (*what).to_string(),
            input: input.to_path_buf(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_same_file_through_a_hard_link_or_a_symlink_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("payload.bin");
        fs::write(&input, b"data").unwrap();
        let hard = d.path().join("hard.bin");
        fs::hard_link(&input, &hard).unwrap();
        let soft = d.path().join("soft.bin");
        std::os::unix::fs::symlink(&input, &soft).unwrap();
        let dotted = d.path().join(".").join("payload.bin");
        for output in [&input, &hard, &soft, &dotted] {
            let err = refuse_output_among_inputs(output, &[("--payload", &input)]).unwrap_err();
            assert!(
                matches!(&err, Error::OutputIsInput { path, what, .. }
                    if path == output && what == "--payload"),
                "{err}"
            );
            assert!(err.to_string().contains("nothing was written"), "{err}");
        }
    }

    #[test]
    fn another_file_or_a_missing_output_is_accepted() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("a");
        let other = d.path().join("b");
        fs::write(&input, b"same bytes").unwrap();
        fs::write(&other, b"same bytes").unwrap();
        let missing = d.path().join("new");
        for output in [&other, &missing] {
            refuse_output_among_inputs(output, &[("--in", &input)]).unwrap();
        }
    }
}
