//! Long text output (`nx crash show`, `nx log query`) through a pager, as journalctl and
//! git page theirs: only when stdout is a terminal and `--no-pager` is not given; the
//! pager is `$PAGER` (run by `sh -c`; empty or `cat` means none), else `less`; `less`
//! runs with `LESS=FRX` unless `LESS` is set (quit at once when the text fits one screen,
//! keep colours, leave the text on the screen). Colours are kept through the pager when
//! they would be kept on the terminal (`NO_COLOR`, `CLICOLOR_FORCE` as for stdout).
//! Quitting the pager before the end is not an error: the writer sees a closed pipe,
//! which the command's epilogue takes for success.

use std::io::{self, IsTerminal as _, Write};
use std::process::{Child, Command, Stdio};

use anstream::{AutoStream, ColorChoice};

/// The pager option of a command that pages.
#[derive(Debug, Clone, clap::Args)]
pub struct PagerArgs {
    /// Never pipe the output into a pager ($PAGER, else less).
    #[arg(long)]
    no_pager: bool,
}

/// How to run a pager: the shell command and the environment it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagerCommand {
    /// Run by `sh -c`.
    pub shell: String,
    /// Variables to set for it (`LESS=FRX` when `LESS` is unset).
    pub env: Vec<(String, String)>,
}

/// The pager to use, if any: none without a terminal, with `--no-pager`, or with
/// `PAGER` empty or `cat`; else `PAGER`, or `less`.
pub fn choose(
    no_pager: bool,
    stdout_is_terminal: bool,
    pager: Option<&str>,
    less: Option<&str>,
) -> Option<PagerCommand> {
    if no_pager || !stdout_is_terminal {
        return None;
    }
    let shell = match pager.map(str::trim) {
        Some("") | Some("cat") => return None,
        Some(p) => p.to_string(),
        None => "less".to_string(),
    };
    let env = if less.is_none() {
        vec![("LESS".to_string(), "FRX".to_string())]
    } else {
        Vec::new()
    };
    Some(PagerCommand { shell, env })
}

/// Where paged output goes: the pager's stdin, or stdout; colour decided as for stdout.
pub struct Paged {
    out: AutoStream<Box<dyn Write>>,
    child: Option<Child>,
}

impl PagerArgs {
    /// Starts the pager this command should use (stdout itself when none, or when the
    /// pager cannot be started).
    pub fn start(&self) -> Paged {
        let stdout = io::stdout();
        let choice = AutoStream::choice(&stdout);
        let pager = std::env::var("PAGER").ok();
        let less = std::env::var("LESS").ok();
        let command = choose(
            self.no_pager,
            stdout.is_terminal(),
            pager.as_deref(),
            less.as_deref(),
        );
        match command {
            Some(command) => Paged::through(&command, choice).unwrap_or_else(|_| Paged::stdout()),
            None => Paged::stdout(),
        }
    }
}

impl Paged {
    /// Stdout, coloured as it allows.
    pub fn stdout() -> Paged {
        let stdout = io::stdout();
        let choice = AutoStream::choice(&stdout);
        Paged {
            out: AutoStream::new(Box::new(stdout), choice),
            child: None,
        }
    }

    /// The stdin of `command`, started now, coloured per `choice`.
    pub fn through(command: &PagerCommand, choice: ColorChoice) -> io::Result<Paged> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&command.shell)
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("the pager has no stdin"))?;
        Ok(Paged {
            out: AutoStream::new(Box::new(stdin), choice),
            child: Some(child),
        })
    }

    /// Ends the output: closes the pager's input and waits for the reader to quit.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()?;
        self.close();
        Ok(())
    }

    fn close(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Closing the pipe (by replacing the stream) tells the pager the text ended.
            self.out = AutoStream::new(Box::new(io::sink()), ColorChoice::Never);
            let _ = child.wait();
        }
    }
}

impl Drop for Paged {
    fn drop(&mut self) {
        let _ = self.out.flush();
        self.close();
    }
}

impl Write for Paged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_only_on_a_terminal_and_not_with_no_pager() {
        assert_eq!(choose(false, false, None, None), None);
        assert_eq!(choose(true, true, None, None), None);
        assert_eq!(
            choose(false, true, None, None),
            Some(PagerCommand {
                shell: "less".into(),
                env: vec![("LESS".into(), "FRX".into())],
            })
        );
    }

    #[test]
    fn pager_is_chosen_by_the_environment_and_less_keeps_a_set_less() {
        let most = choose(false, true, Some("most -s"), Some("R")).unwrap();
        assert_eq!(most.shell, "most -s");
        assert!(most.env.is_empty());
        assert_eq!(choose(false, true, Some(""), None), None);
        assert_eq!(choose(false, true, Some("cat"), None), None);
    }

    #[test]
    fn the_pager_gets_every_byte_and_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("paged.txt");
        let command = PagerCommand {
            shell: format!("cat > '{}'", file.display()),
            env: Vec::new(),
        };
        let mut paged = Paged::through(&command, ColorChoice::Never).unwrap();
        for i in 0..1000 {
            writeln!(
                paged,
                "line {i} {}",
                cli_support::style::paint(cli_support::style::BAD, "x")
            )
            .unwrap();
        }
        paged.finish().unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert_eq!(
            text.lines().next(),
            Some("line 0 x"),
            "colour stripped for Never"
        );
    }

    #[test]
    fn a_pager_that_quits_early_is_a_closed_pipe() {
        let command = PagerCommand {
            shell: "exit 0".into(),
            env: Vec::new(),
        };
        let mut paged = Paged::through(&command, ColorChoice::Never).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let big = vec![b'x'; 1 << 20];
        let err = paged
            .write_all(&big)
            .and_then(|()| paged.flush())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
