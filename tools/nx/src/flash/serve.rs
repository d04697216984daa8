//! `nx flash serve`: the device side on the host. Writes images to a disk file, keeps
//! the resume journal beside it, verifies manifests with trusted keys (refusing to start
//! without one unless `--insecure-accept-unsigned`, which it announces on every
//! connection). A reboot request ends the connection and restarts the simulated device
//! from its journal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use flash::device::{Device, DeviceConfig, Event, Trust};
use flash::io::{serve_link, FileStorage, Listener, ServeEnd};
use flash::proto::RebootMode;
use signing::{KeyPolicy, TrustedKeys};

use super::PortArgs;
use crate::image::read_public_keys;
use crate::units::parse_size;

/// Arguments of `nx flash serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    port: PortArgs,
    /// Disk image file to write (created if missing).
    #[arg(long, value_name = "FILE")]
    disk: PathBuf,
    /// Trusted public key files.
    #[arg(long, value_name = "KEY", num_args = 1..)]
    trust: Vec<PathBuf>,
    /// Accept manifests without checking signatures (bring-up only).
    #[arg(long)]
    insecure_accept_unsigned: bool,
    /// Refuse manifests for other boards.
    #[arg(long)]
    board: Option<String>,
    /// Disk capacity.
    #[arg(long, default_value = "32G", value_parser = parse_size)]
    capacity: u64,
    /// Serve one connection, then exit.
    #[arg(long)]
    once: bool,
}

fn log_event(e: &Event) {
    match e {
        Event::Hello => eprintln!("serve: HELLO"),
        Event::ManifestAccepted {
            board,
            system_version,
            resumed,
            unverified,
        } => eprintln!(
            "serve: manifest accepted: board {board}, version {system_version}{}{}",
            if *resumed { ", resuming" } else { "" },
            if *unverified {
                ", NOT VERIFIED (insecure)"
            } else {
                ""
            }
        ),
        Event::Refused { command, message } => eprintln!("serve: refused {command}: {message}"),
        Event::Complete => eprintln!("serve: image complete, every range verified"),
        Event::Reboot(RebootMode::Normal) => eprintln!("serve: reboot (normal) requested"),
        Event::Reboot(RebootMode::Recovery) => eprintln!("serve: reboot (recovery) requested"),
        Event::Aborted => eprintln!("serve: session aborted"),
        Event::JournalIgnored => eprintln!("serve: warning: resume journal unreadable, ignored"),
    }
}

/// Runs `nx flash serve`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let trust = if args.trust.is_empty() {
        if !args.insecure_accept_unsigned {
            bail!("no trusted key: give --trust KEY (or --insecure-accept-unsigned for bring-up)");
        }
        Trust::InsecureAcceptUnsigned
    } else {
        let keys = read_public_keys(&args.trust)?;
        Trust::Keys(TrustedKeys::new(keys, KeyPolicy::Development).context("trusted keys")?)
    };
    if let Some(b) = &args.board {
        image::validate_board(b).with_context(|| format!("--board {b:?}"))?;
    }
    let spec = args.port.spec()?;
    let listener = Listener::bind(&spec).with_context(|| format!("port {spec}"))?;
    eprintln!("serve: listening on {spec}, disk {}", args.disk.display());
    loop {
        let mut link = listener.accept()?;
        let mut config = DeviceConfig::new(trust.clone());
        config.board = args.board.clone();
        let storage = FileStorage::open(&args.disk, args.capacity)?;
        let mut device = Device::new(storage, config);
        if device.is_insecure() {
            eprintln!(
                "serve: WARNING: insecure mode: manifests are accepted without signature checks"
            );
        }
        for e in device.take_events() {
            log_event(&e);
        }
        eprintln!("serve: connection on {}", link.name());
        let end = serve_link(&mut link, &mut device, &mut log_event, &|| false);
        match end {
            Ok(ServeEnd::Reboot(_)) => eprintln!("serve: device restarting"),
            Ok(_) => eprintln!("serve: connection closed"),
            Err(e) => eprintln!("serve: connection ended: {e}"),
        }
        if args.once {
            return Ok(ExitCode::SUCCESS);
        }
    }
}
