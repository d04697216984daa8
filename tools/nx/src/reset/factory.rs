//! `nx reset factory`: wipe a state directory except `trust/` and `boot/`. Refuses
//! without `--yes`; refuses a directory that is not a state tree (no marker; `nx state
//! init` writes it) unless `--force`, and `/` or a home directory always; prints every removed path (sorted, parents before children) on
//! stdout (file names that are not UTF-8 escaped as `\xNN`); never follows a symlink; on
//! failure reports what was and was not removed.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use reset::escaped;
use reset::fs::{check_root, execute, plan_dir};

/// Arguments of `nx reset factory`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The state directory.
    #[arg(long, value_name = "DIR")]
    root: PathBuf,
    /// Confirm: this deletes every file outside trust/ and boot/.
    #[arg(long)]
    yes: bool,
    /// Print what would be removed without removing anything.
    #[arg(long)]
    dry_run: bool,
    /// Reset a directory that carries no state-tree marker (never `/` or a home).
    #[arg(long)]
    force: bool,
}

/// Runs `nx reset factory`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.yes && !args.dry_run {
        bail!(
            "refusing to wipe {}: a factory reset deletes everything except trust/ and boot/; \
             pass --yes to confirm (or --dry-run to see what would be removed)",
            args.root.display()
        );
    }
    check_root(&args.root, args.force)?;
    let plan = plan_dir(&args.root)
        .with_context(|| format!("planning reset of {}", args.root.display()))?;
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        for e in &plan.remove {
            writeln!(out, "would remove {}", escaped(&e.path)).context("writing output")?;
        }
        eprintln!(
            "dry run: {} paths would be removed; kept: {}",
            plan.remove.len(),
            if plan.keep.is_empty() {
                "nothing".to_string()
            } else {
                plan.keep.join(", ")
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let report = execute(&args.root, &plan);
    for p in &report.removed {
        writeln!(out, "removed {}", escaped(p)).context("writing output")?;
    }
    if let Some((path, err)) = &report.failure {
        for p in &report.not_removed {
            writeln!(out, "not removed {}", escaped(p)).context("writing output")?;
        }
        bail!(
            "removing {}/{}: {err}; {} paths removed, {} not removed (listed above)",
            args.root.display(),
            escaped(path),
            report.removed.len(),
            report.not_removed.len()
        );
    }
    eprintln!(
        "factory reset of {}: {} paths removed; kept: {}",
        args.root.display(),
        report.removed.len(),
        if plan.keep.is_empty() {
            "nothing".to_string()
        } else {
            plan.keep.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}
