//! The flasher protocol in process: the host state machine against the device state
//! machine over a wire that drops every 5th frame, corrupts, duplicates and reorders
//! frames, is cut mid-transfer, or sees the device restart; the final disk always
//! equals the image byte for byte, and a manifest signed by an untrusted key is refused
//! before any write.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flash::device::{Device, DeviceConfig, Event, MemStorage, Trust};
use flash::proto::NakCode;
use flash::sender::{Outcome, Sender, SenderConfig, Task};
use flash::ProtocolError;
use provisioning_recovery_v1_0_host::{run_wire, sha256_hex, test_image, Dir, TestImage};
use signing::{KeyPolicy, SecretKey, TrustedKeys};

fn key() -> SecretKey {
    SecretKey::from_seed([42; 32])
}

fn device() -> Device<MemStorage> {
    let trust = TrustedKeys::new([key().public_key()], KeyPolicy::Development).unwrap();
    let mut cfg = DeviceConfig::new(Trust::Keys(trust));
    cfg.checkpoint_bytes = 16 << 10;
    Device::new(MemStorage::new(1 << 30), cfg)
}

fn sender(img: &TestImage, resume: bool, chunk: usize) -> Sender {
    let mut cfg = SenderConfig::for_link(chunk, None);
    cfg.rto_initial_us = 50_000;
    cfg.rto_min_us = 20_000;
    Sender::new(
        Task::Flash {
            manifest: img.manifest.clone(),
            signature: Some(img.signature),
            resume,
        },
        cfg,
    )
    .unwrap()
}

fn image() -> TestImage {
    test_image(200_000, &key()).unwrap()
}

fn assert_flashed(dev: &Device<MemStorage>, img: &TestImage) {
    assert_eq!(dev.storage().disk.len(), img.image.len());
    assert_eq!(sha256_hex(&dev.storage().disk), sha256_hex(&img.image));
}

#[test]
fn every_fifth_frame_dropped_then_cut_and_resumed_gives_the_same_image() {
    let img = image();
    let mut dev = device();
    let mut drop5 = |_: Dir, i: u64, b: Vec<u8>| if i.is_multiple_of(5) { vec![] } else { vec![b] };
    let mut s = sender(&img, false, 4096);
    let cut = run_wire(&mut s, &mut dev, &img.image, &mut drop5, Some(30));
    assert_eq!(cut.outcome, None, "the wire was cut before the end");
    let mut s = sender(&img, true, 4096);
    let r = run_wire(&mut s, &mut dev, &img.image, &mut drop5, None);
    assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)));
    assert!(r.stats.resumed, "the device kept the progress");
    assert!(r.stats.skipped > 0, "resume skipped what was written");
    assert!(r.stats.retransmits > 0);
    assert_flashed(&dev, &img);
}

#[test]
fn corrupted_frames_are_dropped_and_resent() {
    let img = image();
    let mut dev = device();
    let mut corrupt = |_: Dir, i: u64, mut b: Vec<u8>| {
        if i % 7 == 3 {
            let n = b.len();
            b[n / 2] ^= 0x5a;
        }
        if i % 11 == 5 {
            // Garbage before the frame: the decoder resyncs on the magic.
            let mut g = b"\x00NXF\xffjunk".to_vec();
            g.extend_from_slice(&b);
            b = g;
        }
        vec![b]
    };
    let mut s = sender(&img, false, 8192);
    let r = run_wire(&mut s, &mut dev, &img.image, &mut corrupt, None);
    assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)));
    assert_flashed(&dev, &img);
}

#[test]
fn duplicated_and_reordered_frames_are_harmless() {
    let img = image();
    let mut dev = device();
    let mut held: Option<Vec<u8>> = None;
    let mut chaos = |_: Dir, i: u64, b: Vec<u8>| {
        if let Some(h) = held.take() {
            return vec![b, h];
        }
        match i % 4 {
            0 => vec![b.clone(), b],
            2 => {
                held = Some(b);
                vec![]
            }
            _ => vec![b],
        }
    };
    let mut s = sender(&img, false, 2048);
    let r = run_wire(&mut s, &mut dev, &img.image, &mut chaos, None);
    assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)));
    assert_flashed(&dev, &img);
}

#[test]
fn device_restart_mid_transfer_resumes_from_its_journal() {
    let img = image();
    let mut dev = device();
    let mut clean = |_: Dir, _: u64, b: Vec<u8>| vec![b];
    let mut s = sender(&img, false, 4096);
    let cut = run_wire(&mut s, &mut dev, &img.image, &mut clean, Some(40));
    assert_eq!(cut.outcome, None);
    // Power cut: unflushed writes are lost; the journal holds what was flushed.
    let mut storage = dev.into_storage();
    storage.restart();
    let trust = TrustedKeys::new([key().public_key()], KeyPolicy::Development).unwrap();
    let mut dev = Device::new(storage, DeviceConfig::new(Trust::Keys(trust)));
    let mut s = sender(&img, true, 4096);
    let r = run_wire(&mut s, &mut dev, &img.image, &mut clean, None);
    assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)));
    assert!(r.stats.resumed && r.stats.skipped > 0, "{:?}", r.stats);
    assert_flashed(&dev, &img);
}

#[test]
fn resume_with_another_manifest_starts_over() {
    let img = image();
    let other = test_image(150_000, &key()).unwrap();
    let mut dev = device();
    let mut clean = |_: Dir, _: u64, b: Vec<u8>| vec![b];
    let mut s = sender(&img, false, 4096);
    run_wire(&mut s, &mut dev, &img.image, &mut clean, Some(20));
    let mut s = sender(&other, true, 4096);
    let r = run_wire(&mut s, &mut dev, &other.image, &mut clean, None);
    assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)));
    assert!(!r.stats.resumed);
    assert_flashed(&dev, &other);
}

#[test]
fn manifest_signed_by_an_untrusted_key_is_refused_before_any_write() {
    let stranger = SecretKey::from_seed([9; 32]);
    let img = test_image(50_000, &stranger).unwrap();
    let mut dev = device();
    let mut clean = |_: Dir, _: u64, b: Vec<u8>| vec![b];
    let mut s = sender(&img, false, 4096);
    let r = run_wire(&mut s, &mut dev, &img.image, &mut clean, None);
    match r.outcome {
        Some(Err(ProtocolError::Refused {
            command,
            code,
            message,
        })) => {
            assert_eq!(command, "MANIFEST");
            assert_eq!(code, NakCode::BadSignature as u16);
            assert!(message.contains("signature"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(dev.storage().disk.is_empty(), "nothing was written");
    assert_eq!(r.stats.data_acked, 0);
}

#[test]
fn unsigned_manifest_is_refused_by_a_device_with_trusted_keys() {
    let img = image();
    let mut dev = device();
    let mut s = Sender::new(
        Task::Flash {
            manifest: img.manifest.clone(),
            signature: None,
            resume: false,
        },
        SenderConfig::for_link(4096, None),
    )
    .unwrap();
    let mut clean = |_: Dir, _: u64, b: Vec<u8>| vec![b];
    let r = run_wire(&mut s, &mut dev, &img.image, &mut clean, None);
    assert!(
        matches!(&r.outcome, Some(Err(ProtocolError::Refused { code, .. })) if *code == NakCode::BadSignature as u16),
        "{:?}",
        r.outcome
    );
    assert!(dev.storage().disk.is_empty());
}

#[test]
fn write_before_manifest_and_outside_a_range_are_refused() {
    use flash::frame::{Command, Frame};
    use flash::proto::{Nak, WriteHeader};
    let img = image();
    let mut dev = device();
    let mut payload = WriteHeader {
        range: "kernel",
        offset: 0,
    }
    .encode();
    payload.extend_from_slice(b"data");
    let reply = dev
        .handle(&Frame::new(Command::Write, 1, payload.clone()))
        .unwrap();
    assert_eq!(reply.command, Command::Nak);
    assert_eq!(
        Nak::decode(&reply.payload).unwrap().code,
        NakCode::NoManifest as u16
    );
    let m = flash::proto::ManifestPayload {
        signature: Some(img.signature),
        manifest: img.manifest.clone(),
    };
    let ok = dev
        .handle(&Frame::new(Command::Manifest, 2, m.encode()))
        .unwrap();
    assert_eq!(ok.command, Command::Ack);
    let mut far = WriteHeader {
        range: "kernel",
        offset: 10_000_000,
    }
    .encode();
    far.extend_from_slice(b"data");
    let reply = dev.handle(&Frame::new(Command::Write, 3, far)).unwrap();
    let nak = Nak::decode(&reply.payload).unwrap();
    assert_eq!(nak.code, NakCode::OutOfRange as u16);
    assert!(nak.message.contains("kernel"), "{}", nak.message);
    let mut unknown = WriteHeader {
        range: "rootfs",
        offset: 0,
    }
    .encode();
    unknown.extend_from_slice(b"data");
    let reply = dev.handle(&Frame::new(Command::Write, 4, unknown)).unwrap();
    assert!(Nak::decode(&reply.payload)
        .unwrap()
        .message
        .contains("rootfs"));
}

#[test]
fn done_reports_the_mismatching_range_by_name() {
    use flash::frame::{Command, Frame};
    use flash::proto::{Nak, WriteHeader};
    let img = image();
    let manifest = image::Manifest::parse(&img.manifest).unwrap();
    let mut dev = device();
    let m = flash::proto::ManifestPayload {
        signature: Some(img.signature),
        manifest: img.manifest.clone(),
    };
    dev.handle(&Frame::new(Command::Manifest, 1, m.encode()))
        .unwrap();
    let mut seq = 2;
    for r in &manifest.ranges {
        for (i, chunk) in img.image[r.offset as usize..(r.offset + r.size) as usize]
            .chunks(60_000)
            .enumerate()
        {
            let mut data = chunk.to_vec();
            if r.name == "initrd" {
                data[0] ^= 1; // the device writes it, DONE must catch it
            }
            let mut p = WriteHeader {
                range: &r.name,
                offset: i as u64 * 60_000,
            }
            .encode();
            p.extend_from_slice(&data);
            let a = dev.handle(&Frame::new(Command::Write, seq, p)).unwrap();
            assert_eq!(a.command, Command::Ack);
            seq += 1;
        }
    }
    let reply = dev.handle(&Frame::new(Command::Done, seq, vec![])).unwrap();
    let nak = Nak::decode(&reply.payload).unwrap();
    assert_eq!(nak.code, NakCode::Mismatch as u16);
    assert!(nak.message.contains("range initrd"), "{}", nak.message);
    assert!(dev
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::Refused { .. })));
}

#[test]
fn insecure_device_accepts_unsigned_and_says_so() {
    let img = image();
    let mut dev = Device::new(
        MemStorage::new(1 << 30),
        DeviceConfig::new(Trust::InsecureAcceptUnsigned),
    );
    let mut s = Sender::new(
        Task::Flash {
            manifest: img.manifest.clone(),
            signature: None,
            resume: false,
        },
        SenderConfig::for_link(65536, None),
    )
    .unwrap();
    let mut clean = |_: Dir, _: u64, b: Vec<u8>| vec![b];
    let r = run_wire(&mut s, &mut dev, &img.image, &mut clean, None);
    assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)));
    assert!(s.device().unwrap().insecure);
    assert!(dev.take_events().iter().any(|e| matches!(
        e,
        Event::ManifestAccepted {
            unverified: true,
            ..
        }
    )));
}
