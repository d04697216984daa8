//! `nx log append`: one APPEND; prints the new record's id.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use logd::{Entry, Fields, Level};
use serde::Serialize;

use super::{parse_level, SocketArgs};
use crate::output::write_json;

/// Arguments of `nx log append`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    socket: SocketArgs,
    /// Level: error, warn, info, debug, trace (or 1 to 5).
    #[arg(long, value_name = "LEVEL", default_value = "info", value_parser = parse_level)]
    level: Level,
    /// Scope (at most 64 bytes).
    #[arg(long, value_name = "SCOPE", default_value = "nx")]
    scope: String,
    /// A field `key=value` (repeatable; keys [a-z0-9_.-]+, no newline in values).
    #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// Print JSON (schema nx.log.append/1) instead of the record id.
    #[arg(long)]
    json: bool,
    /// The message (at most 256 bytes).
    message: String,
}

/// `nx log append --json`.
#[derive(Serialize)]
struct AppendOutput {
    schema: &'static str,
    record_id: u64,
    dropped: u64,
}

/// Runs `nx log append`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut fields = Fields::new();
    for pair in &args.fields {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("field {pair:?} is not KEY=VALUE"))?;
        fields
            .insert(key, value)
            .with_context(|| format!("field {pair:?}"))?;
    }
    let fields = fields.encode().context("fields")?;
    let entry = Entry::new(
        args.level,
        args.scope.as_bytes(),
        args.message.as_bytes(),
        &fields,
    )
    .context("record")?;
    let mut client = args.socket.connect()?;
    let appended = client
        .append(&entry)
        .map_err(super::logd_error)
        .context("appending")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = AppendOutput {
            schema: "nx.log.append/1",
            record_id: appended.record_id,
            dropped: appended.dropped,
        };
        write_json(&mut out, &doc)?;
    } else {
        writeln!(out, "{}", appended.record_id)?;
    }
    Ok(ExitCode::SUCCESS)
}
