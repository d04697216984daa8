//! The body of the fuzz target, shared with the corpus replay test so both exercise the
//! same code: bytes through the decoder (split at a point chosen by the first byte),
//! every payload decoder on each frame, and an insecure in-memory device.

use crate::device::{Device, DeviceConfig, MemStorage, Trust};
use crate::frame::Decoder;
use crate::proto::{
    HelloReply, InfoReply, ManifestPayload, Nak, RebootMode, VerifyReply, WriteAck, WriteHeader,
};

/// Runs `data` through everything that parses untrusted bytes. Never panics.
pub fn exercise(data: &[u8]) {
    let split = data
        .first()
        .map(|b| usize::from(*b).min(data.len()))
        .unwrap_or(0);
    let mut decoder = Decoder::new();
    let mut device = Device::new(
        MemStorage::new(1 << 20),
        DeviceConfig::new(Trust::InsecureAcceptUnsigned),
    );
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
            let _ = device.handle(&frame);
        }
    }
}
