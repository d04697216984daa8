//! One output staged in a temporary file beside it, and the atomic writes built on it.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::{parent_dir, Error, FileKind};

/// The mode a new output gets before the umask applies (`0o666`, as for any file a
/// program creates).
pub const DEFAULT_MODE: u32 = 0o666;

/// Size of the buffer [`write_atomic_with`] writes through.
const BUF_LEN: usize = 256 * 1024;

/// Random characters in a temporary file's name, after the process id.
const RANDOM_LEN: usize = 6;

/// An output being written: a temporary file in the output's directory, removed when the
/// `Staged` is dropped unless it was put in place ([`Staged::commit`], [`crate::commit_all`]).
#[derive(Debug)]
pub struct Staged {
    dest: PathBuf,
    tmp: NamedTempFile,
}

/// The hidden name prefix of a temporary kind `tag` (`tmp`, `old`) beside `dest` for this
/// process: `.NAME.TAG-PID-`.
pub(crate) fn hidden_prefix(dest: &Path, tag: &str) -> Result<String, Error> {
    let name = dest.file_name().ok_or_else(|| Error::Io {
        path: dest.to_path_buf(),
        cause: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        ),
    })?;
    Ok(format!(
        ".{}.{tag}-{}-",
        name.to_string_lossy(),
        std::process::id()
    ))
}

/// Makes a new hidden file beside `dest` with `make`, which must fail with
/// `AlreadyExists` rather than touch an existing name; errors name `dest`.
pub(crate) fn make_beside<R>(
    dest: &Path,
    tag: &str,
    make: impl FnMut(&Path) -> std::io::Result<R>,
) -> Result<NamedTempFile<R>, Error> {
    let prefix = hidden_prefix(dest, tag)?;
    tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(RANDOM_LEN)
        .make_in(parent_dir(dest), make)
        .map_err(Error::io(dest))
}

/// Refuses an output that exists and is not a regular file (rule 5 of the crate docs):
/// [`Error::NotARegularFile`] says what it is. Symbolic links are followed; a missing
/// output, or one that cannot be looked up, passes (writing it reports why).
pub fn check_output(path: &Path) -> Result<(), Error> {
    match fs::metadata(path) {
        Ok(meta) => match FileKind::of(&meta) {
            FileKind::Regular => Ok(()),
            kind => Err(Error::NotARegularFile {
                path: path.to_path_buf(),
                kind,
            }),
        },
        Err(_) => Ok(()),
    }
}

impl Staged {
    /// Starts writing `dest`: refuses a `dest` that is not a regular file
    /// ([`check_output`]), removes temporaries beside it that ended processes left, and
    /// creates an empty temporary file beside it, with mode [`DEFAULT_MODE`] reduced by
    /// the umask.
    pub fn new(dest: &Path) -> Result<Staged, Error> {
        Staged::with_mode(dest, DEFAULT_MODE)
    }

    /// Starts writing `dest` with the file mode `mode` (reduced by the umask; `0o600` for
    /// a private key). The mode is set when the temporary file is created, so the content
    /// is never readable more widely than asked.
    pub fn with_mode(dest: &Path, mode: u32) -> Result<Staged, Error> {
        check_output(dest)?;
        crate::stale::remove_stale(dest);
        let tmp = make_beside(dest, "tmp", |candidate| {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
            #[cfg(not(unix))]
            let _ = mode;
            options.open(candidate)
        })?;
        Ok(Staged {
            dest: dest.to_path_buf(),
            tmp,
        })
    }

    /// The output this will become.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The temporary file, for positioned writes and reads (`FileExt`) or `set_len`. Map
    /// its I/O errors with [`Error::io`]`(staged.dest())` so they name the output.
    pub fn file(&self) -> &File {
        self.tmp.as_file()
    }

    /// Appends `bytes` at the file's position; an error names the output.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.tmp
            .as_file_mut()
            .write_all(bytes)
            .map_err(Error::io(&self.dest))
    }

    /// Fsyncs the temporary file.
    pub(crate) fn sync(&self) -> Result<(), Error> {
        self.file().sync_all().map_err(Error::io(&self.dest))
    }

    /// The temporary file's path.
    pub(crate) fn file_path(&self) -> &Path {
        self.tmp.path()
    }

    /// Splits into the output path and the temporary file, for a commit.
    pub(crate) fn into_parts(self) -> (PathBuf, NamedTempFile) {
        (self.dest, self.tmp)
    }

    /// Puts this one output in place: fsync, rename over the output, fsync of the
    /// directory. On failure the temporary file is removed and the output is untouched.
    pub fn commit(self) -> Result<(), Error> {
        crate::commit_all(vec![self], crate::Replace::Allow)
    }
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same
/// directory is written and fsynced, renamed over `path`, and the directory is fsynced.
/// On failure the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut staged = Staged::new(path)?;
    staged.write_all(bytes)?;
    staged.commit()
}

/// Writes `path` atomically like [`write_atomic`], with `write` streaming the content into
/// a buffered writer over the temporary file (for outputs too large to hold in memory).
/// Whatever `write` fails with is returned, and nothing is left behind; the caller's
/// error type takes this crate's errors through `From`. Errors writing to `out` are the
/// caller's to map (name the output: `Error::io(path)`); a buffered write that fails only
/// when flushed at the end is reported here, naming `path`.
pub fn write_atomic_with<E: From<Error>>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<(), E>,
) -> Result<(), E> {
    let staged = Staged::new(path)?;
    {
        let mut out = BufWriter::with_capacity(BUF_LEN, staged.file());
        write(&mut out)?;
        out.flush().map_err(Error::io(path))?;
    }
    Ok(staged.commit()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::fs;
    use test_harness::names_in;

    #[test]
    fn an_atomic_write_replaces_the_whole_file_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out.bin");
        fs::write(&out, b"an earlier, longer content").unwrap();
        write_atomic(&out, b"new").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"new");
        assert_eq!(names_in(d.path()), ["out.bin"]);
    }

    #[test]
    fn a_failed_write_leaves_the_output_untouched_and_no_temporary() {
        #[derive(Debug)]
        struct Stop;
        impl From<Error> for Stop {
            fn from(_: Error) -> Stop {
                Stop
            }
        }
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out.bin");
        fs::write(&out, b"earlier").unwrap();
        let r = write_atomic_with(&out, |w| {
            w.write_all(b"partial").unwrap();
            Err(Stop)
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&out).unwrap(), b"earlier");
        assert_eq!(names_in(d.path()), ["out.bin"]);
    }

    #[test]
    fn temporary_names_never_appear_in_errors() {
        let d = tempfile::tempdir().unwrap();
        let missing = d.path().join("no-such-dir").join("out.bin");
        let e = write_atomic(&missing, b"x").unwrap_err();
        assert_eq!(e.path(), missing);
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("{}: ", missing.display())),
            "{text}"
        );
        assert!(
            !text.contains(".tmp-") && !text.contains(".out.bin"),
            "{text}"
        );
    }

    #[test]
    fn a_new_output_gets_the_mode_asked_for() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let key = d.path().join("key");
        let mut s = Staged::with_mode(&key, 0o600).unwrap();
        s.write_all(b"secret").unwrap();
        s.commit().unwrap();
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn temporaries_are_hidden_and_carry_the_output_name_and_process() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("a.nxs");
        let staged = Staged::new(&out).unwrap();
        let names = names_in(d.path());
        let prefix = format!(".a.nxs.tmp-{}-", std::process::id());
        assert!(
            names.len() == 1 && names[0].starts_with(&prefix),
            "{names:?}"
        );
        drop(staged);
        assert!(
            names_in(d.path()).is_empty(),
            "dropped without commit: removed"
        );
    }

    /// Each kind of file that is not a regular one, made without root, with the kind the
    /// message must name.
    fn special_files(dir: &Path) -> Vec<(PathBuf, FileKind)> {
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let socket = dir.join("socket");
        // The socket file stays after the listener is closed.
        drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
        let subdir = dir.join("subdir");
        fs::create_dir(&subdir).unwrap();
        let null_link = dir.join("null-link");
        std::os::unix::fs::symlink("/dev/null", &null_link).unwrap();
        vec![
            (fifo, FileKind::Fifo),
            (socket, FileKind::Socket),
            (subdir, FileKind::Directory),
            (PathBuf::from("/dev/null"), FileKind::CharDevice),
            (null_link, FileKind::CharDevice),
        ]
    }

    #[test]
    fn an_output_that_is_not_a_regular_file_is_refused_naming_what_it_is() {
        let d = tempfile::tempdir().unwrap();
        for (path, kind) in special_files(d.path()) {
            let before = names_in(d.path());
            let err = write_atomic(&path, b"x").unwrap_err();
            assert!(
                matches!(&err, Error::NotARegularFile { path: p, kind: k } if *p == path && *k == kind),
                "{}: {err}",
                path.display()
            );
            let text = err.to_string();
            assert!(text.contains(kind.with_article()), "{text}");
            assert!(text.contains("nothing was written"), "{text}");
            assert_eq!(names_in(d.path()), before, "nothing written beside it");
            // Checked before any work too.
            let err = crate::refuse_output_among_inputs(&path, &[]).unwrap_err();
            assert!(matches!(err, Error::NotARegularFile { .. }), "{err}");
        }
    }

    #[test]
    fn a_symlink_to_a_regular_file_is_replaced_by_the_new_file() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("target");
        fs::write(&target, b"old").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert_eq!(fs::read(&link).unwrap(), b"new");
        assert!(!fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"old");
    }

    #[test]
    fn a_new_write_removes_the_temporaries_a_killed_run_left() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out.img");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let left = d.path().join(format!(".out.img.tmp-{dead}-Zz9Zz9"));
        fs::write(&left, b"half an image").unwrap();
        write_atomic(&out, b"whole").unwrap();
        assert_eq!(names_in(d.path()), ["out.img"]);
    }
}
