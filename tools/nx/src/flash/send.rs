//! `nx flash send`: write an image and its signed manifest to a device, with a progress
//! bar (bytes, rate, ETA) and a summary (goodput, retransmits). `--resume` continues
//! from what the device reports written for the same manifest. The port is opened first;
//! then, before anything is sent, the image is checked against its manifest (size, every range's SHA-256, the whole
//! image's), so that a damaged or wrong image never reaches the device.

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context as _};
use cli_support::size::{human_size, parse_size};
use cli_support::style::warning;
use cli_support::{Classify as _, Exit};
use flash::io::{run_sender, FileSource, LinkError};
use flash::sender::{Outcome, Sender, SenderConfig, SenderStats, Task};
use flash::ProtocolError;
use image::fs::verify_image;

use super::PortArgs;
use crate::progress::Progress;

/// Arguments of `nx flash send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image file.
    #[arg(long = "image", visible_alias = "img", value_name = "FILE")]
    image: PathBuf,
    /// Its manifest.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// Its signature (default: beside the manifest, e.g. os.sig for os.manifest.json).
    #[arg(long, value_name = "FILE")]
    sig: Option<PathBuf>,
    #[command(flatten)]
    port: PortArgs,
    /// Data bytes per WRITE frame (at most 64K).
    #[arg(long, default_value = "65536", value_parser = parse_size)]
    chunk: u64,
    /// WRITE frames in flight, 1 to 65535 (default: from the chunk size and the line
    /// rate; never more than the device's HELLO window).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    window: Option<u16>,
    /// Continue from what the device already wrote for this manifest.
    #[arg(long)]
    resume: bool,
}

/// Runs `nx flash send`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.chunk == 0 || args.chunk > flash::MAX_CHUNK as u64 {
        bail!("--chunk {}: expected 1 to 65536 bytes", args.chunk);
    }
    let (manifest, bytes, signature) =
        super::read_signed_manifest(&args.manifest, args.sig.as_deref())?;
    // The port first: a missing or busy port is reported at once, not after hashing the
    // whole image.
    let (spec, mut link) = args.port.connect()?;
    // Opened before it is checked: an image that cannot be read is said to be so, not
    // to differ from its manifest.
    let file =
        File::open(&args.image).with_context(|| format!("opening {}", args.image.display()))?;
    check_image(&args, &manifest)?;
    let mut config = SenderConfig::for_link(args.chunk as usize, spec.line_rate());
    if let Some(w) = args.window {
        config.window = usize::from(w);
    }
    let task = Task::Flash {
        manifest: bytes,
        signature,
        resume: args.resume,
    };
    let mut sender = Sender::new(task, config)?;
    let mut source = FileSource(file);
    let started = Instant::now();
    let mut progress = Progress::new("flash", manifest.image.size);
    let mut announced = false;
    let mut timeline = Timeline::new(&manifest.ranges);
    let result = run_sender(&mut link, &mut sender, &mut source, &mut |s| {
        if !announced {
            if let Some(d) = s.device() {
                if d.insecure {
                    anstream::eprintln!(
                        "{}",
                        warning("the device accepts unsigned manifests (insecure mode)")
                    );
                }
                announced = true;
            }
        }
        let st = s.stats();
        progress.set_total(st.data_total.max(1));
        progress.update(st.data_acked);
        timeline.acked(&st, started.elapsed().as_secs_f64());
    });
    let stats = sender.stats();
    progress.finish();
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    let summary = summary_line(&stats, secs);
    match result {
        Ok(Outcome::Flashed) => {
            println!(
                "flashed {} to {spec}: every range verified by the device",
                args.image.display()
            );
            for line in timeline.lines(&stats) {
                println!("{line}");
            }
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(other) => bail!("unexpected outcome {other:?}"),
        Err(e) => {
            eprintln!("{summary}");
            let hint = if resumable(&e) {
                " (run again with --resume to continue)"
            } else {
                ""
            };
            Err(super::link_error(e))
                .with_context(|| format!("flashing {} to {spec}{hint}", args.image.display()))
        }
    }
}

/// The last line of a session: what was written, how fast (effective: image bytes over
/// the whole session's time, handshakes and the device's checks included, as esptool
/// counts it) and what the link cost.
fn summary_line(stats: &SenderStats, secs: f64) -> String {
    format!(
        "wrote {} in {secs:.2} s (effective {}): goodput {}/s, {} frames, {} on the wire, {} retransmits, {} timeouts{}",
        human_size(stats.data_acked),
        bit_rate(stats.data_acked, secs),
        human_size((stats.data_acked as f64 / secs) as u64),
        stats.frames_sent,
        human_size(stats.wire_bytes),
        stats.retransmits,
        stats.timeouts,
        if stats.resumed {
            format!(
                ", resumed ({} already on the device)",
                human_size(stats.skipped)
            )
        } else {
            String::new()
        }
    )
}

/// `bytes` over `secs` in bits per second, in decimal units as line rates are given
/// (`921.6 kbit/s`, `26.6 Mbit/s`).
fn bit_rate(bytes: u64, secs: f64) -> String {
    let bits = bytes as f64 * 8.0 / secs.max(1e-6);
    if bits >= 1e6 {
        format!("{:.1} Mbit/s", bits / 1e6)
    } else if bits >= 1e3 {
        format!("{:.1} kbit/s", bits / 1e3)
    } else {
        format!("{bits:.0} bit/s")
    }
}

/// When each range of the image was acknowledged: the ranges go out in manifest order,
/// so a range is done when the acknowledged bytes reach its end. (A resumed session
/// skips bytes the device had, so its ranges get no times.)
struct Timeline {
    /// Name, offset, size of each range, in sending order.
    ranges: Vec<(String, u64, u64)>,
    /// Seconds since the start when each range was acknowledged.
    done_at: Vec<Option<f64>>,
}

impl Timeline {
    fn new(ranges: &[image::manifest::Range]) -> Timeline {
        Timeline {
            ranges: ranges
                .iter()
                .map(|r| (r.name.clone(), r.offset, r.size))
                .collect(),
            done_at: vec![None; ranges.len()],
        }
    }

    /// Notes the progress `st` at `now` seconds.
    fn acked(&mut self, st: &SenderStats, now: f64) {
        if st.resumed {
            return;
        }
        let mut end = 0u64;
        for ((_, _, size), done) in self.ranges.iter().zip(&mut self.done_at) {
            end += size;
            if done.is_none() && st.data_acked >= end {
                *done = Some(now);
            }
        }
    }

    /// One line per range: name, offset, size and, when known, its time and rate.
    fn lines(&self, stats: &SenderStats) -> Vec<String> {
        let sent: u64 = self.ranges.iter().map(|(_, _, size)| size).sum();
        let timed = !stats.resumed && sent == stats.data_total;
        let width = self
            .ranges
            .iter()
            .map(|(n, _, _)| n.len())
            .max()
            .unwrap_or(0);
        let mut previous = 0.0;
        let mut lines = Vec::new();
        for ((name, offset, size), done) in self.ranges.iter().zip(&self.done_at) {
            let mut line = format!(
                "  {name:<width$}  at {offset:#010x}  {:>10}",
                human_size(*size)
            );
            if let (true, Some(at)) = (timed, done) {
                let secs = (at - previous).max(0.0);
                line.push_str(&format!("  in {secs:.2} s"));
                // A rate over less than 10 ms says more about the timer than the link.
                if secs >= 0.01 {
                    line.push_str(&format!(" ({})", bit_rate(*size, secs)));
                }
                previous = *at;
            }
            lines.push(line);
        }
        lines
    }
}

/// Checks the image against its manifest (the size, every range's SHA-256, the whole
/// image's) with the code of `nx image verify`, before anything is sent: the device would
/// refuse DONE on a mismatch, after every byte was written over its previous image.
fn check_image(args: &Args, manifest: &image::Manifest) -> anyhow::Result<()> {
    let mut progress = Progress::new("check", 0);
    let result = verify_image(&args.image, manifest, &mut |done, total| {
        progress.set_total(total);
        progress.update(done);
    });
    progress.finish();
    let report = result.classify(Exit::VerificationFailed).with_context(|| {
        format!(
            "{} does not match {}; nothing was sent",
            args.image.display(),
            args.manifest.display()
        )
    })?;
    if report.state_changed {
        return Err(cli_support::classified(
            anyhow::anyhow!(
                "{}: its state partition differs from {} (a store was written into it); the \
                 device checks every range against the manifest, so flash the image as built; \
                 nothing was sent",
                args.image.display(),
                args.manifest.display()
            ),
            Exit::VerificationFailed,
        ));
    }
    Ok(())
}

/// Whether sending again with `--resume` can finish the job: only after the link failed
/// (no answer, a closed link, a read or write error). A refusal by the device, a
/// malformed answer or a local error would just happen again.
fn resumable(e: &LinkError) -> bool {
    matches!(
        e,
        LinkError::Closed
            | LinkError::Io { .. }
            | LinkError::Protocol(ProtocolError::Timeout { .. })
    )
}
