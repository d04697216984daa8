//! Progress reporting on stderr for long work: a bar (bytes, rate, ETA) when stderr is a
//! terminal, otherwise a plain line at most every few seconds and at the end.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A progress reporter for a byte count.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    total: u64,
    last_line: Instant,
    started: Instant,
    done: u64,
}

impl Progress {
    /// Starts reporting `label` for `total` bytes.
    pub fn new(label: &'static str, total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{msg:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(label);
            bar
        });
        Progress {
            bar,
            label,
            total,
            last_line: Instant::now(),
            started: Instant::now(),
            done: 0,
        }
    }

    /// Changes the total (when it becomes known).
    pub fn set_total(&mut self, total: u64) {
        self.total = total;
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    /// Reports `done` bytes.
    pub fn update(&mut self, done: u64) {
        self.done = done;
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(2) {
                    self.last_line = Instant::now();
                    self.line(done);
                }
            }
        }
    }

    fn line(&self, done: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-6);
        let pct = if self.total == 0 {
            100.0
        } else {
            done as f64 * 100.0 / self.total as f64
        };
        eprintln!(
            "{}: {done}/{} bytes ({pct:.0}%), {:.1} KiB/s",
            self.label,
            self.total,
            done as f64 / secs / 1024.0
        );
    }

    /// Ends the report.
    pub fn finish(self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None => self.line(self.done),
        }
    }
}
