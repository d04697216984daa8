//! `nx flash reboot normal|recovery`: ask the device to reboot.

use std::process::ExitCode;

use flash::proto::RebootMode;
use flash::sender::Task;

use super::{control, PortArgs};

/// Reboot target.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Mode {
    /// The installed system.
    Normal,
    /// Recovery.
    Recovery,
}

/// Arguments of `nx flash reboot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to boot.
    #[arg(value_enum)]
    mode: Mode,
    #[command(flatten)]
    port: PortArgs,
}

/// Runs `nx flash reboot`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mode = match args.mode {
        Mode::Normal => RebootMode::Normal,
        Mode::Recovery => RebootMode::Recovery,
    };
    control(&args.port, Task::Reboot(mode))?;
    println!(
        "device rebooting ({})",
        match mode {
            RebootMode::Normal => "normal",
            RebootMode::Recovery => "recovery",
        }
    );
    Ok(ExitCode::SUCCESS)
}
