//! A journal the device cannot use is ignored with the reason: damaged bytes, another
//! format, or a manifest the trusted keys no longer accept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flash::device::{Device, DeviceConfig, Event, MemStorage, Storage, StorageError, Trust};
use flash::sender::{Outcome, Sender, SenderConfig, Task};
use flash::sim::{run, Direction, LineConfig, Loss};
use image::{build_in_memory, Profile, SegmentName, SignatureKind};
use signing::{KeyPolicy, SecretKey, TrustedKeys};

/// A disk whose journal slot holds fixed bytes.
struct FixedJournal(Vec<u8>);

impl Storage for FixedJournal {
    fn capacity(&self) -> u64 {
        1 << 20
    }
    fn prepare(&mut self, _: u64) -> Result<(), StorageError> {
        Ok(())
    }
    fn write_at(&mut self, _: u64, _: &[u8]) -> Result<(), StorageError> {
        Ok(())
    }
    fn read_at(&mut self, _: u64, _: &mut [u8]) -> Result<(), StorageError> {
        Ok(())
    }
    fn flush(&mut self) -> Result<(), StorageError> {
        Ok(())
    }
    fn load_journal(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(Some(self.0.clone()))
    }
    fn store_journal(&mut self, _: &[u8]) -> Result<(), StorageError> {
        Ok(())
    }
}

fn ignored(storage: impl Storage, trust: Trust) -> String {
    let mut dev = Device::new(storage, DeviceConfig::new(trust));
    match dev.take_events().as_slice() {
        [Event::JournalIgnored { reason }] => reason.clone(),
        other => panic!("expected one JournalIgnored event, got {other:?}"),
    }
}

fn with_crc(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out
}

#[test]
fn a_damaged_or_foreign_journal_is_ignored_with_the_reason() {
    let insecure = || Trust::InsecureAcceptUnsigned;
    assert_eq!(
        ignored(FixedJournal(b"ab".to_vec()), insecure()),
        "2 bytes, too short for its CRC32"
    );
    assert_eq!(
        ignored(FixedJournal(b"not a journal at all".to_vec()), insecure()),
        "CRC32 mismatch (damaged)"
    );
    assert_eq!(
        ignored(FixedJournal(with_crc(b"ABCD\x01")), insecure()),
        "bad magic (not a flash journal)"
    );
    assert_eq!(
        ignored(FixedJournal(with_crc(b"NXFJ\x07")), insecure()),
        "version 7, this device reads version 1"
    );
    assert_eq!(
        ignored(FixedJournal(with_crc(b"NXFJ\x01\x00\x05")), insecure()),
        "signature length 5, expected 0 or 64"
    );
    assert_eq!(
        ignored(FixedJournal(with_crc(b"NXFJ\x01\x00")), insecure()),
        "malformed field signature length"
    );
}

#[test]
fn a_journal_whose_manifest_is_no_longer_trusted_is_ignored_with_the_reason() {
    // Flash an unsigned image on an insecure device; its journal records the session.
    let (img, m) = build_in_memory(
        &[(SegmentName::Kernel, b"kernel bytes")],
        None,
        "qemu-virt",
        "1.0.0",
        Profile::Dev,
        SignatureKind::None,
    )
    .unwrap();
    let mut dev = Device::new(
        MemStorage::new(1 << 30),
        DeviceConfig::new(Trust::InsecureAcceptUnsigned),
    );
    let mut sender = Sender::new(
        Task::Flash {
            manifest: m.encode(),
            signature: None,
            resume: false,
        },
        SenderConfig::for_link(1024, None),
    )
    .unwrap();
    let line = LineConfig {
        bytes_per_sec: 1 << 20,
        latency_us: 1_000,
    };
    let mut a = Direction::new(line, Loss::None);
    let mut b = Direction::new(line, Loss::None);
    let r = run(&mut sender, &mut dev, &img, &mut a, &mut b, 60_000_000);
    assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)));
    let storage = dev.into_storage();

    // The same device restarted with a trusted key refuses that session, saying why.
    let key = SecretKey::from_seed([7; 32]);
    let trust = TrustedKeys::new([key.public_key()], KeyPolicy::Development).unwrap();
    let reason = ignored(storage, Trust::Keys(trust));
    assert!(
        reason.starts_with("its manifest is unsigned"),
        "reason: {reason}"
    );
}
