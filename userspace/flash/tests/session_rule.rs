//! The session rule of the device state machine, command by command and state by state:
//! WRITE, VERIFY, DONE and ABORT are accepted only inside a session whose MANIFEST the
//! device accepted. Whatever the device holds (nothing, a flash in progress, a complete
//! and verified image) and however the session began (a device restart, as `nx flash
//! serve` makes per connection; a HELLO on a live device; a connection end reported by
//! the driver), a host without a signed manifest can read the state but changes nothing:
//! neither the disk, nor the journal, nor what INFO? reports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flash::device::{Device, DeviceConfig, MemStorage, Storage, Trust};
use flash::frame::{Command, Frame, FLAG_ATTACH, FLAG_RESUME};
use flash::proto::{DeviceState, InfoReply, ManifestPayload, Nak, NakCode, WriteHeader};
use image::{build_in_memory, Manifest, Profile, SegmentName, SignatureKind};
use signing::{KeyPolicy, SecretKey, TrustedKeys};

/// A signed dev image with two ranges, its manifest's bytes and signature.
struct Signed {
    img: Vec<u8>,
    manifest: Manifest,
    bytes: Vec<u8>,
    sig: [u8; 64],
}

fn signed(version: &str, key: &SecretKey) -> Signed {
    let kernel: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
    let (img, manifest) = build_in_memory(
        &[
            (SegmentName::Kernel, &kernel),
            (SegmentName::Initrd, b"initrd bytes"),
        ],
        None,
        "qemu-virt",
        version,
        Profile::Dev,
        SignatureKind::Ed25519,
    )
    .unwrap();
    let bytes = manifest.encode();
    let sig = *key.sign(&bytes).as_bytes();
    Signed {
        img,
        manifest,
        bytes,
        sig,
    }
}

fn key() -> SecretKey {
    SecretKey::from_seed([7; 32])
}

fn config() -> DeviceConfig {
    let trust = TrustedKeys::new([key().public_key()], KeyPolicy::Development).unwrap();
    DeviceConfig::new(Trust::Keys(trust))
}

/// Sends one frame and returns the reply.
fn send(
    dev: &mut Device<MemStorage>,
    seq: &mut u32,
    command: Command,
    flags: u16,
    payload: Vec<u8>,
) -> Frame {
    *seq += 1;
    let mut frame = Frame::new(command, *seq, payload);
    frame.flags = flags;
    dev.handle(&frame).expect("a request gets a reply")
}

fn manifest_frame(dev: &mut Device<MemStorage>, seq: &mut u32, s: &Signed, flags: u16) -> Frame {
    let payload = ManifestPayload {
        signature: Some(s.sig),
        manifest: s.bytes.clone(),
    }
    .encode();
    send(dev, seq, Command::Manifest, flags, payload)
}

fn write_frame(
    dev: &mut Device<MemStorage>,
    seq: &mut u32,
    s: &Signed,
    range: usize,
    data: &[u8],
) -> Frame {
    let r = &s.manifest.ranges[range];
    let mut payload = WriteHeader {
        range: &r.name,
        offset: 0,
    }
    .encode();
    payload.extend_from_slice(data);
    send(dev, seq, Command::Write, 0, payload)
}

/// Writes every range of `s` whole.
fn write_all(dev: &mut Device<MemStorage>, seq: &mut u32, s: &Signed) {
    for (i, r) in s.manifest.ranges.iter().enumerate() {
        let data = s.img[r.offset as usize..(r.offset + r.size) as usize].to_vec();
        let reply = write_frame(dev, seq, s, i, &data);
        assert_eq!(
            reply.command,
            Command::Ack,
            "{:?}",
            Nak::decode(&reply.payload)
        );
    }
}

fn nak_code(reply: &Frame) -> Option<u16> {
    (reply.command == Command::Nak).then(|| Nak::decode(&reply.payload).unwrap().code)
}

/// What the device holds when the new session begins.
#[derive(Debug, Clone, Copy)]
enum Holds {
    Nothing,
    FlashInProgress,
    VerifiedImage,
}

/// How the new session begins.
#[derive(Debug, Clone, Copy)]
enum Begins {
    /// A fresh device over the same storage (`nx flash serve`, a device restart).
    Restart,
    /// A HELLO on the same, live device (a serial line).
    Hello,
    /// The driver reports the end of the connection, and nothing else is sent.
    EndLink,
}

/// A device over storage that holds `holds`, after the session that made it, and the image.
fn device_holding(holds: Holds) -> (MemStorage, Signed) {
    let s = signed("1.0.0", &key());
    let mut dev = Device::new(MemStorage::new(64 << 20), config());
    let mut seq = 0;
    if !matches!(holds, Holds::Nothing) {
        send(&mut dev, &mut seq, Command::Hello, 0, Vec::new());
        assert_eq!(
            manifest_frame(&mut dev, &mut seq, &s, 0).command,
            Command::Ack
        );
        match holds {
            Holds::FlashInProgress => {
                let r = &s.manifest.ranges[0];
                let first = s.img[r.offset as usize..r.offset as usize + 100].to_vec();
                assert_eq!(
                    write_frame(&mut dev, &mut seq, &s, 0, &first).command,
                    Command::Ack
                );
            }
            _ => {
                write_all(&mut dev, &mut seq, &s);
                let done = send(&mut dev, &mut seq, Command::Done, 0, Vec::new());
                assert_eq!(
                    done.command,
                    Command::Ack,
                    "{:?}",
                    Nak::decode(&done.payload)
                );
            }
        }
    }
    dev.checkpoint().unwrap();
    (dev.into_storage(), s)
}

/// The device whose session just began as `begins`, over storage holding `holds`.
fn begin(holds: Holds, begins: Begins) -> (Device<MemStorage>, Signed, u32) {
    let (storage, s) = device_holding(holds);
    let mut seq = 1000;
    let dev = match begins {
        Begins::Restart => Device::new(storage, config()),
        Begins::Hello | Begins::EndLink => {
            // The same live device: a session with a manifest, then it ends.
            let mut dev = Device::new(storage, config());
            if !matches!(holds, Holds::Nothing) {
                let ack = manifest_frame(&mut dev, &mut seq, &s, FLAG_RESUME);
                assert_eq!(ack.command, Command::Ack);
                assert!(dev.has_manifest_on_link());
            }
            match begins {
                Begins::Hello => {
                    send(&mut dev, &mut seq, Command::Hello, 0, Vec::new());
                }
                _ => dev.end_link(),
            }
            dev
        }
    };
    (dev, s, seq)
}

/// Disk, journal and INFO? reply: everything a refused frame must leave alone.
fn snapshot(dev: &mut Device<MemStorage>, seq: &mut u32) -> (Vec<u8>, Option<Vec<u8>>, InfoReply) {
    let info = send(dev, seq, Command::Info, 0, Vec::new());
    assert_eq!(info.command, Command::Ack);
    let info = InfoReply::decode(&info.payload).unwrap();
    let mut storage = dev.storage().clone();
    (storage.disk.clone(), storage.load_journal().unwrap(), info)
}

const HOLDS: [Holds; 3] = [Holds::Nothing, Holds::FlashInProgress, Holds::VerifiedImage];
const BEGINS: [Begins; 3] = [Begins::Restart, Begins::Hello, Begins::EndLink];

#[test]
fn write_verify_done_and_abort_without_a_manifest_in_the_session_are_refused_and_change_nothing() {
    for holds in HOLDS {
        for begins in BEGINS {
            for command in [
                Command::Write,
                Command::Verify,
                Command::Done,
                Command::Abort,
            ] {
                let case = format!(
                    "{command:?} on a device holding {holds:?}, session begun by {begins:?}"
                );
                let (mut dev, s, mut seq) = begin(holds, begins);
                let before = snapshot(&mut dev, &mut seq);
                let reply = match command {
                    Command::Write => {
                        let r = &s.manifest.ranges[0];
                        let evil = vec![0xEE; r.size as usize];
                        write_frame(&mut dev, &mut seq, &s, 0, &evil)
                    }
                    c => send(&mut dev, &mut seq, c, 0, Vec::new()),
                };
                assert_eq!(nak_code(&reply), Some(NakCode::NoManifest as u16), "{case}");
                let message = Nak::decode(&reply.payload).unwrap().message;
                assert!(
                    message.contains("before a MANIFEST accepted in this session"),
                    "{case}: {message}"
                );
                assert_eq!(
                    snapshot(&mut dev, &mut seq),
                    before,
                    "{case}: the device changed"
                );
                // The refusal is not cached: the same seq runs for real once a manifest
                // is in the session (a VERIFY after an ATTACH, say).
                if matches!(holds, Holds::VerifiedImage) && command == Command::Verify {
                    let refused_seq = seq - 1;
                    assert_eq!(
                        manifest_frame(&mut dev, &mut seq, &s, FLAG_ATTACH).command,
                        Command::Ack
                    );
                    let again = dev
                        .handle(&Frame::new(Command::Verify, refused_seq, Vec::new()))
                        .unwrap();
                    assert_eq!(
                        again.command,
                        Command::Ack,
                        "{case}: the refusal was replayed"
                    );
                }
            }
        }
    }
}

#[test]
fn hello_info_and_reboot_need_no_manifest() {
    for holds in HOLDS {
        for begins in BEGINS {
            for (command, payload) in [
                (Command::Hello, vec![]),
                (Command::Info, vec![]),
                (Command::Reboot, vec![0]),
            ] {
                let case = format!(
                    "{command:?} on a device holding {holds:?}, session begun by {begins:?}"
                );
                let (mut dev, _, mut seq) = begin(holds, begins);
                let before = snapshot(&mut dev, &mut seq);
                let reply = send(&mut dev, &mut seq, command, 0, payload);
                assert_eq!(
                    reply.command,
                    Command::Ack,
                    "{case}: {:?}",
                    Nak::decode(&reply.payload)
                );
                assert_eq!(snapshot(&mut dev, &mut seq), before, "{case}");
            }
        }
    }
}

#[test]
fn a_session_with_its_manifest_resent_may_go_on() {
    // A flash in progress: resumed with RESUME, the session writes the rest and DONE passes.
    for begins in BEGINS {
        let (mut dev, s, mut seq) = begin(Holds::FlashInProgress, begins);
        let ack = manifest_frame(&mut dev, &mut seq, &s, FLAG_RESUME);
        assert_eq!(ack.payload, vec![1], "{begins:?}: progress kept");
        write_all(&mut dev, &mut seq, &s);
        let done = send(&mut dev, &mut seq, Command::Done, 0, Vec::new());
        assert_eq!(
            done.command,
            Command::Ack,
            "{begins:?}: {:?}",
            Nak::decode(&done.payload)
        );
        let info = snapshot(&mut dev, &mut seq).2;
        assert_eq!(info.state, DeviceState::Complete, "{begins:?}");
    }
    // A verified image: ATTACH keeps it, VERIFY reports every range, ABORT is allowed.
    for begins in BEGINS {
        let (mut dev, s, mut seq) = begin(Holds::VerifiedImage, begins);
        let before = snapshot(&mut dev, &mut seq);
        let ack = manifest_frame(&mut dev, &mut seq, &s, FLAG_ATTACH);
        assert_eq!(ack.payload, vec![1], "{begins:?}: attached");
        assert_eq!(
            snapshot(&mut dev, &mut seq),
            before,
            "{begins:?}: ATTACH changed nothing"
        );
        let verify = send(&mut dev, &mut seq, Command::Verify, 0, Vec::new());
        assert_eq!(verify.command, Command::Ack, "{begins:?}");
        let abort = send(&mut dev, &mut seq, Command::Abort, 0, Vec::new());
        assert_eq!(abort.command, Command::Ack, "{begins:?}");
        assert_eq!(
            snapshot(&mut dev, &mut seq).2.state,
            DeviceState::Idle,
            "{begins:?}"
        );
        // ABORT ended the session's manifest too.
        let again = send(&mut dev, &mut seq, Command::Verify, 0, Vec::new());
        assert_eq!(
            nak_code(&again),
            Some(NakCode::NoManifest as u16),
            "{begins:?}"
        );
    }
}

#[test]
fn attach_refuses_an_image_the_device_does_not_hold_and_changes_nothing() {
    let other = signed("2.0.0", &key());
    for holds in HOLDS {
        let (mut dev, _, mut seq) = begin(holds, Begins::Restart);
        let before = snapshot(&mut dev, &mut seq);
        let reply = manifest_frame(&mut dev, &mut seq, &other, FLAG_ATTACH);
        assert_eq!(nak_code(&reply), Some(NakCode::NotHeld as u16), "{holds:?}");
        let message = Nak::decode(&reply.payload).unwrap().message;
        let want = match holds {
            Holds::Nothing => "this device holds no image; nothing changed",
            _ => {
                "this device holds another image (board qemu-virt, version 1.0.0); nothing changed"
            }
        };
        assert_eq!(message, want, "{holds:?}");
        assert_eq!(snapshot(&mut dev, &mut seq), before, "{holds:?}");
        assert!(!dev.has_manifest_on_link(), "{holds:?}");
        let write = send(&mut dev, &mut seq, Command::Done, 0, Vec::new());
        assert_eq!(
            nak_code(&write),
            Some(NakCode::NoManifest as u16),
            "{holds:?}"
        );
    }
}

#[test]
fn a_manifest_the_trusted_keys_did_not_sign_opens_no_session() {
    let (mut dev, s, mut seq) = begin(Holds::VerifiedImage, Begins::Restart);
    let before = snapshot(&mut dev, &mut seq);
    let forged = Signed {
        sig: *SecretKey::from_seed([9; 32]).sign(&s.bytes).as_bytes(),
        ..s
    };
    for flags in [0, FLAG_RESUME, FLAG_ATTACH] {
        let reply = manifest_frame(&mut dev, &mut seq, &forged, flags);
        assert_eq!(
            nak_code(&reply),
            Some(NakCode::BadSignature as u16),
            "flags {flags}"
        );
        let write = write_frame(&mut dev, &mut seq, &forged, 0, &[0xEE; 16]);
        assert_eq!(
            nak_code(&write),
            Some(NakCode::NoManifest as u16),
            "flags {flags}"
        );
    }
    assert_eq!(snapshot(&mut dev, &mut seq), before);
}
