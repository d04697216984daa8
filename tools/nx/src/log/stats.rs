//! `nx log stats`: the journal's counters and occupancy.

use std::io::Write as _;
use std::process::ExitCode;

use serde::Serialize;

use super::SocketArgs;
use crate::output::{write_json, write_table};

/// Arguments of `nx log stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    socket: SocketArgs,
    /// Print JSON (schema nx.log.stats/1) instead of a table.
    #[arg(long)]
    json: bool,
}

/// `nx log stats --json`.
#[derive(Serialize)]
struct StatsOutput {
    schema: &'static str,
    total: u64,
    dropped: u64,
    capacity_records: u32,
    capacity_bytes: u32,
    used_records: u32,
    used_bytes: u32,
}

/// Runs `nx log stats`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let stats = args.socket.connect()?.stats().map_err(super::logd_error)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = StatsOutput {
            schema: "nx.log.stats/1",
            total: stats.total,
            dropped: stats.dropped,
            capacity_records: stats.capacity_records,
            capacity_bytes: stats.capacity_bytes,
            used_records: stats.used_records,
            used_bytes: stats.used_bytes,
        };
        write_json(&mut out, &doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows = [
        ("total", stats.total.to_string()),
        ("dropped", stats.dropped.to_string()),
        (
            "records",
            format!("{} / {}", stats.used_records, stats.capacity_records),
        ),
        (
            "bytes",
            format!("{} / {}", stats.used_bytes, stats.capacity_bytes),
        ),
    ];
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    write_table(&mut out, &rows)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
