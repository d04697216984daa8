//! Checking a command's outputs before any work: each has an existing directory and is not
//! a directory itself, no two are the same file, and none is one of the inputs.

use std::format;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

use super::FsError;

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Where an output will be: its directory, canonicalized, joined with its file name
/// (the file itself need not exist). Fails when the directory does not exist or is not
/// a directory, or when the path names a directory.
fn output_location(option: &str, path: &Path) -> Result<PathBuf, FsError> {
    let refuse = |reason: String| FsError::Output {
        path: path.to_path_buf(),
        reason,
    };
    let Some(name) = path.file_name() else {
        return Err(refuse(format!("{option}: the path has no file name")));
    };
    let dir = parent_dir(path);
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(refuse(format!(
                "{option}: {} is not a directory",
                dir.display()
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(refuse(format!(
                "{option}: directory {} does not exist",
                dir.display()
            )))
        }
        Err(e) => {
            return Err(refuse(format!(
                "{option}: directory {}: {e}",
                dir.display()
            )))
        }
    }
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(refuse(format!("{option}: is a directory")));
    }
    let canon = fs::canonicalize(dir)
        .map_err(|e| refuse(format!("{option}: directory {}: {e}", dir.display())))?;
    Ok(canon.join(name))
}

/// Checks a command's outputs before any work: each one's directory exists, no output is
/// a directory, no two outputs are the same file, and no output is one of the inputs
/// (same location, or the same file through another name). Each path comes with the
/// option that named it, for the message.
pub fn check_outputs(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<(), FsError> {
    let mut seen: Vec<(&str, &Path, PathBuf)> = Vec::new();
    for (option, path) in outputs {
        let at = output_location(option, path)?;
        durable::check_output(path)?;
        if let Some((other, other_path, _)) = seen.iter().find(|s| s.2 == at) {
            return Err(FsError::Output {
                path: path.to_path_buf(),
                reason: format!(
                    "{option} is the same file as {other} ({}); each output needs its own path",
                    other_path.display()
                ),
            });
        }
        for (input, input_path) in inputs {
            let same_file = durable::same_file(path, input_path);
            let same_place = input_path.file_name().is_some_and(|n| {
                fs::canonicalize(parent_dir(input_path)).is_ok_and(|d| d.join(n) == at)
            }) || fs::canonicalize(input_path).is_ok_and(|c| c == at);
            if same_file || same_place {
                return Err(FsError::Output {
                    path: path.to_path_buf(),
                    reason: format!(
                        "{option} is also the input {input} ({}); refusing to replace an input",
                        input_path.display()
                    ),
                });
            }
        }
        seen.push((option, path, at));
    }
    Ok(())
}
