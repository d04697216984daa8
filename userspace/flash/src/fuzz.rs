//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/corpus.rs`) both call these functions, so the fuzzer and `cargo test` run the
//! same code. Not a stable API.
//!
//! `frame_decoder`: bytes through the decoder (split at a point chosen by the first byte),
//! every payload decoder on each frame, and an insecure in-memory device that holds a
//! complete image from an earlier session. The session rule is checked on every reply:
//! WRITE, VERIFY, DONE and ABORT are acknowledged only after a MANIFEST was acknowledged
//! since the device started or the last HELLO (a violation panics, so the fuzzer reports it).

use alloc::vec::Vec;

use crate::device::{Device, DeviceConfig, MemStorage, Trust};
use crate::frame::{Command, Decoder, Frame};
use crate::proto::{
    HelloReply, InfoReply, ManifestPayload, Nak, RebootMode, VerifyReply, WriteAck, WriteHeader,
};

/// A device holding a complete, verified image (an unsigned dev image with one range),
/// restarted so that no session is open. With `std`, its storage is made once per process.
fn device_holding_an_image() -> Device<MemStorage> {
    #[cfg(feature = "std")]
    let storage = {
        static HELD: std::sync::OnceLock<MemStorage> = std::sync::OnceLock::new();
        HELD.get_or_init(storage_holding_an_image).clone()
    };
    #[cfg(not(feature = "std"))]
    let storage = storage_holding_an_image();
    Device::new(storage, DeviceConfig::new(Trust::InsecureAcceptUnsigned))
}

fn storage_holding_an_image() -> MemStorage {
    let mut device = Device::new(
        MemStorage::new(8 << 20),
        DeviceConfig::new(Trust::InsecureAcceptUnsigned),
    );
    if let Ok((img, manifest)) = image::build_in_memory(
        &[(image::SegmentName::Kernel, b"fuzz kernel")],
        None,
        "qemu-virt",
        "1.0.0",
        image::Profile::Dev,
        image::SignatureKind::None,
    ) {
        let mut frames = Vec::new();
        frames.push(Frame::new(Command::Hello, 1, Vec::new()));
        let payload = ManifestPayload {
            signature: None,
            manifest: manifest.encode(),
        };
        frames.push(Frame::new(Command::Manifest, 2, payload.encode()));
        for (i, r) in manifest.ranges.iter().enumerate() {
            let mut p = WriteHeader {
                range: &r.name,
                offset: 0,
            }
            .encode();
            let (start, end) = (r.offset as usize, (r.offset + r.size) as usize);
            p.extend_from_slice(img.get(start..end).unwrap_or_default());
            frames.push(Frame::new(Command::Write, 3 + i as u32, p));
        }
        frames.push(Frame::new(Command::Done, 1000, Vec::new()));
        for f in &frames {
            let _ = device.handle(f);
        }
    }
    let _ = device.checkpoint();
    device.into_storage()
}

/// The `frame_decoder` target: everything that parses untrusted bytes. Never panics,
/// except when the device breaks the session rule (see the module docs).
pub fn frame_decoder(data: &[u8]) {
    let split = data
        .first()
        .map(|b| usize::from(*b).min(data.len()))
        .unwrap_or(0);
    let mut decoder = Decoder::new();
    let mut device = device_holding_an_image();
    let mut manifest_in_session = false;
    for part in [&data[..split], &data[split..]] {
        decoder.push(part);
        while let Some(frame) = decoder.next_frame() {
            let p = &frame.payload;
            let _ = HelloReply::decode(p);
            let _ = InfoReply::decode(p);
            let _ = ManifestPayload::decode(p);
            let _ = Nak::decode(p);
            let _ = VerifyReply::decode(p);
            let _ = WriteAck::decode(p);
            let _ = WriteHeader::decode(p);
            let _ = RebootMode::decode(p);
            let Some(reply) = device.handle(&frame) else {
                continue;
            };
            let acked = reply.command == Command::Ack;
            match frame.command {
                Command::Hello if acked => manifest_in_session = false,
                Command::Manifest if acked => manifest_in_session = true,
                Command::Write | Command::Verify | Command::Done | Command::Abort if acked => {
                    assert!(
                        manifest_in_session,
                        "{} acknowledged without a MANIFEST in the session",
                        frame.command.name()
                    );
                    if frame.command == Command::Abort {
                        manifest_in_session = false;
                    }
                }
                _ => {}
            }
        }
    }
}
