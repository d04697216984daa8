//! The restart policy, sans-IO: per program, what execd does when it ends.
//!
//! - `restart=never` (the manifest's default): an ended program stays ended.
//! - `restart=on-failure`: a clean exit (code 0) is left alone; a crash (a non-zero code,
//!   a fault included) is counted with its time. Crashes older than
//!   [`RestartPolicy::window_ns`] before the newest are forgotten. When the crashes left
//!   number [`RestartPolicy::max_crashes`], the program is in the **crash-loop** state and
//!   is not started again (until execd starts afresh: the state is not kept across
//!   boots). Otherwise it starts again after a delay that grows with the crashes in the
//!   window: `min(base_ns << (crashes - 1), cap_ns)`.
//!
//! With [`ON_FAILURE`] (base 10 ms, cap 1 s, 3 crashes in 10 s) a program that always
//! crashes is started 3 times: at boot, 10 ms after its first crash and 20 ms after its
//! second; its third crash puts it in the crash-loop state.

use alloc::collections::VecDeque;
use initrd::manifest::Restart;

/// The numbers of `restart=on-failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// The delay before the first restart, ns.
    pub base_ns: u64,
    /// The longest delay, ns.
    pub cap_ns: u64,
    /// Crashes within the window that make a crash loop.
    pub max_crashes: u32,
    /// The window, ns.
    pub window_ns: u64,
}

/// `restart=on-failure`: 10 ms doubling up to 1 s; 3 crashes within 10 s are a crash loop.
pub const ON_FAILURE: RestartPolicy = RestartPolicy {
    base_ns: 10_000_000,
    cap_ns: 1_000_000_000,
    max_crashes: 3,
    window_ns: 10_000_000_000,
};

impl RestartPolicy {
    /// The delay before the restart that follows the `crashes`-th crash in the window
    /// (1-based): `min(base << (crashes - 1), cap)`.
    pub fn delay_ns(&self, crashes: u32) -> u64 {
        let shift = crashes.saturating_sub(1).min(63);
        // A delay that would overflow is the cap.
        let grown = if self.base_ns.leading_zeros() < shift {
            u64::MAX
        } else {
            self.base_ns << shift
        };
        grown.min(self.cap_ns)
    }
}

/// What to do about a program that just ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Leave it ended (a clean exit, or `restart=never`).
    Leave,
    /// Start it again at this time (ns since kernel start).
    RestartAt(u64),
    /// It crashed too often within the window: the crash-loop state, no restart.
    CrashLoop,
}

/// One program's restart bookkeeping: its policy and the times of its recent crashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restarts {
    policy: Option<RestartPolicy>,
    crashes: VecDeque<u64>,
}

impl Restarts {
    /// The bookkeeping for a program with manifest flag `restart`.
    pub fn new(restart: Restart) -> Restarts {
        Restarts::with(match restart {
            Restart::Never => None,
            Restart::OnFailure => Some(ON_FAILURE),
        })
    }

    /// The bookkeeping under `policy` (`None`: never restart).
    pub fn with(policy: Option<RestartPolicy>) -> Restarts {
        Restarts {
            policy,
            crashes: VecDeque::new(),
        }
    }

    /// The crashes counted in the window (as of the last end).
    pub fn crashes(&self) -> u32 {
        self.crashes.len() as u32
    }

    /// The program ended with `code` at `now_ns`: what to do.
    pub fn ended(&mut self, code: i64, now_ns: u64) -> Decision {
        let Some(policy) = self.policy else {
            return Decision::Leave;
        };
        if code == 0 {
            return Decision::Leave;
        }
        let since = now_ns.saturating_sub(policy.window_ns);
        while self.crashes.front().is_some_and(|t| *t < since) {
            self.crashes.pop_front();
        }
        self.crashes.push_back(now_ns);
        // Never more than the crash-loop count is needed (bounded memory).
        while self.crashes.len() > policy.max_crashes as usize {
            self.crashes.pop_front();
        }
        let n = self.crashes();
        if n >= policy.max_crashes {
            return Decision::CrashLoop;
        }
        Decision::RestartAt(now_ns.saturating_add(policy.delay_ns(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn the_delay_doubles_from_base_up_to_the_cap() {
        let cases: [(u32, u64); 7] = [
            (0, 10 * MS),
            (1, 10 * MS),
            (2, 20 * MS),
            (3, 40 * MS),
            (7, 640 * MS),
            (8, 1000 * MS),
            (200, 1000 * MS),
        ];
        for (crashes, want) in cases {
            assert_eq!(ON_FAILURE.delay_ns(crashes), want, "{crashes} crashes");
        }
        let huge = RestartPolicy {
            base_ns: u64::MAX / 2,
            cap_ns: u64::MAX,
            ..ON_FAILURE
        };
        assert_eq!(huge.delay_ns(3), u64::MAX, "an overflow is the cap");
    }

    #[test]
    fn never_and_clean_exits_are_left_alone() {
        let mut never = Restarts::new(Restart::Never);
        assert_eq!(never.ended(-16, 5), Decision::Leave);
        let mut on = Restarts::new(Restart::OnFailure);
        assert_eq!(on.ended(0, 5), Decision::Leave);
        assert_eq!(on.crashes(), 0);
    }

    #[test]
    fn an_always_crashing_program_starts_exactly_max_crashes_times() {
        let mut r = Restarts::new(Restart::OnFailure);
        let mut now = 100 * MS;
        let mut starts = 1;
        loop {
            match r.ended(-3, now) {
                Decision::RestartAt(at) => {
                    assert_eq!(at - now, ON_FAILURE.delay_ns(r.crashes()));
                    now = at + MS;
                    starts += 1;
                }
                Decision::CrashLoop => break,
                Decision::Leave => panic!("a crash left alone"),
            }
        }
        assert_eq!(starts, ON_FAILURE.max_crashes);
        assert_eq!(r.crashes(), ON_FAILURE.max_crashes);
    }

    #[test]
    fn crashes_older_than_the_window_are_forgotten() {
        let mut r = Restarts::new(Restart::OnFailure);
        let w = ON_FAILURE.window_ns;
        assert_eq!(r.ended(1, 0), Decision::RestartAt(10 * MS));
        assert_eq!(r.ended(1, w), Decision::RestartAt(w + 20 * MS));
        // The first crash is now out of the window: two left, the delay for two.
        assert_eq!(r.ended(1, w + 1), Decision::RestartAt(w + 1 + 20 * MS));
        let mut r = Restarts::new(Restart::OnFailure);
        assert!(matches!(r.ended(1, 0), Decision::RestartAt(_)));
        assert!(matches!(r.ended(1, 2 * w), Decision::RestartAt(_)));
        assert_eq!(r.crashes(), 1, "the old crash is gone");
        assert_eq!(
            r.ended(1, 2 * w + 5),
            Decision::RestartAt(2 * w + 5 + 20 * MS)
        );
        assert_eq!(r.ended(1, 2 * w + 9), Decision::CrashLoop);
    }
}
