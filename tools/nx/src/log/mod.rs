//! `nx log`: append to, query, summarize and follow a logd journal over its socket (the
//! RFC-0011 v1 frames; see docs/observability/logd.md).
//!
//! The socket is `--socket PATH`, or `$LOGD_SOCKET` when the option is absent. Filters
//! (scope, level, service id, uid, pid) are applied by `nx`, after the records are read:
//! the v1 QUERY selects by time only, so filtered-out records still count as delivered
//! and never show as gaps.

mod append;
mod output;
mod pager;
mod query;
mod stats;
mod tail;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Subcommand;
use logd::host::{Client, HostError};
use logd::{Level, Record, ServiceId};

/// `nx log` commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Append one record (its origin is this process, as logd sees it).
    #[command(after_help = "Examples:
  nx log append --socket /run/logd.sock 'link up'
  nx log append --level warn --scope netd -f if=eth0 'link 3 down'")]
    Append(append::Args),
    /// Print the journal's records (oldest first), paging through all of them.
    #[command(after_help = "Examples:
  nx log query --socket /run/logd.sock
  nx log query --level warn --scope netd --json")]
    Query(query::Args),
    /// Print the journal's counters and occupancy.
    #[command(after_help = "Examples:
  nx log stats --socket /run/logd.sock
  nx log stats --json")]
    Stats(stats::Args),
    /// Print the newest records, then follow new ones; dropped records show as gaps.
    #[command(after_help = "Examples:
  nx log tail --socket /run/logd.sock
  nx log tail -n 50 --level error")]
    Tail(tail::Args),
}

/// Runs an `nx log` command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Append(a) => append::run(a),
        Command::Query(a) => query::run(a),
        Command::Stats(a) => stats::run(a),
        Command::Tail(a) => tail::run(a),
    }
}

/// The socket options shared by every `nx log` command.
#[derive(Debug, Clone, clap::Args)]
pub struct SocketArgs {
    /// logd socket (default: $LOGD_SOCKET).
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Seconds to wait for logd to answer one request (at least 1).
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = parse_timeout)]
    timeout: u64,
}

impl SocketArgs {
    /// Connects to the daemon.
    pub fn connect(&self) -> anyhow::Result<Client> {
        let path = match &self.socket {
            Some(path) => path.clone(),
            None => std::env::var_os("LOGD_SOCKET")
                .map(PathBuf::from)
                .context("no logd socket: pass --socket PATH or set LOGD_SOCKET")?,
        };
        let mut client = Client::connect(&path).map_err(logd_error)?;
        client
            .set_timeout(Some(Duration::from_secs(self.timeout)))
            .map_err(logd_error)?;
        Ok(client)
    }
}

/// A logd client error as one message naming the socket: its text already ends with its
/// cause, which the error chain would otherwise print a second time.
/// Classed as an I/O error when it is one (the socket cannot be reached, read or written,
/// logd closed it, is serving all the connections it allows, or gave no answer).
pub fn logd_error(e: HostError) -> anyhow::Error {
    let io = matches!(
        e,
        HostError::Io { .. } | HostError::Closed | HostError::TimedOut(_) | HostError::Full(_)
    );
    let err = anyhow::Error::msg(format!("logd socket: {e}"));
    if io {
        cli_support::classified(err, cli_support::Exit::Io)
    } else {
        err
    }
}

/// The longest `--timeout`: a day (a socket timeout must fit the kernel's timeval).
const MAX_TIMEOUT_SECS: u64 = 86_400;

/// Parses `--timeout`: whole seconds, 1 to a day (0 would mean "wait forever" to the
/// socket, which is what the option is there to prevent).
pub fn parse_timeout(text: &str) -> Result<u64, String> {
    let secs: u64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if secs == 0 || secs > MAX_TIMEOUT_SECS {
        return Err(format!("expected 1 to {MAX_TIMEOUT_SECS} seconds (a day)"));
    }
    Ok(secs)
}

/// Parses a count that must be at least 1 (`--limit`).
pub fn parse_count(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("expected at least 1 (leave the option out to show every record)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a number")),
    }
}

/// Record filters shared by `query` and `tail`; a record is shown when it passes all.
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Show only this scope (repeatable: any of them).
    #[arg(
        short = 'u',
        long = "scope",
        visible_alias = "unit",
        value_name = "SCOPE"
    )]
    scopes: Vec<String>,
    /// Show only records at this level or more severe (error, warn, info, debug, trace,
    /// or 1 to 5).
    #[arg(short = 'p', long, visible_alias = "priority", value_name = "LEVEL", value_parser = parse_level)]
    level: Option<Level>,
    /// Show only this service id (decimal or 0x hex; repeatable).
    #[arg(long = "service", value_name = "ID", value_parser = parse_u64)]
    services: Vec<u64>,
    /// Show only records from this uid (the service id's high 32 bits on the host).
    #[arg(long, value_name = "UID")]
    uid: Option<u32>,
    /// Show only records from this pid (the service id's low 32 bits on the host).
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,
}

impl FilterArgs {
    /// Whether `record` passes every filter.
    pub fn matches(&self, record: &Record) -> bool {
        let id = record.service_id;
        (self.scopes.is_empty() || self.scopes.iter().any(|s| s.as_bytes() == record.scope))
            && self.level.is_none_or(|max| record.level <= max)
            && (self.services.is_empty() || self.services.contains(&id.0))
            && self.uid.is_none_or(|uid| id.uid() == uid)
            && self.pid.is_none_or(|pid| id.pid() == pid)
    }
}

/// Parses a level name, letter or digit.
pub fn parse_level(text: &str) -> Result<Level, String> {
    Level::parse(text).ok_or_else(|| {
        format!("{text:?} is not a level (error, warn, info, debug, trace, or 1 to 5)")
    })
}

/// Parses a decimal or `0x` hexadecimal u64.
pub fn parse_u64(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("{text:?} is not a number (decimal or 0x hex)"))
}

/// A service id shown as `uid:pid` (its two halves).
pub fn service_text(id: ServiceId) -> String {
    format!("{}:{}", id.uid(), id.pid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(scope: &str, level: Level, service: u64) -> Record {
        Record {
            record_id: 1,
            timestamp_nsec: 0,
            service_id: ServiceId(service),
            level,
            scope: scope.as_bytes().to_vec(),
            message: Vec::new(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn filters_combine() {
        let f = FilterArgs {
            scopes: vec!["netd".into(), "dhcp".into()],
            level: Some(Level::Warn),
            services: Vec::new(),
            uid: Some(1000),
            pid: None,
        };
        let me = ServiceId::from_uid_pid(1000, 7).0;
        assert!(f.matches(&record("netd", Level::Error, me)));
        assert!(f.matches(&record("dhcp", Level::Warn, me)));
        assert!(!f.matches(&record("netd", Level::Info, me)), "level");
        assert!(!f.matches(&record("other", Level::Error, me)), "scope");
        assert!(
            !f.matches(&record(
                "netd",
                Level::Error,
                ServiceId::from_uid_pid(0, 7).0
            )),
            "uid"
        );
    }

    #[test]
    fn numbers_parse_in_decimal_and_hex() {
        assert_eq!(parse_u64("42"), Ok(42));
        assert_eq!(parse_u64("0x3e800000001"), Ok(0x3e8_0000_0001));
        assert!(parse_u64("x").is_err());
        assert_eq!(parse_level("W"), Ok(Level::Warn));
        assert_eq!(parse_level("4"), Ok(Level::Debug));
        assert!(parse_level("loud").is_err());
    }

    #[test]
    fn timeouts_and_counts_refuse_zero() {
        assert_eq!(parse_timeout("1"), Ok(1));
        assert_eq!(parse_timeout("86400"), Ok(86_400));
        for bad in ["0", "86401", "x", "-1"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_count("1"), Ok(1));
        assert!(parse_count("0").is_err());
        assert!(parse_count("x").is_err());
    }

    #[test]
    fn logd_errors_print_their_cause_once() {
        let e = HostError::Io {
            what: "connect to",
            path: PathBuf::from("nonexist"),
            cause: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(
            format!("{:#}", logd_error(e)),
            "logd socket: connect to nonexist: entity not found"
        );
    }
}
