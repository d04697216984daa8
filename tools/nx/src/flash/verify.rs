//! `nx flash verify`: the device re-hashes every range of the image it holds and
//! reports each; any range not ok is an error.

use std::process::ExitCode;

use anyhow::bail;
use flash::proto::RangeStatus;
use flash::sender::{Outcome, Task};

use super::{control, PortArgs};

/// Arguments of `nx flash verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    port: PortArgs,
}

/// Runs `nx flash verify`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Outcome::Verified(reply) = control(&args.port, Task::Verify)? else {
        bail!("the device gave no verification report");
    };
    let mut bad = Vec::new();
    for (name, status) in &reply.ranges {
        let text = match status {
            RangeStatus::Ok => "ok",
            RangeStatus::Mismatch => "MISMATCH",
            RangeStatus::Incomplete => "incomplete",
        };
        println!("{name:<15} {text}");
        if *status != RangeStatus::Ok {
            bad.push(format!("{name} ({text})"));
        }
    }
    if !bad.is_empty() {
        bail!(
            "device image does not match its manifest: {}",
            bad.join(", ")
        );
    }
    println!("ok: every range matches");
    Ok(ExitCode::SUCCESS)
}
