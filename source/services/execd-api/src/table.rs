//! The supervision table, sans-IO: every program execd started (by name), where it is
//! ([`crate::State`]), how often it started and ended, its last process and code, its
//! last crash dump, and its restart bookkeeping ([`crate::policy::Restarts`]).
//!
//! Bounded: at most [`MAX_ENTRIES`] names; a new name past that replaces the oldest entry
//! that is not running and has no restart pending (programs from memory come and go by
//! name), and a table of running programs only refuses the new one (`NoMemory`).

use alloc::string::String;
use alloc::vec::Vec;

use crate::policy::{Decision, Restarts};
use crate::{State, Status};

/// Most programs the table holds: the manifest's 32 and room for programs from memory.
pub const MAX_ENTRIES: usize = 48;

/// One program's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The program's name (its manifest name, or the name its image was started under).
    pub name: String,
    /// Where it is.
    pub state: State,
    /// When its restart is due (ns since kernel start), in [`State::RestartPending`].
    pub restart_at: u64,
    /// How often execd started it.
    pub starts: u32,
    /// How often it ended.
    pub ends: u32,
    /// Its current or last process.
    pub pid: u32,
    /// Its last exit code.
    pub last_code: i64,
    /// Its last crash dump's id.
    pub dump_id: Option<String>,
    /// Its restart bookkeeping.
    pub restarts: Restarts,
}

impl Entry {
    /// What `Status` reports.
    pub fn status(&self) -> Status {
        Status {
            state: self.state,
            starts: self.starts,
            ends: self.ends,
            crashes: self.restarts.crashes(),
            pid: self.pid,
            last_code: self.last_code,
            dump_id: self.dump_id.clone(),
        }
    }
}

/// Why the table cannot take a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// The table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    entries: Vec<Entry>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Table {
        Table::default()
    }

    /// The row of `name`.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The row of the running process `pid`.
    pub fn running(&self, pid: u32) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.pid == pid && e.state == State::Running)
    }

    /// Whether `name` is in the crash-loop state.
    pub fn in_crash_loop(&self, name: &str) -> bool {
        self.get(name).is_some_and(|e| e.state == State::CrashLoop)
    }

    /// Records that `name` started as process `pid`; `restarts` is its bookkeeping for
    /// a first start (kept from the row otherwise).
    pub fn started(&mut self, name: &str, pid: u32, restarts: Restarts) -> Result<(), Full> {
        if let Some(e) = self.entries.iter_mut().find(|e| e.name == name) {
            e.state = State::Running;
            e.starts = e.starts.saturating_add(1);
            e.pid = pid;
            return Ok(());
        }
        if self.entries.len() >= MAX_ENTRIES {
            let idle = self
                .entries
                .iter()
                .position(|e| !matches!(e.state, State::Running | State::RestartPending))
                .ok_or(Full)?;
            self.entries.remove(idle);
        }
        self.entries.push(Entry {
            name: String::from(name),
            state: State::Running,
            restart_at: 0,
            starts: 1,
            ends: 0,
            pid,
            last_code: 0,
            dump_id: None,
            restarts,
        });
        Ok(())
    }

    /// Records the end of process `pid` with `code` at `now_ns` (and the dump crashd
    /// wrote of it, if any): the program's name and what its policy decides. `None` for
    /// a process the table does not know as running.
    pub fn ended(
        &mut self,
        pid: u32,
        code: i64,
        dump_id: Option<String>,
        now_ns: u64,
    ) -> Option<(String, Decision)> {
        let e = self
            .entries
            .iter_mut()
            .find(|e| e.pid == pid && e.state == State::Running)?;
        e.ends = e.ends.saturating_add(1);
        e.last_code = code;
        if dump_id.is_some() {
            e.dump_id = dump_id;
        }
        let decision = e.restarts.ended(code, now_ns);
        match decision {
            Decision::Leave => e.state = State::Ended,
            Decision::CrashLoop => e.state = State::CrashLoop,
            Decision::RestartAt(at) => {
                e.state = State::RestartPending;
                e.restart_at = at;
            }
        }
        Some((e.name.clone(), decision))
    }

    /// The earliest pending restart's time, if any.
    pub fn next_restart(&self) -> Option<u64> {
        self.entries
            .iter()
            .filter(|e| e.state == State::RestartPending)
            .map(|e| e.restart_at)
            .min()
    }

    /// The names whose restart is due at `now_ns`, in table order.
    pub fn due(&self, now_ns: u64) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.state == State::RestartPending && e.restart_at <= now_ns)
            .map(|e| e.name.clone())
            .collect()
    }

    /// A due restart of `name` could not start: it stays ended.
    pub fn restart_failed(&mut self, name: &str) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.name == name) {
            e.state = State::Ended;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ON_FAILURE;
    use initrd::manifest::Restart;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_program_moves_from_running_to_ended_with_its_code_and_dump() {
        let mut t = Table::new();
        t.started("crash-demo", 15, Restarts::new(Restart::Never))
            .unwrap();
        assert_eq!(t.running(15).map(|e| e.name.as_str()), Some("crash-demo"));
        let got = t.ended(15, -16, Some(String::from("9-crash-demo-15")), 9);
        assert_eq!(got, Some((String::from("crash-demo"), Decision::Leave)));
        let s = t.get("crash-demo").unwrap().status();
        assert_eq!(
            (s.state, s.starts, s.ends, s.pid, s.last_code),
            (State::Ended, 1, 1, 15, -16)
        );
        assert_eq!(s.dump_id.as_deref(), Some("9-crash-demo-15"));
        assert_eq!(t.running(15), None);
        assert_eq!(t.ended(15, -16, None, 10), None, "not running any more");
        // Started again: the same row, one start more; a clean end keeps the last dump.
        t.started("crash-demo", 15, Restarts::new(Restart::Never))
            .unwrap();
        t.ended(15, 0, None, 20);
        let s = t.get("crash-demo").unwrap().status();
        assert_eq!((s.starts, s.ends, s.last_code), (2, 2, 0));
        assert_eq!(s.dump_id.as_deref(), Some("9-crash-demo-15"));
    }

    #[test]
    fn on_failure_restarts_are_due_at_their_deadline_then_a_crash_loop() {
        let mut t = Table::new();
        t.started("loop", 17, Restarts::new(Restart::OnFailure))
            .unwrap();
        let (_, d) = t.ended(17, -3, None, 100 * MS).unwrap();
        assert_eq!(d, Decision::RestartAt(110 * MS));
        assert_eq!(t.get("loop").unwrap().state, State::RestartPending);
        assert_eq!(t.next_restart(), Some(110 * MS));
        assert!(t.due(109 * MS).is_empty());
        assert_eq!(t.due(110 * MS), ["loop"]);
        t.started("loop", 17, Restarts::with(None)).unwrap();
        assert_eq!(t.next_restart(), None);
        let (_, d) = t.ended(17, -3, None, 120 * MS).unwrap();
        assert_eq!(d, Decision::RestartAt(140 * MS), "the delay grew");
        t.started("loop", 17, Restarts::with(None)).unwrap();
        let (_, d) = t.ended(17, -3, None, 150 * MS).unwrap();
        assert_eq!(d, Decision::CrashLoop);
        let s = t.get("loop").unwrap().status();
        assert_eq!(
            (s.state, s.starts, s.crashes),
            (
                State::CrashLoop,
                ON_FAILURE.max_crashes,
                ON_FAILURE.max_crashes
            )
        );
        assert!(t.in_crash_loop("loop"));
        assert!(t.due(u64::MAX).is_empty());
    }

    #[test]
    fn a_full_table_replaces_an_idle_row_never_a_running_one() {
        let mut t = Table::new();
        for i in 0..MAX_ENTRIES as u32 {
            t.started(&alloc::format!("p{i}"), i + 1, Restarts::with(None))
                .unwrap();
        }
        assert_eq!(t.started("new", 99, Restarts::with(None)), Err(Full));
        t.ended(3, 0, None, 1);
        t.started("new", 99, Restarts::with(None)).unwrap();
        assert!(t.get("p2").is_none(), "the ended row made room");
        assert!(t.get("new").is_some() && t.get("p1").is_some());
        t.restart_failed("new");
        assert_eq!(t.get("new").unwrap().state, State::Ended);
    }
}
