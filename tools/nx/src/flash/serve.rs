//! `nx flash serve`: the device side on the host. Writes images to a disk file, keeps
//! the resume journal beside it, verifies manifests with trusted keys (refusing to start
//! without one unless `--insecure-accept-unsigned`, which it announces on every
//! connection). A reboot request ends the connection and restarts the simulated device
//! from its journal. A unix socket left behind by a server that was killed is removed on
//! start; one a running server accepts on is not.

use std::cell::Cell;
use std::io;
use std::os::unix::fs::FileTypeExt as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use cli_support::size::parse_size;
use flash::device::{Device, DeviceConfig, Event, Trust};
use flash::io::{serve_link, FileStorage, Listener, PortSpec, ServeEnd};
use flash::proto::RebootMode;
use signing::keyfile::read_trusted_keys;
use signing::KeyPolicy;

use super::PortArgs;

/// Arguments of `nx flash serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    port: PortArgs,
    /// Disk image file to write (created if missing).
    #[arg(long, value_name = "FILE")]
    disk: PathBuf,
    /// A trusted public key file (repeatable).
    #[arg(long = "pub", visible_alias = "trust", value_name = "KEY", action = clap::ArgAction::Append)]
    public_keys: Vec<PathBuf>,
    /// Accept manifests without checking signatures (bring-up only; not with --pub).
    #[arg(long, conflicts_with = "public_keys")]
    insecure_accept_unsigned: bool,
    /// Refuse manifests for other boards.
    #[arg(long)]
    board: Option<String>,
    /// Disk capacity.
    #[arg(long, default_value = "32G", value_parser = parse_size)]
    capacity: u64,
    /// Serve one session, then exit: on a socket, one connection that sent a frame; on a
    /// serial port, until the image is complete (or the session aborted, or a reboot
    /// asked for) and the line has been quiet for 2 s.
    #[arg(long)]
    once: bool,
}

fn log_event(e: &Event, journal: &Path) {
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
        Event::JournalIgnored { reason } => eprintln!(
            "serve: warning: resume journal {} ignored: {reason}",
            journal.display()
        ),
    }
}

/// With `--once` on a serial port: how long the line stays quiet after a complete (or
/// aborted) session before the server exits.
const SERIAL_ONCE_QUIET: Duration = Duration::from_secs(2);

/// Runs `nx flash serve`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let trust = if args.public_keys.is_empty() {
        if !args.insecure_accept_unsigned {
            bail!("no trusted key: give --pub KEY (or --insecure-accept-unsigned for bring-up)");
        }
        Trust::InsecureAcceptUnsigned
    } else {
        Trust::Keys(read_trusted_keys(
            &args.public_keys,
            KeyPolicy::Development,
        )?)
    };
    if args.capacity == 0 {
        bail!("--capacity 0: the disk could hold no image; give its size (e.g. 32G)");
    }
    if let Some(b) = &args.board {
        image::validate_board(b).with_context(|| format!("--board {b:?}"))?;
    }
    let spec = args.port.spec()?;
    if let PortSpec::Unix(path) = &spec {
        clear_stale_socket(path)?;
    }
    let listener = Listener::bind(&spec).map_err(super::link_error)?;
    eprintln!("serve: listening on {spec}, disk {}", args.disk.display());
    loop {
        let mut link = listener.accept().map_err(super::link_error)?;
        let mut config = DeviceConfig::new(trust.clone());
        config.board = args.board.clone();
        let storage = FileStorage::open(&args.disk, args.capacity).map_err(super::link_error)?;
        let journal = storage.journal_path().to_path_buf();
        let mut device = Device::new(storage, config);
        if device.is_insecure() {
            eprintln!(
                "serve: WARNING: insecure mode: manifests are accepted without signature checks"
            );
        }
        for e in device.take_events() {
            log_event(&e, &journal);
        }
        eprintln!("serve: connection on {}", link.name());
        // A connection that sends no frame (a probe such as another `serve` checking
        // whether this socket is alive) is not a session: `--once` keeps waiting.
        let mut session = false;
        // A serial line never closes: with `--once`, its session ends once the image is
        // complete (or the session aborted) and the host has been quiet for a while.
        let finished_at: Cell<Option<Instant>> = Cell::new(None);
        let serial = matches!(spec, PortSpec::Serial { .. });
        let end = serve_link(
            &mut link,
            &mut device,
            &mut |e| {
                session = true;
                finished_at.set(match e {
                    Event::Complete | Event::Aborted => Some(Instant::now()),
                    _ => None,
                });
                log_event(e, &journal);
            },
            &|| {
                args.once
                    && serial
                    && finished_at
                        .get()
                        .is_some_and(|t| t.elapsed() >= SERIAL_ONCE_QUIET)
            },
        );
        match end {
            Ok(ServeEnd::Reboot(_)) => eprintln!("serve: device restarting"),
            Ok(ServeEnd::Stopped) => eprintln!(
                "serve: session finished and the line quiet for {} s",
                SERIAL_ONCE_QUIET.as_secs()
            ),
            Ok(_) if !session => eprintln!("serve: connection closed without a frame"),
            Ok(_) => eprintln!("serve: connection closed"),
            Err(e) => eprintln!("serve: connection ended: {e}"),
        }
        if args.once && session {
            return Ok(ExitCode::SUCCESS);
        }
    }
}

/// Makes way for a unix socket at `path`: nothing there is fine; a socket nobody accepts
/// on (left by a server that was killed) is removed; a socket a server accepts on, or a
/// file that is not a socket, is an error naming the path.
fn clear_stale_socket(path: &Path) -> anyhow::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("unix:{}", path.display())),
    };
    if !meta.file_type().is_socket() {
        bail!(
            "unix:{}: exists and is not a socket (not removed)",
            path.display()
        );
    }
    match UnixStream::connect(path) {
        Ok(_) => bail!(
            "unix:{}: in use by a running server (stop it or pick another path)",
            path.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path)
                .with_context(|| format!("removing the stale socket {}", path.display()))?;
            eprintln!(
                "serve: removed the stale socket {} (nobody accepted on it)",
                path.display()
            );
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("checking unix:{}", path.display())),
    }
}
