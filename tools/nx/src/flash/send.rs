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
use cli_support::{Classify as _, Exit};
use flash::io::{run_sender, FileSource, LinkError};
use flash::sender::{Outcome, Sender, SenderConfig, Task};
use flash::ProtocolError;
use image::fs::verify_image;

use super::PortArgs;
use crate::progress::Progress;
use cli_support::size::parse_size;

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
    check_image(&args, &manifest)?;
    let file =
        File::open(&args.image).with_context(|| format!("opening {}", args.image.display()))?;
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
    let result = run_sender(&mut link, &mut sender, &mut source, &mut |s| {
        if !announced {
            if let Some(d) = s.device() {
                if d.insecure {
                    eprintln!("warning: the device accepts unsigned manifests (insecure mode)");
                }
                announced = true;
            }
        }
        let st = s.stats();
        progress.set_total(st.data_total.max(1));
        progress.update(st.data_acked);
    });
    let stats = sender.stats();
    progress.finish();
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    let summary = format!(
        "{} bytes in {:.2} s: goodput {:.1} KiB/s, {} frames, {} wire bytes, {} retransmits, {} timeouts{}",
        stats.data_acked,
        secs,
        stats.data_acked as f64 / secs / 1024.0,
        stats.frames_sent,
        stats.wire_bytes,
        stats.retransmits,
        stats.timeouts,
        if stats.resumed {
            format!(", resumed ({} bytes already on the device)", stats.skipped)
        } else {
            String::new()
        }
    );
    match result {
        Ok(Outcome::Flashed) => {
            println!(
                "flashed {} to {spec}: every range verified by the device",
                args.image.display()
            );
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
    result.classify(Exit::VerificationFailed).with_context(|| {
        format!(
            "{} does not match {}; nothing was sent",
            args.image.display(),
            args.manifest.display()
        )
    })?;
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
