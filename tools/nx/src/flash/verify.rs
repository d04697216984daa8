//! `nx flash verify`: the device re-hashes every range of the image it holds and
//! reports each; any range not ok is an error. The signed manifest opens the session
//! (with the attach flag: a device that holds another image refuses it, and nothing on
//! the device changes), since a device answers VERIFY only inside a session whose
//! manifest it accepted.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use cli_support::style::{paint, BAD, GOOD};
use flash::proto::RangeStatus;
use flash::sender::{Outcome, Task};

use super::{control, PortArgs};

/// Arguments of `nx flash verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manifest of the image the device holds.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// Its signature (default: beside the manifest, e.g. os.sig for os.manifest.json).
    #[arg(long, value_name = "FILE")]
    sig: Option<PathBuf>,
    #[command(flatten)]
    port: PortArgs,
}

/// Runs `nx flash verify`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (_, manifest, signature) =
        super::read_signed_manifest(&args.manifest, args.sig.as_deref())?;
    let task = Task::Verify {
        manifest,
        signature,
    };
    let Outcome::Verified(reply) = control(&args.port, task)? else {
        bail!("the device gave no verification report");
    };
    let mut bad = Vec::new();
    for (name, status) in &reply.ranges {
        let (text, style) = match status {
            RangeStatus::Ok => ("ok", GOOD),
            RangeStatus::Mismatch => ("MISMATCH", BAD),
            RangeStatus::Incomplete => ("incomplete", BAD),
        };
        anstream::println!("{name:<15} {}", paint(style, text));
        if *status != RangeStatus::Ok {
            bad.push(format!("{name} ({text})"));
        }
    }
    if !bad.is_empty() {
        return Err(cli_support::classified(
            anyhow::anyhow!(
                "device image does not match its manifest: {}",
                bad.join(", ")
            ),
            cli_support::Exit::VerificationFailed,
        ));
    }
    anstream::println!("{}: every range matches", paint(GOOD, "ok"));
    Ok(ExitCode::SUCCESS)
}
