//! The protocol over the simulated serial line: complete flashes with and without loss,
//! and goodput sanity (the performance targets live in the benchmark, not here).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flash::device::{Device, DeviceConfig, MemStorage, Trust};
use flash::sender::{Outcome, Sender, SenderConfig, Task};
use flash::sim::{run, Direction, LineConfig, Loss};
use image::{build_in_memory, Profile, SegmentName, SignatureKind};
use signing::{KeyPolicy, SecretKey, TrustedKeys};

fn image(kernel_len: usize) -> (Vec<u8>, Vec<u8>, [u8; 64], SecretKey) {
    let kernel: Vec<u8> = (0..kernel_len).map(|i| (i * 7 + i / 251) as u8).collect();
    let key = SecretKey::from_seed([7; 32]);
    let (img, m) = build_in_memory(
        &[
            (SegmentName::Kernel, &kernel),
            (SegmentName::Initrd, b"initrd"),
        ],
        Some(64 << 10),
        "qemu-virt",
        "1.0.0",
        Profile::Dev,
        SignatureKind::Ed25519,
    )
    .unwrap();
    let bytes = m.encode();
    let sig = *key.sign(&bytes).as_bytes();
    (img, bytes, sig, key)
}

#[test]
fn flashes_over_a_lossy_serial_line() {
    let (img, manifest, sig, key) = image(
        std::env::var("SIM_KERNEL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40_000),
    );
    for (loss, chunk) in [
        (Loss::None, 1024),
        (Loss::EveryNth(5), 1024),
        (
            Loss::Random {
                per_mille: 100,
                seed: 3,
            },
            4096,
        ),
        (
            Loss::Random {
                per_mille: 100,
                seed: 5,
            },
            1024,
        ),
    ] {
        let trust = TrustedKeys::new([key.public_key()], KeyPolicy::Development).unwrap();
        let mut dev = Device::new(
            MemStorage::new(1 << 30),
            DeviceConfig::new(Trust::Keys(trust)),
        );
        let cfg = SenderConfig::for_link(chunk, Some(11_520));
        let mut sender = Sender::new(
            Task::Flash {
                manifest: manifest.clone(),
                signature: Some(sig),
                resume: false,
            },
            cfg,
        )
        .unwrap();
        let line = LineConfig {
            bytes_per_sec: 11_520,
            latency_us: 10_000,
        };
        let mut a = Direction::new(line, loss);
        let mut b = Direction::new(line, loss);
        let r = run(&mut sender, &mut dev, &img, &mut a, &mut b, 3_600_000_000);
        assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)), "{loss:?}");
        assert_eq!(dev.storage().disk, img);
        let data: u64 = r.stats.data_total;
        let goodput = data as f64 / (r.elapsed_us as f64 / 1e6) / 11_520.0;
        eprintln!(
            "{loss:?} chunk {chunk}: goodput {:.1}% retransmits {} timeouts {} dropped {:?}",
            goodput * 100.0,
            r.stats.retransmits,
            r.stats.timeouts,
            r.dropped
        );
    }
}
