//! Refusing an output path that names one of the inputs, checked before any work so
//! that an input is never replaced by what is made from it.

use std::fs;
use std::path::Path;

use anyhow::{bail, Result};

/// Whether `a` and `b` are the same existing file (symbolic links followed, hard links
/// recognised): the same device and inode where there are inodes, the same canonical path
/// elsewhere. A path that cannot be looked up is taken as no file here; reading or
/// writing it reports why.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(ca), Ok(cb)) => ca == cb,
            _ => false,
        }
    }
}

/// Fails when `output` is one of `inputs`, each given with what it is (`"--payload"`).
pub fn refuse_output_among_inputs(output: &Path, inputs: &[(&str, &Path)]) -> Result<()> {
    for (what, input) in inputs {
        if same_file(output, input) {
            bail!(
                "{}: the output path is also an input ({what} {}); writing it would replace \
                 that input (choose another output path; nothing was written)",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}
