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

/// Goodput: image bytes per second of virtual time, as a fraction of the line rate.
fn goodput(data: u64, elapsed_us: u64, bytes_per_sec: u64) -> f64 {
    data as f64 / (elapsed_us as f64 / 1e6) / bytes_per_sec as f64
}

#[test]
fn flashes_over_a_lossy_serial_line() {
    // A fixed image size: the goodput floors below are for this size (fixed costs weigh
    // more on a smaller image). The simulator is deterministic, so each case's figures
    // are exact; the lossy floors sit about a fifth below them.
    let (img, manifest, sig, key) = image(40_000);
    let random = |seed| Loss::Random {
        per_mille: 100,
        seed,
    };
    // (host → device, device → host, chunk, goodput floor). Random seeds are odd: the
    // generator starts from `seed | 1`, so an even seed repeats the next odd one.
    // Measured goodput: 92.6%, 67.3%, 65.2%, 80.9%, 43.0%.
    for (to_dev, to_host, chunk, floor) in [
        (Loss::None, Loss::None, 1024, 0.85),
        (Loss::EveryNth(5), Loss::EveryNth(5), 1024, 0.55),
        (random(19), random(1019), 4096, 0.52),
        (random(19), random(1019), 1024, 0.65),
        (random(5), random(5), 1024, 0.35),
    ] {
        let case = format!("{to_dev:?} / {to_host:?}, chunk {chunk}");
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
        let mut a = Direction::new(line, to_dev);
        let mut b = Direction::new(line, to_host);
        let r = run(&mut sender, &mut dev, &img, &mut a, &mut b, 3_600_000_000);
        assert_eq!(r.outcome, Some(Ok(Outcome::Flashed)), "{case}");
        assert_eq!(dev.storage().disk, img, "{case}");
        assert_eq!(r.stats.data_acked, r.stats.data_total, "{case}");
        let goodput = goodput(r.stats.data_total, r.elapsed_us, line.bytes_per_sec);
        eprintln!(
            "{case}: goodput {:.1}% retransmits {} timeouts {} dropped {:?}",
            goodput * 100.0,
            r.stats.retransmits,
            r.stats.timeouts,
            r.dropped
        );
        if to_dev == Loss::None && to_host == Loss::None {
            assert_eq!(r.dropped, (0, 0), "{case}");
            assert_eq!(r.stats.retransmits, 0, "{case}");
        } else {
            assert!(
                r.dropped.0 > 0 && r.dropped.1 > 0,
                "{case}: a lossy case must drop frames both ways, dropped {:?}",
                r.dropped
            );
            assert!(r.stats.retransmits > 0, "{case}: nothing retransmitted");
        }
        assert!(
            goodput >= floor,
            "{case}: goodput {:.1}% below the floor of {:.0}%",
            goodput * 100.0,
            floor * 100.0
        );
    }
}
