//! How the host binaries end: one exit status table for all four, and the epilogue of
//! `main() -> ExitCode`.
//!
//! | status | [`Exit`] | meaning |
//! | --- | --- | --- |
//! | 0 | `Ok` | success |
//! | 1 | `NothingFound` | the command ran and found nothing (no match, no such dump) |
//! | 2 | `Usage` | bad command line (clap's usage errors) |
//! | 3 | `VerificationFailed` | a check failed: signature, digest, board, version, device report |
//! | 4 | `BadInput` | an input is malformed, too large or refused (the default for errors) |
//! | 5 | `Io` | reading, writing or connecting failed (missing file, permission, socket) |
//!
//! Rules: a command's own exit status is kept; an error prints as `error: <cause chain>`
//! (`{:#}`) on stderr and exits with the status of its class. An I/O failure anywhere in
//! its chain is `Io`; otherwise the class a command gave it with [`Classify`]; otherwise
//! the class of the domain error in its chain (a signature, digest, size, board or
//! version check of the `image`, `updates` and `signing` crates failed:
//! `VerificationFailed`, see [`domain_class`]); otherwise `BadInput`. The domain errors
//! keep their I/O cause out of `source()` (their message already says it), so their I/O
//! variants are recognized here by type. An error caused anywhere in its chain by writing
//! to a closed pipe (`nx crash ls | head`) is not an error: status 0, nothing printed.

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

/// The exit statuses of the host binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok,
    /// 1: the command ran and found nothing (no match, no dump with that id).
    NothingFound,
    /// 2: a usage error (what clap reports for a bad command line).
    Usage,
    /// 3: a verification failed (signature, digest, size, board, version, a device's
    /// report).
    VerificationFailed,
    /// 4: an input is malformed, too large or refused.
    BadInput,
    /// 5: an I/O failure (a file missing or unreadable, a write failed, a socket or serial
    /// port unreachable).
    Io,
}

impl Exit {
    /// Every status, in order, with its meaning: the table the documentation prints.
    pub const TABLE: [(Exit, &'static str); 6] = [
        (Exit::Ok, "success"),
        (Exit::NothingFound, "the command ran and found nothing"),
        (Exit::Usage, "usage error: a bad command line"),
        (Exit::VerificationFailed, "verification failed"),
        (Exit::BadInput, "bad input: malformed, too large or refused"),
        (Exit::Io, "I/O error"),
    ];

    /// The numeric status.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::NothingFound => 1,
            Exit::Usage => 2,
            Exit::VerificationFailed => 3,
            Exit::BadInput => 4,
            Exit::Io => 5,
        }
    }

    /// The status as a command's result.
    pub fn status(self) -> ExitCode {
        ExitCode::from(self.code())
    }

    /// The class of `err`: an I/O failure anywhere in its chain, else the class a
    /// command gave it ([`Classify`]), else [`Exit::BadInput`].
    pub fn of(err: &anyhow::Error) -> Exit {
        let mut given = None;
        let mut domain = None;
        for cause in causes(err) {
            if let Some(c) = cause.downcast_ref::<Classified>() {
                given = given.or(Some(c.class));
            }
            match domain_class(cause) {
                Some(Exit::Io) => return Exit::Io,
                Some(class) => domain = domain.or(Some(class)),
                None => {}
            }
        }
        given.or(domain).unwrap_or(Exit::BadInput)
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        exit.status()
    }
}

/// The class a cause gives by its type: `Io` for an I/O failure ([`io::Error`] and the
/// I/O variants of the domain crates' file errors), `VerificationFailed` for a check of
/// signatures, digests, sizes, boards or versions that failed, `None` otherwise.
pub fn domain_class(cause: &(dyn StdError + 'static)) -> Option<Exit> {
    if let Some(e) = cause.downcast_ref::<io::Error>() {
        return is_io_failure(e).then_some(Exit::Io);
    }
    if let Some(e) = cause.downcast_ref::<durable::Error>() {
        return durable_class(e);
    }
    if let Some(e) = cause.downcast_ref::<image::fs::FsError>() {
        use image::fs::FsError;
        return match e {
            FsError::Io { source, .. } => is_io_failure(source).then_some(Exit::Io),
            FsError::Durable(e) => durable_class(e),
            FsError::Signature { .. }
            | FsError::RangeMismatch { .. }
            | FsError::ImageMismatch
            | FsError::WrongBoard { .. } => Some(Exit::VerificationFailed),
            _ => None,
        };
    }
    if let Some(e) = cause.downcast_ref::<updates::fs::FileError>() {
        use updates::fs::FileError;
        return match e {
            FileError::Io { source, .. } => is_io_failure(source).then_some(Exit::Io),
            FileError::Durable(e) => durable_class(e),
            FileError::Format { source, .. } => updates_class(source),
            _ => None,
        };
    }
    if let Some(e) = cause.downcast_ref::<updates::Error>() {
        return updates_class(e);
    }
    if let Some(e) = cause.downcast_ref::<signing::keyfile::KeyFileError>() {
        use signing::keyfile::KeyFileError;
        return match e {
            KeyFileError::Io { source, .. } => is_io_failure(source).then_some(Exit::Io),
            KeyFileError::Durable(e) => durable_class(e),
            KeyFileError::Key { source, .. } => signing_class(source),
            _ => None,
        };
    }
    if let Some(e) = cause.downcast_ref::<signing::Error>() {
        return signing_class(e);
    }
    None
}

fn durable_class(e: &durable::Error) -> Option<Exit> {
    match e {
        durable::Error::Io { cause, .. } => is_io_failure(cause).then_some(Exit::Io),
        _ => None,
    }
}

fn updates_class(e: &updates::Error) -> Option<Exit> {
    use updates::Error;
    match e {
        Error::Signature { source, .. } => signing_class(source).or(Some(Exit::VerificationFailed)),
        Error::MissingSignature { .. }
        | Error::PublisherMismatch { .. }
        | Error::WrongBoard { .. }
        | Error::Downgrade { .. }
        | Error::MissingBundle { .. }
        | Error::OutOfOrder { .. }
        | Error::UnlistedEntry { .. }
        | Error::SizeMismatch { .. }
        | Error::DigestMismatch { .. }
        | Error::PayloadDigestMismatch { .. }
        | Error::PayloadSizeMismatch { .. } => Some(Exit::VerificationFailed),
        _ => None,
    }
}

fn signing_class(e: &signing::Error) -> Option<Exit> {
    match e {
        signing::Error::BadSignature => Some(Exit::VerificationFailed),
        _ => None,
    }
}

/// An I/O error that is a failure of the I/O itself, not a verdict on the input
/// (`InvalidData`, `UnexpectedEof`: a malformed or truncated input; `InvalidInput`: a bad
/// argument; `IsADirectory`, `NotADirectory`: a path that names the wrong kind of file).
fn is_io_failure(err: &io::Error) -> bool {
    !matches!(
        err.kind(),
        io::ErrorKind::InvalidData
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::IsADirectory
            | io::ErrorKind::NotADirectory
    )
}

/// An error with its class. It prints and chains exactly as the error it holds: its
/// message is the held error's, its source the held error's source.
#[derive(Debug)]
struct Classified {
    class: Exit,
    error: anyhow::Error,
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl StdError for Classified {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}

/// Every cause of `err`, looking inside classified errors (whose own first cause the
/// chain does not show, since the wrapper takes its place).
fn causes(err: &anyhow::Error) -> Vec<&(dyn StdError + 'static)> {
    let mut all = Vec::new();
    for cause in err.chain() {
        all.push(cause);
        if let Some(c) = cause.downcast_ref::<Classified>() {
            let inner: &(dyn StdError + 'static) = c.error.as_ref();
            all.push(inner);
        }
    }
    all
}

/// Gives an error its exit status class.
pub trait Classify<T> {
    /// The result, its error classed as `class`.
    fn classify(self, class: Exit) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn classify(self, class: Exit) -> anyhow::Result<T> {
        self.map_err(|e| classified(e, class))
    }
}

/// `err` classed as `class`.
pub fn classified(err: impl Into<anyhow::Error>, class: Exit) -> anyhow::Error {
    anyhow::Error::new(Classified {
        class,
        error: err.into(),
    })
}

/// A usage error found after parsing (options that do not go together, a value clap
/// cannot check): exits with [`Exit::Usage`], as clap's own usage errors do.
pub fn usage(message: impl fmt::Display) -> anyhow::Error {
    classified(anyhow::Error::msg(message.to_string()), Exit::Usage)
}

/// The exit status of a command's `result`, reporting an error on stderr (`error:`
/// in red on a terminal).
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    finish_to(result, &mut anstream::stderr())
}

/// [`finish`], reporting an error on `diagnostics` instead of stderr.
pub fn finish_to<W: Write>(result: anyhow::Result<ExitCode>, diagnostics: &mut W) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // Nothing is left to tell if the diagnostics stream is closed too.
            let _ = writeln!(
                diagnostics,
                "{}: {}",
                crate::style::paint(crate::style::ERROR, "error"),
                chain_message(&err)
            );
            Exit::of(&err).status()
        }
    }
}

/// The cause chain as one line, `message: cause: cause...` (what `{:#}` prints), each
/// cause said once: a cause whose message ends the message printed before it (an error
/// whose `Display` includes its source, which `source()` returns too) is not repeated.
pub fn chain_message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut last = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !out.is_empty() {
            if text.is_empty() || last.ends_with(&text) {
                continue;
            }
            out.push_str(": ");
        }
        out.push_str(&text);
        last = text;
    }
    out
}

/// Whether the error comes from writing to a closed pipe (anywhere in its cause chain).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    causes(err).into_iter().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    /// The status and the diagnostics of an error, as a pipe sees them (plain).
    fn status(err: anyhow::Error) -> (ExitCode, String) {
        let mut diagnostics = Vec::new();
        let code = finish_to(Err(err), &mut anstream::StripStream::new(&mut diagnostics));
        (code, String::from_utf8(diagnostics).unwrap())
    }

    #[test]
    fn broken_pipe_is_recognized_through_context_and_classes() {
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        let err = Err::<(), _>(pipe).context("writing output").unwrap_err();
        assert!(is_broken_pipe(&err));
        let classed = classified(io::Error::from(io::ErrorKind::BrokenPipe), Exit::BadInput);
        assert!(is_broken_pipe(&classed.context("printing")));
        let other = anyhow::Error::from(io::Error::from(io::ErrorKind::NotFound));
        assert!(!is_broken_pipe(&other));
    }

    #[test]
    fn a_broken_pipe_exits_successfully_and_prints_nothing() {
        let err = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing output");
        assert_eq!(status(err), (ExitCode::SUCCESS, String::new()));
    }

    #[test]
    fn an_unclassed_error_is_bad_input_and_prints_its_cause_chain() {
        let err = anyhow::anyhow!("bad magic").context("reading input.bin");
        assert_eq!(
            status(err),
            (
                Exit::BadInput.status(),
                "error: reading input.bin: bad magic\n".into()
            )
        );
    }

    /// An error whose message includes its source, and returns it as its source too.
    #[derive(Debug)]
    struct Repeats(io::Error);

    impl fmt::Display for Repeats {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "dump.nxcd: corrupt dump: {}", self.0)
        }
    }

    impl StdError for Repeats {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_the_message_already_says_is_printed_once() {
        let err =
            anyhow::Error::new(Repeats(io::Error::from_raw_os_error(2))).context("nx crash grep");
        let (code, text) = status(err);
        assert_eq!(code, Exit::Io.status(), "the I/O cause still classes it");
        assert_eq!(
            text.matches("No such file or directory").count(),
            1,
            "{text}"
        );
        assert!(
            text.starts_with("error: nx crash grep: dump.nxcd: corrupt dump: No such file"),
            "{text}"
        );
        let distinct = anyhow::anyhow!("bad magic").context("reading input.bin");
        assert_eq!(chain_message(&distinct), "reading input.bin: bad magic");
    }

    #[test]
    fn a_classed_error_prints_as_the_error_it_holds() {
        let inner = anyhow::anyhow!("SHA-256 does not match").context("segment kernel");
        let err = classified(inner, Exit::VerificationFailed).context("os.img");
        assert_eq!(
            status(err),
            (
                Exit::VerificationFailed.status(),
                "error: os.img: segment kernel: SHA-256 does not match\n".into()
            )
        );
    }

    #[test]
    fn an_io_failure_anywhere_in_the_chain_is_an_io_error() {
        let missing = Err::<(), _>(io::Error::from(io::ErrorKind::NotFound))
            .context("os.img")
            .classify(Exit::VerificationFailed)
            .unwrap_err();
        assert_eq!(Exit::of(&missing), Exit::Io);
        let top = classified(
            io::Error::from(io::ErrorKind::PermissionDenied),
            Exit::BadInput,
        );
        assert_eq!(Exit::of(&top), Exit::Io);
    }

    #[test]
    fn truncated_or_invalid_data_is_bad_input_not_io() {
        for kind in [io::ErrorKind::UnexpectedEof, io::ErrorKind::InvalidData] {
            let err = anyhow::Error::from(io::Error::from(kind)).context("dump.nxcd");
            assert_eq!(Exit::of(&err), Exit::BadInput, "{kind:?}");
        }
    }

    #[test]
    fn the_outermost_class_wins() {
        let err = classified(
            classified(anyhow::anyhow!("no match"), Exit::NothingFound),
            Exit::BadInput,
        );
        // The command that classed the error last had the last word.
        assert_eq!(Exit::of(&err), Exit::BadInput);
    }

    #[test]
    fn the_table_lists_every_status_once_in_order() {
        let codes: Vec<u8> = Exit::TABLE.iter().map(|(e, _)| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_command_keeps_its_own_status() {
        assert_eq!(finish(Ok(ExitCode::from(1))), ExitCode::from(1));
    }

    #[test]
    fn the_user_documentation_prints_the_same_table() {
        let doc =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/devx/nx-cli.md");
        let doc = std::fs::read_to_string(&doc).unwrap();
        let section = doc
            .split("### Exit status (all four tools)")
            .nth(1)
            .expect("the exit status section");
        let rows: Vec<u8> = section
            .lines()
            .skip_while(|l| !l.starts_with("| 0 |"))
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                l.trim_start_matches("| ")
                    .split(' ')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        let codes: Vec<u8> = Exit::TABLE.iter().map(|(e, _)| e.code()).collect();
        assert_eq!(rows, codes);
        for (exit, meaning) in Exit::TABLE {
            let row = section
                .lines()
                .find(|l| l.starts_with(&format!("| {} |", exit.code())))
                .unwrap();
            let first_word = meaning.split([' ', ':']).next().unwrap();
            assert!(row.contains(first_word), "{row} vs {meaning}");
        }
    }
}
