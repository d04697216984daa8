//! `logd`: the host log daemon. Serves the RFC-0011 v1 frames on a Unix `SOCK_SEQPACKET`
//! socket and prints `logd: ready` on stdout once the socket accepts connections.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use logd::host::{Daemon, DaemonConfig};
use logd::JournalConfig;

/// Host log daemon: a bounded, drop-oldest RAM journal behind a SOCK_SEQPACKET socket.
#[derive(Debug, Parser)]
#[command(name = "logd", version)]
struct Args {
    /// Socket path to listen on (a stale socket file there is replaced).
    #[arg(long, value_name = "PATH")]
    socket: PathBuf,
    /// Most records the journal holds.
    #[arg(long, value_name = "N", default_value_t = JournalConfig::DEFAULT.capacity_records)]
    capacity_records: u32,
    /// Most record bytes the journal holds (at least 862).
    #[arg(long, value_name = "N", default_value_t = JournalConfig::DEFAULT.capacity_bytes)]
    capacity_bytes: u32,
    /// Permission bits of the socket file, in octal (666 lets every user log and query).
    #[arg(long, value_name = "OCTAL", default_value = "600", value_parser = parse_mode)]
    mode: u32,
    /// Most connections served at once (1 or more).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = at_least_one)]
    max_clients: usize,
    /// Most connections of one uid served at once (1 or more), so one user cannot lock
    /// the others out.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = at_least_one)]
    max_clients_per_uid: usize,
    /// Close a connection that sends nothing for this many seconds (1 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("0 would refuse every client; give 1 or more".into()),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

fn parse_mode(text: &str) -> Result<u32, String> {
    match u32::from_str_radix(text, 8) {
        Ok(mode) if mode <= 0o777 => Ok(mode),
        _ => Err(format!("{text:?} is not an octal mode from 0 to 777")),
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let mut config = DaemonConfig::new(args.socket.clone());
    config.journal = JournalConfig {
        capacity_records: args.capacity_records,
        capacity_bytes: args.capacity_bytes,
    };
    config.mode = args.mode;
    config.max_clients = args.max_clients;
    config.max_clients_per_uid = args.max_clients_per_uid;
    config.idle_timeout = Some(std::time::Duration::from_secs(args.idle_timeout));
    let daemon = Daemon::bind(config).context("starting logd")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "logd: ready").context("writing the ready line")?;
    stdout.flush().context("writing the ready line")?;
    drop(stdout);
    eprintln!(
        "logd: serving {} (capacity {} records, {} bytes)",
        args.socket.display(),
        args.capacity_records,
        args.capacity_bytes
    );
    daemon.run().context("serving")?;
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
