//! The A/B cycle end to end on the host: verified staging into an update root, the
//! BootCtrl state machine with its audit trail, the persistent two-copy record across
//! "reboots", torn writes, and atomic staging.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use updates::bootrecord::{self, COPY_LEN};
use updates::fs::{BootStore, UpdateRoot};
use updates::{
    AuditEvent, BootCtrl, BootState, Phase, RollbackReason, SlotId, TriesLeft, VerifyPolicy,
};
use updates_host::*;

struct Device {
    _dir: tempfile::TempDir,
    root: UpdateRoot,
    set: std::path::PathBuf,
}

/// An update root and a verified-to-be system-set file on disk.
fn device(version: &str) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let key = test_key().unwrap();
    let set = dir.path().join("system.nxs");
    fs::write(&set, small_set_with(&key, &meta(version).unwrap()).unwrap()).unwrap();
    Device {
        root: UpdateRoot::new(&dir.path().join("state-boot")),
        set,
        _dir: dir,
    }
}

fn policy() -> VerifyPolicy {
    device_policy(&[&test_key().unwrap()], "1.0.0").unwrap()
}

/// One "boot": load the record, choose the slot, persist.
fn boot(root: &UpdateRoot, events: &mut Vec<AuditEvent>) -> SlotId {
    let (mut store, state) = BootStore::open(&root.record_path()).unwrap();
    let mut ctrl = BootCtrl::new(state, Vec::new());
    let slot = ctrl.boot();
    store.save(ctrl.state()).unwrap();
    events.extend(ctrl.into_sink());
    slot
}

fn with_ctrl<R>(
    root: &UpdateRoot,
    events: &mut Vec<AuditEvent>,
    op: impl FnOnce(&mut BootCtrl<Vec<AuditEvent>>) -> R,
) -> R {
    let (mut store, state) = BootStore::open(&root.record_path()).unwrap();
    let mut ctrl = BootCtrl::new(state, Vec::new());
    let r = op(&mut ctrl);
    store.save(ctrl.state()).unwrap();
    events.extend(ctrl.into_sink());
    r
}

#[test]
fn stage_switch_health_commit() {
    let d = device("1.1.0");
    let mut events = Vec::new();
    let (verified, state) = d.root.stage(&d.set, policy()).unwrap();
    assert_eq!(state.phase(), Phase::Staged);
    assert!(d.root.set_path(SlotId::B, &verified.digest).exists());
    events.push(AuditEvent::Staged {
        slot: SlotId::B,
        digest: verified.digest,
    });
    with_ctrl(&d.root, &mut events, |c| {
        c.switch(TriesLeft::new(3).unwrap())
    })
    .unwrap();
    assert_eq!(boot(&d.root, &mut events), SlotId::B);
    with_ctrl(&d.root, &mut events, |c| c.commit_health()).unwrap();
    let (_, state) = BootStore::open(&d.root.record_path()).unwrap();
    assert_eq!(state.active, SlotId::B);
    assert_eq!(state.active_digest, Some(verified.digest));
    assert_eq!(state.phase(), Phase::Idle);
    assert_eq!(boot(&d.root, &mut events), SlotId::B);
    let ops: Vec<String> = events
        .iter()
        .map(|e| e.to_string().split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(ops, ["op=stage", "op=switch", "op=trial-boot", "op=commit"]);
}

#[test]
fn test_rollback_on_health_timeout() {
    // stage -> switch -> no health within the tries -> rollback to the old slot.
    let d = device("1.1.0");
    let mut events = Vec::new();
    d.root.stage(&d.set, policy()).unwrap();
    with_ctrl(&d.root, &mut events, |c| {
        c.switch(TriesLeft::new(2).unwrap())
    })
    .unwrap();
    assert_eq!(boot(&d.root, &mut events), SlotId::B); // no health report
    assert_eq!(boot(&d.root, &mut events), SlotId::B); // no health report
    assert_eq!(boot(&d.root, &mut events), SlotId::A); // tries exhausted
    let (_, state) = BootStore::open(&d.root.record_path()).unwrap();
    assert_eq!(state.active, SlotId::A);
    assert_eq!(state.phase(), Phase::Idle);
    assert_eq!(
        events.last(),
        Some(&AuditEvent::RolledBack {
            from: SlotId::B,
            to: SlotId::A,
            reason: RollbackReason::TriesExhausted
        })
    );
    // A late health report is refused (and audited), not applied.
    let r = with_ctrl(&d.root, &mut events, |c| c.commit_health());
    assert!(r.is_err());
    assert!(matches!(
        events.last(),
        Some(AuditEvent::Refused {
            operation: "commit_health",
            phase: Phase::Idle
        })
    ));
}

#[test]
fn rollback_on_health_failure() {
    let d = device("1.1.0");
    let mut events = Vec::new();
    d.root.stage(&d.set, policy()).unwrap();
    with_ctrl(&d.root, &mut events, |c| {
        c.switch(TriesLeft::new(3).unwrap())
    })
    .unwrap();
    assert_eq!(boot(&d.root, &mut events), SlotId::B);
    with_ctrl(&d.root, &mut events, |c| {
        c.rollback(RollbackReason::HealthFailed)
    })
    .unwrap();
    assert_eq!(boot(&d.root, &mut events), SlotId::A);
}

#[test]
fn torn_bootctl_write_is_recovered() {
    let d = device("1.1.0");
    let (verified, staged) = d.root.stage(&d.set, policy()).unwrap();
    let record = d.root.record_path();
    let before = fs::read(&record).unwrap();
    let loaded = bootrecord::load(&before).unwrap();
    assert_eq!(loaded.state, staged);
    // The switch's write is torn after every possible number of bytes.
    let (switched, _) = staged.switch(TriesLeft::new(3).unwrap()).unwrap();
    let (at, bytes) = bootrecord::next_write(Some(&loaded), &switched);
    for torn in 0..COPY_LEN {
        let mut r = before.clone();
        r[at..at + torn].copy_from_slice(&bytes[..torn]);
        if r[at..at + COPY_LEN] == bytes[..] {
            continue; // the old bytes happen to complete the copy: not a torn write
        }
        fs::write(&record, &r).unwrap();
        let (_, state) = BootStore::open(&record).unwrap();
        assert_eq!(state, staged, "torn after {torn} bytes");
    }
    // A torn write of the *other* copy (bit rot in the newest) falls back one step.
    let mut r = before.clone();
    r[at..at + COPY_LEN].copy_from_slice(&bytes);
    fs::write(&record, &r).unwrap();
    assert_eq!(BootStore::open(&record).unwrap().1, switched);
    let mut older_damaged = r.clone();
    older_damaged[loaded.copy * COPY_LEN + 40] ^= 0xff; // the older copy: no effect
    fs::write(&record, &older_damaged).unwrap();
    assert_eq!(BootStore::open(&record).unwrap().1, switched);
    r[at + 40] ^= 0xff; // the newest copy: back to the staged state
    fs::write(&record, &r).unwrap();
    assert_eq!(BootStore::open(&record).unwrap().1, staged);
    assert!(d.root.set_path(SlotId::B, &verified.digest).exists());
}

#[test]
fn a_failed_stage_leaves_the_staged_set_untouched() {
    let d = device("1.1.0");
    let (first, staged) = d.root.stage(&d.set, policy()).unwrap();
    let record_before = fs::read(d.root.record_path()).unwrap();
    // A corrupt candidate: the last byte of the last bundle flipped.
    let mut bad = fs::read(&d.set).unwrap();
    let at = bad.len() - 1024 - 1;
    bad[at] ^= 1;
    let bad_path = d.set.with_file_name("bad.nxs");
    fs::write(&bad_path, &bad).unwrap();
    let e = d.root.stage(&bad_path, policy()).unwrap_err();
    assert!(e.to_string().contains("bad.nxs"), "{e}");
    assert_eq!(fs::read(d.root.record_path()).unwrap(), record_before);
    assert!(d.root.set_path(SlotId::B, &first.digest).exists());
    let names: Vec<_> = fs::read_dir(d.root.slot_dir(SlotId::B))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no partial file left: {names:?}");
    assert_eq!(BootStore::open(&d.root.record_path()).unwrap().1, staged);
}

#[test]
fn an_interrupted_stage_leaves_the_staged_set_untouched() {
    let d = device("1.1.0");
    let (first, staged) = d.root.stage(&d.set, policy()).unwrap();
    // Interrupted after the candidate was copied and renamed, before the record write:
    // a file the record does not name.
    let second = small_set_with(&test_key().unwrap(), &meta("1.2.0").unwrap()).unwrap();
    let v = updates::verify_system_set(&second, policy()).unwrap();
    let orphan = d.root.set_path(SlotId::B, &v.digest);
    fs::write(&orphan, &second).unwrap();
    assert_eq!(BootStore::open(&d.root.record_path()).unwrap().1, staged);
    // The next stage completes and removes what nothing references.
    let second_path = d.set.with_file_name("second.nxs");
    fs::write(&second_path, &second).unwrap();
    let (v2, state) = d.root.stage(&second_path, policy()).unwrap();
    assert_eq!(v2.digest, v.digest);
    assert!(matches!(state.pending, updates::Pending::Staged { digest, .. } if digest == v.digest));
    assert!(!d.root.set_path(SlotId::B, &first.digest).exists());
}

#[test]
fn staging_is_refused_during_a_trial() {
    let d = device("1.1.0");
    let mut events = Vec::new();
    d.root.stage(&d.set, policy()).unwrap();
    with_ctrl(&d.root, &mut events, |c| {
        c.switch(TriesLeft::new(1).unwrap())
    })
    .unwrap();
    let e = d.root.stage(&d.set, policy()).unwrap_err();
    assert!(
        e.to_string().contains("stage is not valid while in trial"),
        "{e}"
    );
}

#[test]
fn a_blank_record_starts_from_factory_state() {
    let dir = tempfile::tempdir().unwrap();
    let (_, state) = BootStore::open(&dir.path().join("missing")).unwrap();
    assert_eq!(state, BootState::factory());
    let path = dir.path().join("zeros");
    fs::write(&path, [0u8; bootrecord::RECORD_LEN]).unwrap();
    assert_eq!(BootStore::open(&path).unwrap().1, BootState::factory());
}
