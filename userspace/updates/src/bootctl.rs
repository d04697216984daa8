//! `BootCtrl`: the A/B slot state machine (`docs/updates/ab-skeleton-v1.md`).
//!
//! The system runs from the *active* slot. An update is *staged* into the other slot
//! (after its system-set verified), then *switched* to: the next boots try the staged
//! slot while tries remain. A health report *commits* it (it becomes the active slot);
//! running out of tries or a health failure *rolls back* to the active slot.
//!
//! ```text
//!            stage            switch(tries)         commit_health
//!   Idle ───────────▶ Staged ──────────────▶ Trial ───────────────▶ Idle (slot swapped)
//!    ▲  ◀──stage────┘                          │ boot(): tries_left 0, or
//!    └──────────────────────────────────────────┘ rollback / health failure
//! ```
//!
//! [`BootState`] is plain data with pure transitions: each returns the next state and
//! its [`AuditEvent`], or an error and no change, so an operation is all or nothing.
//! [`BootCtrl`] applies them and sends every event, refusals included, to an
//! [`AuditSink`] (the OS's `updated` forwards them to logd). Invalid transitions are
//! errors, never panics.

use core::fmt;

use crate::Error;

/// Largest tries count a switch may grant.
pub const MAX_TRIES: u8 = 15;

/// A boot slot: `a` or `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotId(u8);

impl SlotId {
    /// Slot `a`.
    pub const A: SlotId = SlotId(0);
    /// Slot `b`.
    pub const B: SlotId = SlotId(1);

    /// The slot with raw number `n` (0 is `a`, 1 is `b`).
    pub fn new(n: u8) -> Result<Self, Error> {
        match n {
            0 | 1 => Ok(SlotId(n)),
            slot => Err(Error::InvalidSlot { slot }),
        }
    }

    /// The raw slot number.
    pub fn index(self) -> u8 {
        self.0
    }

    /// The other slot.
    pub fn other(self) -> SlotId {
        SlotId(1 - self.0)
    }

    /// The slot's name: `"a"` or `"b"`.
    pub fn name(self) -> &'static str {
        if self.0 == 0 {
            "a"
        } else {
            "b"
        }
    }
}

impl fmt::Display for SlotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Boot attempts left for a trial slot (`0..=MAX_TRIES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TriesLeft(u8);

impl TriesLeft {
    /// A tries count for a switch: `1..=MAX_TRIES`.
    pub fn new(tries: u8) -> Result<Self, Error> {
        if tries == 0 || tries > MAX_TRIES {
            return Err(Error::InvalidTries { tries });
        }
        Ok(TriesLeft(tries))
    }

    /// A stored count, which may be 0 (`0..=MAX_TRIES`).
    pub(crate) fn stored(tries: u8) -> Option<Self> {
        (tries <= MAX_TRIES).then_some(TriesLeft(tries))
    }

    /// The count.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for TriesLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The identity of a system-set: SHA-256 of its `system.nxsindex` bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SystemSetDigest(pub [u8; 32]);

impl fmt::Display for SystemSetDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for SystemSetDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SystemSetDigest({self})")
    }
}

/// Where the update cycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing staged: the system runs from the active slot.
    Idle,
    /// A verified system-set is in the other slot; boots still use the active slot.
    Staged,
    /// Switched: boots try the staged slot while tries remain.
    Trial,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Idle => "idle",
            Phase::Staged => "staged",
            Phase::Trial => "in trial",
        })
    }
}

/// What is pending beyond the active slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Nothing.
    None,
    /// A staged system-set, not yet bootable.
    Staged {
        /// The slot it was written to (always the inactive one).
        slot: SlotId,
        /// Its identity.
        digest: SystemSetDigest,
    },
    /// A system-set being tried.
    Trial {
        /// The slot being tried.
        slot: SlotId,
        /// Its identity.
        digest: SystemSetDigest,
        /// Boots left before rollback.
        tries_left: TriesLeft,
        /// Whether the trial slot has been booted at least once.
        booted: bool,
    },
}

/// Why a trial ended in a rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackReason {
    /// The trial slot used all its tries without a health report.
    TriesExhausted,
    /// The trial slot reported that it is not healthy.
    HealthFailed,
    /// An operator or service asked for it.
    Requested,
}

impl fmt::Display for RollbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RollbackReason::TriesExhausted => "tries-exhausted",
            RollbackReason::HealthFailed => "health-failed",
            RollbackReason::Requested => "requested",
        })
    }
}

/// One audit record per transition, and one per refused operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    /// A system-set was staged into `slot`.
    Staged {
        /// The slot written.
        slot: SlotId,
        /// The system-set's identity.
        digest: SystemSetDigest,
    },
    /// Boots will now try `to`.
    Switched {
        /// The active slot.
        from: SlotId,
        /// The trial slot.
        to: SlotId,
        /// Tries granted.
        tries: TriesLeft,
    },
    /// A boot into the trial slot (one try used).
    TrialBoot {
        /// The trial slot.
        slot: SlotId,
        /// Tries left after this boot.
        tries_left: TriesLeft,
    },
    /// The trial slot reported healthy and is now the active slot.
    Committed {
        /// The new active slot.
        slot: SlotId,
        /// Its system-set.
        digest: SystemSetDigest,
    },
    /// The trial ended; boots use the active slot again.
    RolledBack {
        /// The abandoned trial slot.
        from: SlotId,
        /// The active slot.
        to: SlotId,
        /// Why.
        reason: RollbackReason,
    },
    /// An operation was refused in `phase`; nothing changed.
    Refused {
        /// The operation.
        operation: &'static str,
        /// The phase it was refused in.
        phase: Phase,
    },
}

impl fmt::Display for AuditEvent {
    /// logd's structured-field form: `key=value` pairs separated by spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditEvent::Staged { slot, digest } => {
                write!(f, "op=stage slot={slot} digest={digest}")
            }
            AuditEvent::Switched { from, to, tries } => {
                write!(f, "op=switch from={from} to={to} tries={tries}")
            }
            AuditEvent::TrialBoot { slot, tries_left } => {
                write!(f, "op=trial-boot slot={slot} tries_left={tries_left}")
            }
            AuditEvent::Committed { slot, digest } => {
                write!(f, "op=commit slot={slot} digest={digest}")
            }
            AuditEvent::RolledBack { from, to, reason } => {
                write!(f, "op=rollback from={from} to={to} reason={reason}")
            }
            AuditEvent::Refused { operation, phase } => {
                write!(f, "op={operation} refused phase={phase}")
            }
        }
    }
}

/// Receives audit events (the OS sends them to logd; tests collect them).
pub trait AuditSink {
    /// Records one event.
    fn record(&mut self, event: &AuditEvent);
}

impl AuditSink for alloc::vec::Vec<AuditEvent> {
    fn record(&mut self, event: &AuditEvent) {
        self.push(*event);
    }
}

/// The whole BootCtrl state: plain data, persisted by [`crate::bootrecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootState {
    /// The committed slot the system boots when no trial is running.
    pub active: SlotId,
    /// The system-set in the active slot, when it came from an update.
    pub active_digest: Option<SystemSetDigest>,
    /// What is staged or being tried.
    pub pending: Pending,
}

impl BootState {
    /// A fresh device: slot `a` active, nothing pending.
    pub fn factory() -> Self {
        BootState {
            active: SlotId::A,
            active_digest: None,
            pending: Pending::None,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        match self.pending {
            Pending::None => Phase::Idle,
            Pending::Staged { .. } => Phase::Staged,
            Pending::Trial { .. } => Phase::Trial,
        }
    }

    /// Records `digest` as staged in the inactive slot (replacing an earlier staged
    /// set). Refused during a trial.
    pub fn stage(&self, digest: SystemSetDigest) -> Result<(BootState, AuditEvent), Error> {
        match self.pending {
            Pending::None | Pending::Staged { .. } => {
                let slot = self.active.other();
                Ok((
                    BootState {
                        pending: Pending::Staged { slot, digest },
                        ..*self
                    },
                    AuditEvent::Staged { slot, digest },
                ))
            }
            Pending::Trial { .. } => Err(self.refuse("stage")),
        }
    }

    /// Makes the staged slot the one the next `tries` boots try.
    pub fn switch(&self, tries: TriesLeft) -> Result<(BootState, AuditEvent), Error> {
        match self.pending {
            Pending::Staged { slot, digest } => Ok((
                BootState {
                    pending: Pending::Trial {
                        slot,
                        digest,
                        tries_left: tries,
                        booted: false,
                    },
                    ..*self
                },
                AuditEvent::Switched {
                    from: self.active,
                    to: slot,
                    tries,
                },
            )),
            _ => Err(self.refuse("switch")),
        }
    }

    /// Chooses the slot to boot now. During a trial with tries left this uses one try
    /// and boots the trial slot; with none left it rolls back and boots the active slot.
    /// Otherwise it boots the active slot and changes nothing (no event).
    pub fn boot(&self) -> (SlotId, BootState, Option<AuditEvent>) {
        match self.pending {
            Pending::Trial {
                slot,
                digest,
                tries_left,
                ..
            } => {
                if tries_left.get() == 0 {
                    let (next, event) = self.rolled_back(slot, RollbackReason::TriesExhausted);
                    (self.active, next, Some(event))
                } else {
                    let tries_left = TriesLeft(tries_left.get() - 1);
                    let next = BootState {
                        pending: Pending::Trial {
                            slot,
                            digest,
                            tries_left,
                            booted: true,
                        },
                        ..*self
                    };
                    (slot, next, Some(AuditEvent::TrialBoot { slot, tries_left }))
                }
            }
            _ => (self.active, *self, None),
        }
    }

    /// The trial slot is healthy: it becomes the active slot. Valid only during a trial
    /// that has booted.
    pub fn commit_health(&self) -> Result<(BootState, AuditEvent), Error> {
        match self.pending {
            Pending::Trial {
                slot,
                digest,
                booted: true,
                ..
            } => Ok((
                BootState {
                    active: slot,
                    active_digest: Some(digest),
                    pending: Pending::None,
                },
                AuditEvent::Committed { slot, digest },
            )),
            _ => Err(self.refuse("commit_health")),
        }
    }

    /// Ends a trial: boots use the active slot again, and the staged set is dropped.
    pub fn rollback(&self, reason: RollbackReason) -> Result<(BootState, AuditEvent), Error> {
        match self.pending {
            Pending::Trial { slot, .. } => Ok(self.rolled_back(slot, reason)),
            _ => Err(self.refuse("rollback")),
        }
    }

    fn rolled_back(&self, from: SlotId, reason: RollbackReason) -> (BootState, AuditEvent) {
        (
            BootState {
                pending: Pending::None,
                ..*self
            },
            AuditEvent::RolledBack {
                from,
                to: self.active,
                reason,
            },
        )
    }

    fn refuse(&self, operation: &'static str) -> Error {
        Error::InvalidTransition {
            operation,
            phase: self.phase(),
        }
    }
}

/// The state machine with its audit sink: applies [`BootState`] transitions and records
/// one event for each, and one for each refusal.
#[derive(Debug)]
pub struct BootCtrl<S: AuditSink> {
    state: BootState,
    sink: S,
}

impl<S: AuditSink> BootCtrl<S> {
    /// Starts from `state` (loaded from the boot record, or [`BootState::factory`]).
    pub fn new(state: BootState, sink: S) -> Self {
        BootCtrl { state, sink }
    }

    /// The current state (to persist after each operation).
    pub fn state(&self) -> &BootState {
        &self.state
    }

    /// The audit sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Gives back the audit sink.
    pub fn into_sink(self) -> S {
        self.sink
    }

    fn apply(
        &mut self,
        operation: &'static str,
        result: Result<(BootState, AuditEvent), Error>,
    ) -> Result<(), Error> {
        match result {
            Ok((next, event)) => {
                self.state = next;
                self.sink.record(&event);
                Ok(())
            }
            Err(e) => {
                self.sink.record(&AuditEvent::Refused {
                    operation,
                    phase: self.state.phase(),
                });
                Err(e)
            }
        }
    }

    /// See [`BootState::stage`].
    pub fn stage(&mut self, digest: SystemSetDigest) -> Result<(), Error> {
        let r = self.state.stage(digest);
        self.apply("stage", r)
    }

    /// See [`BootState::switch`].
    pub fn switch(&mut self, tries: TriesLeft) -> Result<(), Error> {
        let r = self.state.switch(tries);
        self.apply("switch", r)
    }

    /// See [`BootState::boot`]; returns the slot to boot.
    pub fn boot(&mut self) -> SlotId {
        let (slot, next, event) = self.state.boot();
        self.state = next;
        if let Some(event) = event {
            self.sink.record(&event);
        }
        slot
    }

    /// See [`BootState::commit_health`].
    pub fn commit_health(&mut self) -> Result<(), Error> {
        let r = self.state.commit_health();
        self.apply("commit_health", r)
    }

    /// See [`BootState::rollback`].
    pub fn rollback(&mut self, reason: RollbackReason) -> Result<(), Error> {
        let r = self.state.rollback(reason);
        self.apply("rollback", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const D1: SystemSetDigest = SystemSetDigest([1; 32]);
    const D2: SystemSetDigest = SystemSetDigest([2; 32]);

    #[test]
    fn stage_switch_boot_commit() {
        let mut c = BootCtrl::new(BootState::factory(), Vec::new());
        c.stage(D1).unwrap();
        c.switch(TriesLeft::new(2).unwrap()).unwrap();
        assert_eq!(c.boot(), SlotId::B);
        c.commit_health().unwrap();
        assert_eq!(c.state().active, SlotId::B);
        assert_eq!(c.state().active_digest, Some(D1));
        assert_eq!(c.state().phase(), Phase::Idle);
        assert_eq!(c.boot(), SlotId::B);
        assert_eq!(c.sink().len(), 4);
    }

    #[test]
    fn tries_run_out_then_rollback() {
        let mut c = BootCtrl::new(BootState::factory(), Vec::new());
        c.stage(D1).unwrap();
        c.switch(TriesLeft::new(2).unwrap()).unwrap();
        assert_eq!(c.boot(), SlotId::B);
        assert_eq!(c.boot(), SlotId::B);
        assert_eq!(c.boot(), SlotId::A);
        assert_eq!(c.state().phase(), Phase::Idle);
        assert_eq!(c.state().active, SlotId::A);
        assert!(matches!(
            c.sink().last(),
            Some(AuditEvent::RolledBack {
                reason: RollbackReason::TriesExhausted,
                ..
            })
        ));
    }

    #[test]
    fn invalid_transitions_are_errors_and_change_nothing() {
        let mut c = BootCtrl::new(BootState::factory(), Vec::new());
        let before = *c.state();
        for r in [
            c.switch(TriesLeft::new(1).unwrap()),
            c.commit_health(),
            c.rollback(RollbackReason::Requested),
        ] {
            assert!(matches!(
                r,
                Err(Error::InvalidTransition {
                    phase: Phase::Idle,
                    ..
                })
            ));
        }
        assert_eq!(*c.state(), before);
        c.stage(D1).unwrap();
        c.switch(TriesLeft::new(1).unwrap()).unwrap();
        assert!(c.stage(D2).is_err(), "no staging during a trial");
        assert!(
            c.commit_health().is_err(),
            "no commit before booting the trial slot"
        );
        assert_eq!(
            c.sink()
                .iter()
                .filter(|e| matches!(e, AuditEvent::Refused { .. }))
                .count(),
            5
        );
    }

    #[test]
    fn restaging_replaces_the_staged_set() {
        let s = BootState::factory();
        let (s, _) = s.stage(D1).unwrap();
        let (s, _) = s.stage(D2).unwrap();
        assert_eq!(
            s.pending,
            Pending::Staged {
                slot: SlotId::B,
                digest: D2
            }
        );
    }

    #[test]
    fn tries_are_bounded() {
        assert!(TriesLeft::new(0).is_err());
        assert!(TriesLeft::new(MAX_TRIES + 1).is_err());
        assert!(SlotId::new(2).is_err());
    }
}
