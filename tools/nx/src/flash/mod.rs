//! `nx flash`: write an image to a device over a serial line or a socket with the
//! flasher protocol (docs/provisioning/protocol.md), check it, reboot it; and `serve`,
//! the device side on the host (a simulator for tests and bring-up).

mod ports;
mod reboot;
mod send;
mod serve;
mod verify;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use flash::io::{connect, Link, LinkError, PortSpec};
use image::fs::{default_signature_path, read_manifest, read_signature};
use image::SignatureKind;

/// The port options shared by the commands.
#[derive(Debug, Clone, clap::Args)]
pub struct PortArgs {
    /// Serial device (e.g. /dev/ttyUSB0; `nx flash ports` lists them), unix:PATH or
    /// tcp:HOST:PORT.
    #[arg(short = 'p', long, value_name = "PORT", env = "NX_FLASH_PORT")]
    port: String,
    /// Baud rate of a serial device (8N1).
    #[arg(short = 'b', long, default_value_t = 115_200, env = "NX_FLASH_BAUD")]
    baud: u32,
}

impl PortArgs {
    /// The parsed port.
    pub fn spec(&self) -> anyhow::Result<PortSpec> {
        Ok(PortSpec::parse(&self.port, self.baud)?)
    }

    /// Connects (host side).
    pub fn connect(&self) -> anyhow::Result<(PortSpec, Link)> {
        let spec = self.spec()?;
        let link = connect(&spec).map_err(link_error)?;
        Ok((spec, link))
    }
}

/// `nx flash` commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write an image to the device (resumable with --resume).
    #[command(after_help = "Examples:
  nx flash send --image os.img --manifest os.manifest.json -p /dev/ttyUSB0 -b 921600
  NX_FLASH_PORT=unix:dev.sock nx flash send --image os.img --manifest os.manifest.json --resume")]
    Send(send::Args),
    /// Ask the device to re-check every range of the image it holds.
    #[command(after_help = "Examples:
  nx flash verify --manifest os.manifest.json -p /dev/ttyUSB0")]
    Verify(verify::Args),
    /// Reboot the device, normally or into recovery.
    #[command(after_help = "Examples:
  nx flash reboot recovery -p /dev/ttyUSB0")]
    Reboot(reboot::Args),
    /// List the serial ports the system knows of.
    #[command(after_help = "Examples:
  nx flash ports
  nx flash ports --json")]
    Ports(ports::Args),
    /// Run the device side on the host, writing to a disk image file.
    #[command(after_help = "Examples:
  nx flash serve --port unix:dev.sock --disk target.img --pub keys/ed25519.pub
  nx flash serve --port tcp:127.0.0.1:7000 --disk target.img --insecure-accept-unsigned --once")]
    Serve(serve::Args),
}

/// Runs an `nx flash` command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Send(a) => send::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Reboot(a) => reboot::run(a),
        Command::Ports(a) => ports::run(a),
        Command::Serve(a) => serve::run(a),
    }
}

/// Reads an image manifest and, when it says it is signed, its detached signature
/// (`sig`, or the file beside the manifest): the canonical bytes a MANIFEST frame carries.
pub fn read_signed_manifest(
    manifest: &Path,
    sig: Option<&Path>,
) -> anyhow::Result<(image::Manifest, Vec<u8>, Option<[u8; 64]>)> {
    let (parsed, bytes) = read_manifest(manifest)?;
    let signature = match parsed.signature {
        SignatureKind::Ed25519 => {
            let p = sig.map_or_else(|| default_signature_path(manifest), Path::to_path_buf);
            Some(*read_signature(&p)?.as_bytes())
        }
        SignatureKind::None => None,
    };
    Ok((parsed, bytes, signature))
}

/// Runs a control-only session (verify, reboot, info) and returns its outcome.
pub fn control(
    port: &PortArgs,
    task: flash::sender::Task,
) -> anyhow::Result<flash::sender::Outcome> {
    let (spec, mut link) = port.connect()?;
    let config = flash::sender::SenderConfig::for_link(1024, spec.line_rate());
    let mut sender = flash::sender::Sender::new(task, config)?;
    let mut none: &[u8] = &[];
    let outcome = flash::io::run_sender(&mut link, &mut sender, &mut none, &mut |_| {})
        .map_err(link_error)
        .with_context(|| format!("talking to {spec}"))?;
    Ok(outcome)
}

/// A link error as one message: its text already ends with its cause, which the error
/// chain would otherwise print a second time.
/// Classed as an I/O error when the link failed (a read or write error, the link closed),
/// as a usage error for a port that is not one.
pub fn link_error(e: LinkError) -> anyhow::Error {
    let class = match e {
        // A port that is no serial device (a regular file, a directory) is a bad input,
        // not a failure to reach one.
        LinkError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::InvalidInput => {
            Some(cli_support::Exit::BadInput)
        }
        LinkError::Io { .. } | LinkError::Closed => Some(cli_support::Exit::Io),
        LinkError::BadPort(_) => Some(cli_support::Exit::Usage),
        _ => None,
    };
    let err = anyhow::Error::msg(e.to_string());
    match class {
        Some(class) => cli_support::classified(err, class),
        None => err,
    }
}
