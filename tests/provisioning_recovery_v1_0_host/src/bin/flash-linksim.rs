//! Benchmark driver: the flasher over the deterministic serial-line simulator (virtual
//! clock; 115200 baud 8N1 = 11,520 B/s each way, 10 ms one-way latency, loss applied to
//! whole frames in both directions). Prints goodput as a share of the line rate for 1 KiB
//! and 64 KiB chunks, without loss and with 10% of frames dropped, beside the targets.

use anyhow::{bail, Context as _};
use flash::device::{Device, DeviceConfig, MemStorage, Trust};
use flash::sender::{Outcome, Sender, SenderConfig, Task};
use flash::sim::{run, Direction, LineConfig, Loss};
use provisioning_recovery_v1_0_host::test_image;
use signing::{KeyPolicy, SecretKey, TrustedKeys};

const RATE: u64 = 11_520;

fn main() -> anyhow::Result<()> {
    let kernel_len: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()
        .context("argument: kernel size in bytes")?
        .unwrap_or(2 << 20);
    let key = SecretKey::from_seed([3; 32]);
    let img = test_image(kernel_len, &key)?;
    let line = LineConfig {
        bytes_per_sec: RATE,
        latency_us: 10_000,
    };
    println!(
        "link simulator: {RATE} B/s each way (115200 baud 8N1), 10 ms one-way latency, {} bytes of ranges",
        image::Manifest::parse(&img.manifest)?
            .ranges
            .iter()
            .map(|r| r.size)
            .sum::<u64>()
    );
    println!(
        "{:>6} {:>6} {:>10} {:>9} {:>8} {:>11} {:>8}",
        "chunk", "loss", "goodput", "of line", "target", "retransmit", "virtual"
    );
    let mut failed = false;
    for (chunk, loss_pct, target) in [
        (1024usize, 0u32, Some(90.0)),
        (1024, 10, Some(70.0)),
        (65536, 0, None),
        (65536, 10, None),
    ] {
        let loss = |seed| {
            if loss_pct == 0 {
                Loss::None
            } else {
                Loss::Random {
                    per_mille: loss_pct * 10,
                    seed,
                }
            }
        };
        let trust = TrustedKeys::new([key.public_key()], KeyPolicy::Development)?;
        let mut dev = Device::new(
            MemStorage::new(1 << 32),
            DeviceConfig::new(Trust::Keys(trust)),
        );
        let mut sender = Sender::new(
            Task::Flash {
                manifest: img.manifest.clone(),
                signature: Some(img.signature),
                resume: false,
            },
            SenderConfig::for_link(chunk, Some(RATE)),
        )?;
        let mut to_dev = Direction::new(line, loss(0x1234_5678));
        let mut to_host = Direction::new(line, loss(0x9abc_def1));
        let r = run(
            &mut sender,
            &mut dev,
            &img.image,
            &mut to_dev,
            &mut to_host,
            48 * 3_600_000_000,
        );
        if r.outcome != Some(Ok(Outcome::Flashed)) || dev.storage().disk != img.image {
            bail!(
                "chunk {chunk} loss {loss_pct}%: flash failed: {:?}",
                r.outcome
            );
        }
        let secs = r.elapsed_us as f64 / 1e6;
        let goodput = r.stats.data_acked as f64 / secs;
        let share = goodput / RATE as f64 * 100.0;
        let verdict = match target {
            Some(t) if share >= t => format!(">={t:.0}% ok"),
            Some(t) => {
                failed = true;
                format!(">={t:.0}% MISSED")
            }
            None => "report".to_string(),
        };
        println!(
            "{:>6} {:>5}% {:>7.0} B/s {:>8.1}% {:>8} {:>11} {:>7.0}s",
            chunk, loss_pct, goodput, share, verdict, r.stats.retransmits, secs
        );
    }
    if failed {
        bail!("a goodput target was missed");
    }
    Ok(())
}
