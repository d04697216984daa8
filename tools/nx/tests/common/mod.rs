//! What the `nx` CLI suites share: running the built binary and capturing its result.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

/// One run of `nx`: the arguments, the exit code (-1 when a signal ended it) and what it
/// printed.
pub struct Run {
    /// Read by the golden suite only (it prints the command line).
    #[allow(dead_code)]
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The result of `output`, from a run with `args`.
    pub fn new(args: &[&str], output: Output) -> Run {
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

/// `nx ARGS` in `cwd`, not yet run, with `LOGD_SOCKET` unset so that no test reaches a
/// logd of the machine it runs on, `NX_CRASH_DIR` unset so that dumps come from the
/// test's directory, `NX_FLASH_PORT` and `NX_FLASH_BAUD` unset so that only the test
/// chooses a port, and `CLICOLOR_FORCE` unset so that output is plain; callers may add
/// to it.
pub fn nx_command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nx"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("LOGD_SOCKET")
        .env_remove("NX_CRASH_DIR")
        .env_remove("NX_FLASH_PORT")
        .env_remove("NX_FLASH_BAUD")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// Runs `nx ARGS` in `cwd` to the end. (The golden suite runs `nx_command` with its own
/// environment instead.)
#[allow(dead_code)]
pub fn nx(cwd: &Path, args: &[&str]) -> Run {
    Run::new(args, nx_command(cwd, args).output().unwrap())
}

/// The stdout of a run that must succeed (exit 0); otherwise fails the test showing both
/// streams.
#[allow(dead_code)]
pub fn ok(run: &Run) -> &str {
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    &run.stdout
}
