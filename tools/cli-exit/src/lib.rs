//! How the project's host binaries (`nx`, `nxsym`, `nxb-pack`, `nxs-pack`) end: one
//! epilogue for `main() -> ExitCode`, so the four cannot drift.
//!
//! Rules: a command's own exit status is kept; an error prints as `error: <cause chain>`
//! (`{:#}`) on stderr and exits with [`EXIT_ERROR`] (the status clap uses for usage
//! errors too); an error caused anywhere in its chain by writing to a closed pipe (`nx
//! crash ls | head`) is not an error and exits with status 0, printing nothing.

use std::io::{self, Write};
use std::process::ExitCode;

/// Exit status for errors (and, from clap, for usage errors).
pub const EXIT_ERROR: u8 = 2;

/// The exit status of a command's `result`, reporting an error on stderr.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    finish_to(result, &mut io::stderr())
}

/// [`finish`], reporting an error on `diagnostics` instead of stderr.
pub fn finish_to<W: Write>(result: anyhow::Result<ExitCode>, diagnostics: &mut W) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // Nothing is left to tell if the diagnostics stream is closed too.
            let _ = writeln!(diagnostics, "error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Whether the error comes from writing to a closed pipe (anywhere in its cause chain).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn broken_pipe_is_recognized_through_context() {
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        let err = Err::<(), _>(pipe).context("writing output").unwrap_err();
        assert!(is_broken_pipe(&err));
        let other = anyhow::Error::from(io::Error::from(io::ErrorKind::NotFound));
        assert!(!is_broken_pipe(&other));
    }

    #[test]
    fn a_broken_pipe_exits_successfully_and_prints_nothing() {
        let err = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing output");
        let mut diagnostics = Vec::new();
        assert_eq!(finish_to(Err(err), &mut diagnostics), ExitCode::SUCCESS);
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn an_error_prints_its_cause_chain_and_exits_with_the_error_status() {
        let err = anyhow::anyhow!("file missing").context("reading input.bin");
        let mut diagnostics = Vec::new();
        assert_eq!(
            finish_to(Err(err), &mut diagnostics),
            ExitCode::from(EXIT_ERROR)
        );
        assert_eq!(
            String::from_utf8(diagnostics).unwrap(),
            "error: reading input.bin: file missing\n"
        );
    }

    #[test]
    fn a_command_keeps_its_own_status() {
        assert_eq!(finish(Ok(ExitCode::from(1))), ExitCode::from(1));
    }
}
