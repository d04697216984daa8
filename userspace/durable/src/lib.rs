//! Durable file output on the host: the one place where the project's tools write files,
//! check that an output is not one of their inputs, and read files with a size cap.
//!
//! Every host tool that writes a file (`nx`, `nxsym`, `nxb-pack`, `nxs-pack`, `mkinitrd`,
//! and the `std` adapters of the domain crates) goes through this crate, so the rules below
//! hold for all of them. This documentation is the crate's document: a change to a rule is
//! a change here.
//!
//! # Rules
//!
//! 1. **Whole files or nothing.** An output is written to a temporary file in the
//!    output's own directory, the temporary is fsynced, renamed over the output, and the
//!    directory is fsynced so the rename survives a power cut ([`write_atomic`],
//!    [`write_atomic_with`], [`Staged::commit`]). A reader sees the old file or the whole
//!    new one, never a part. On any failure the temporary is removed and the output is
//!    untouched.
//! 2. **Several outputs go into place together.** [`commit_all`] takes outputs that were
//!    all written and fsynced to temporaries ([`Staged`]) and renames them into place in
//!    the order given. If one rename fails, the ones already done are undone: a file that
//!    was there before is put back (from a hard link taken before it was replaced), a file
//!    that was not is removed. With [`Replace::Refuse`] no existing file is replaced at all,
//!    not even one a concurrent writer made after the caller's checks. A kill between two
//!    renames is covered too: before the first rename a commit journal
//!    (`.NAME.commit-PID-RANDOM`, beside the last output of each directory) records every
//!    pair, and the next [`Staged::new`] in that directory, or a reader that calls
//!    [`complete_interrupted`] (`nx image verify` does), completes the renames, so the
//!    outputs are those of one commit (the format and the steps: `journal.rs`). The
//!    steps can be killed one by one for tests: `NX_DURABLE_KILL_AT=N` aborts the
//!    process at its `N`th commit step.
//! 3. **Errors name the output and the cause once, never a temporary file.** Each [`Error`]
//!    names the path the caller asked for (or its directory) and what went wrong; the
//!    temporary file is an implementation detail and appears in no message.
//! 4. **An output that is an input is refused before any work.**
//!    [`refuse_output_among_inputs`] fails when the output is one of the inputs, through
//!    any name: a hard link, a symbolic link or another spelling of the path
//!    ([`same_file()`]).
//! 5. **Only regular files are replaced.** An output that exists and is not a regular file
//!    (a directory, a character or block device, a FIFO, a socket) is refused with a
//!    message that says what it is, whatever the caller's `--force` ([`check_output`],
//!    [`Error::NotARegularFile`]): writing "over" `/dev/null` or a FIFO would silently lose
//!    the output or block, and renaming over a directory cannot work. Symbolic links are
//!    followed for this check (a link to `/dev/null` is refused as a character device); a
//!    link to a regular file is replaced by the new file. [`Staged::new`] checks this
//!    before creating anything, and [`refuse_output_among_inputs`] does too, so a tool
//!    that calls it before its work refuses such an output before any work.
//! 6. **Temporaries are hidden, named after their output, and cleaned up by the next
//!    run.** A temporary is named `.NAME.tmp-PID-RANDOM` beside the output `NAME` (a backup
//!    taken during a commit `.NAME.old-PID-RANDOM`), where `PID` is the writing process.
//!    Names start with `.`, so directory scans that skip hidden files (bundle directories,
//!    crash directories) ignore them. Before writing `NAME`, [`Staged::new`] removes the
//!    ones beside it whose process has ended (no `/proc/PID`), such as those a killed run
//!    left; those of running processes, this one included, are left alone, and where
//!    `/proc` is not mounted nothing is removed. A reused process id keeps a dead run's
//!    temporary until that process ends too.
//! 7. **Reads are capped before allocating.** [`read_capped`] checks the file's size
//!    against the limit before reading, allocates that size only, and still stops at one
//!    byte over the limit if the file grows meanwhile. A tool that streams a file instead
//!    (hashing or verifying it in chunks) opens it with [`open_capped`], which checks the
//!    size the same way and hands back the file and its checked size.
//!
//! New files get mode `0o666` reduced by the umask, like any file a program creates,
//! unless the caller asks for another mode ([`Staged::with_mode`]; private keys are
//! `0o600`).
//!
//! # Example
//!
//! An image and the manifest that describes it, put in place together after checking
//! that neither output is the input:
//!
//! ```
//! use durable::{commit_all, refuse_output_among_inputs, Replace, Staged};
//!
//! # fn main() -> Result<(), durable::Error> {
//! # let dir = tempfile::tempdir().map_err(durable::Error::io(std::path::Path::new(".")))?;
//! let input = dir.path().join("kernel.elf");
//! # std::fs::write(&input, b"ELF").map_err(durable::Error::io(&input))?;
//! let image = dir.path().join("os.img");
//! let manifest = dir.path().join("os.json");
//! for output in [&image, &manifest] {
//!     refuse_output_among_inputs(output, &[("--kernel", &input)])?;
//! }
//! let kernel = durable::read_capped(&input, 64 << 20)?;
//! let mut staged_image = Staged::new(&image)?;
//! staged_image.write_all(&kernel)?;
//! let mut staged_manifest = Staged::new(&manifest)?;
//! staged_manifest.write_all(b"{}")?;
//! // The manifest last: a reader that finds it finds the image it names.
//! commit_all(vec![staged_image, staged_manifest], Replace::Allow)?;
//! # assert_eq!(std::fs::read(&image).map_err(durable::Error::io(&image))?, b"ELF");
//! # Ok(())
//! # }
//! ```

mod commit;
mod error;
mod inputs;
mod journal;
mod kind;
mod read;
mod staged;
mod stale;

pub use commit::{commit_all, Replace};
pub use error::Error;
pub use inputs::{refuse_output_among_inputs, same_file};
pub use journal::{complete_interrupted, interrupted_commits};
pub use kind::FileKind;
pub use read::{open_capped, read_capped};
pub use staged::{check_output, write_atomic, write_atomic_with, Staged, DEFAULT_MODE};

/// The directory a path's file is in: its parent, or `.` for a bare file name.
pub(crate) fn parent_dir(path: &std::path::Path) -> &std::path::Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    }
}

/// Fsyncs the directory `dir`, so that a rename into it is durable. Directories cannot be
/// opened on every platform; where they cannot, the rename is as durable as the OS makes
/// it.
pub(crate) fn sync_dir(dir: &std::path::Path) -> Result<(), Error> {
    if let Ok(d) = std::fs::File::open(dir) {
        d.sync_all().map_err(Error::io(dir))?;
    }
    Ok(())
}
