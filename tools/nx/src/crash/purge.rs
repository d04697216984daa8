//! `nx crash purge`: delete dumps chosen by the nxcd GC plan (`--older-than`, `--keep`,
//! `--max-bytes`, `--all`), and, with `--corrupt` or `--all`, unreadable dump files.
//!
//! Rules: nothing is deleted unless a policy is given; policies other than `--all` only
//! consider readable dumps (a corrupt file has no trustworthy creation time, and its size
//! does not count towards `--max-bytes`); only dump files (`*.nxcd`, `*.nxcd.zst`) are
//! ever deleted; `--dry-run` prints the same report without deleting.

use std::io::Write as _;
use std::process::ExitCode;

use cli_support::size::{human_size, parse_size};
use nxcd::{plan_gc, GcEntry, GcPolicy};

use super::output::{PurgeOutput, PurgedOut};
use super::DirArg;
use crate::output::write_json;
use crate::timefmt::{now_ns, parse_now};
use crate::units::parse_duration_ns;

/// Arguments of `nx crash purge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    dir: DirArg,
    /// Delete dumps older than this (e.g. 7d, 12h, 30m, 1d12h), measured from the clock
    /// (SOURCE_DATE_EPOCH plays no part) or from --now.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ns)]
    older_than: Option<u64>,
    /// Measure ages from this time instead of the clock: seconds since 1970-01-01 UTC
    /// (for replays and tests).
    #[arg(long, value_name = "SECONDS", value_parser = parse_now)]
    now: Option<u64>,
    /// Keep only the N newest dumps.
    #[arg(long, value_name = "N")]
    keep: Option<usize>,
    /// Delete the oldest dumps until the rest total at most SIZE (e.g. 10M, 512K).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_bytes: Option<u64>,
    /// Delete every dump file, corrupt ones included.
    #[arg(long)]
    all: bool,
    /// Also delete dump files that cannot be read.
    #[arg(long)]
    corrupt: bool,
    /// Report what would be deleted without deleting anything.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON (schema nx.crash.purge/1) instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `nx crash purge`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let policy = GcPolicy {
        older_than_ns: args.older_than,
        keep: args.keep,
        max_bytes: args.max_bytes,
        all: args.all,
    };
    if !policy.is_active() && !args.corrupt {
        return Err(cli_support::usage(
            "nothing to purge: give --older-than, --keep, --max-bytes, --all or --corrupt",
        ));
    }
    let now = match (args.now, args.older_than) {
        (Some(now), _) => now,
        (None, Some(_)) => now_ns()?,
        (None, None) => 0,
    };
    let source = args.dir.source();
    let files = source.scan()?;
    let readable: Vec<_> = files
        .iter()
        .filter_map(|f| f.content.as_ref().ok().map(|d| (f, d)))
        .collect();
    let entries: Vec<GcEntry<'_>> = readable
        .iter()
        .map(|(f, h)| GcEntry {
            id: h.dump_id.as_str(),
            created_ns: h.created_ns,
            size: f.size,
            seq: h.seq,
        })
        .collect();
    let plan = plan_gc(&entries, &policy, now);

    let mut doomed = Vec::new();
    for &i in &plan.delete {
        if let Some((file, header)) = readable.get(i) {
            doomed.push((*file, Some(header.dump_id.to_string()), "policy"));
        }
    }
    if args.all || args.corrupt {
        // Only corrupt regular files: a directory, FIFO or device named like a dump is
        // listed, never deleted.
        for file in files.iter().filter(|f| f.content.is_err() && f.regular) {
            doomed.push((file, None, "corrupt"));
        }
    }

    let mut removed = Vec::new();
    for (file, id, reason) in doomed {
        if !args.dry_run {
            source.remove(file)?;
        }
        removed.push(PurgedOut {
            id,
            file: file.name.clone(),
            size: file.size,
            reason,
        });
    }

    let mut out = std::io::stdout().lock();
    let kept = plan.keep.len();
    if args.json {
        write_json(
            &mut out,
            &PurgeOutput::new(args.dry_run, removed, kept, plan.kept_bytes),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let mut freed: u64 = 0;
    for r in &removed {
        let what = match &r.id {
            Some(id) => id.as_str(),
            None => "(corrupt)",
        };
        writeln!(out, "{verb} {what} {} ({})", r.file, human_size(r.size))?;
        freed = freed.saturating_add(r.size);
    }
    out.flush()?;
    eprintln!(
        "{verb} {} file(s), {}; kept {kept} dump(s), {}",
        removed.len(),
        human_size(freed),
        human_size(plan.kept_bytes)
    );
    Ok(ExitCode::SUCCESS)
}
