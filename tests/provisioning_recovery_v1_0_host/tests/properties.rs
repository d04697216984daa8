//! Properties: no byte stream panics the frame decoder or any payload decoder, frames
//! survive any split and surrounding garbage, the manifest parser never panics on
//! mutated manifests, and a device never panics on arbitrary decoded frames.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flash::device::{Device, DeviceConfig, MemStorage, Trust};
use flash::frame::{Command, Decoder, Frame};
use flash::proto::{
    HelloReply, InfoReply, ManifestPayload, Nak, VerifyReply, WriteAck, WriteHeader,
};
use proptest::prelude::*;
use provisioning_recovery_v1_0_host::test_image;
use signing::SecretKey;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_byte_stream_panics_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..4096), split in 0usize..4096) {
        let mut d = Decoder::new();
        let split = split.min(bytes.len());
        d.push(&bytes[..split]);
        while d.next_frame().is_some() {}
        d.push(&bytes[split..]);
        while let Some(f) = d.next_frame() {
            let _ = (HelloReply::decode(&f.payload), InfoReply::decode(&f.payload), ManifestPayload::decode(&f.payload));
            let _ = (Nak::decode(&f.payload), VerifyReply::decode(&f.payload), WriteAck::decode(&f.payload), WriteHeader::decode(&f.payload));
        }
    }

    #[test]
    fn frames_survive_garbage_and_any_split(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..6),
        garbage in proptest::collection::vec(any::<u8>(), 0..64),
        split in 0usize..2000,
    ) {
        let frames: Vec<Frame> = payloads.iter().enumerate().map(|(i, p)| Frame::new(Command::Write, i as u32 + 1, p.clone())).collect();
        let mut stream = garbage.clone();
        for f in &frames {
            f.encode_into(&mut stream);
        }
        let split = split.min(stream.len());
        let mut d = Decoder::new();
        let mut got = Vec::new();
        d.push(&stream[..split]);
        while let Some(f) = d.next_frame() { got.push(f); }
        d.push(&stream[split..]);
        while let Some(f) = d.next_frame() { got.push(f); }
        // Garbage could by chance contain a valid frame only with a matching CRC; the
        // real frames always come out, in order, at the end.
        prop_assert!(got.len() >= frames.len());
        prop_assert_eq!(&got[got.len() - frames.len()..], &frames[..]);
    }

    #[test]
    fn mutated_manifests_never_panic_the_parser(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
        let img = test_image(1000, &SecretKey::from_seed([1; 32])).unwrap();
        let mut m = img.manifest.clone();
        for (at, x) in flips {
            let n = m.len();
            m[at % n] ^= x;
        }
        m.truncate(cut % (m.len() + 1));
        let _ = image::Manifest::parse(&m);
    }

    #[test]
    fn a_device_never_panics_on_arbitrary_frames(
        frames in proptest::collection::vec((1u8..=0x81, any::<u16>(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..200)), 1..20)
    ) {
        let mut dev = Device::new(MemStorage::new(1 << 20), DeviceConfig::new(Trust::InsecureAcceptUnsigned));
        for (cmd, flags, seq, payload) in frames {
            if let Some(command) = Command::from_u8(cmd) {
                let _ = dev.handle(&Frame { command, flags, seq, payload });
            }
        }
    }
}
