//! The bodies of this crate's fuzz targets, one public function per target named after
//! it. The cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/corpus.rs`) both call these functions, so the fuzzer and `cargo test` run the
//! same code. Not a stable API.

use crate::device::{Device, DeviceConfig, MemStorage, Trust};
use crate::frame::Decoder;
use crate::proto::{
    HelloReply, InfoReply, ManifestPayload, Nak, RebootMode, VerifyReply, WriteAck, WriteHeader,
};

/// The `frame_decoder` target: `data` through the frame decoder (split at a point chosen
/// by the first byte), every payload decoder on each frame, and an insecure in-memory
/// device. Never panics.
pub fn frame_decoder(data: &[u8]) {
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
