//! `nx reset factory`: wipe a state directory (`--root`) or the store of an image's state
//! partition (`--image`) except `trust/` and `boot/`, by the same plan. Refuses
//! without `--yes`; refuses a directory that is not a state tree (no marker; `nx state
//! init` writes it) unless `--force`, and `/` or a home directory always; prints every removed path (sorted, parents before children) on
//! stdout (file names that are not UTF-8 escaped as `\xNN`); never follows a symlink; on
//! failure reports what was and was not removed.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use reset::fs::{check_root, execute, plan_dir};
use reset::{escaped, Entry, EntryKind, Plan};

/// Arguments of `nx reset factory`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The state directory.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "image",
        conflicts_with = "image"
    )]
    root: Option<PathBuf>,
    /// The OS image whose state store to reset (its state partition, in place).
    #[arg(long, value_name = "IMAGE")]
    image: Option<PathBuf>,
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
    let target = match (&args.root, &args.image) {
        (Some(root), _) => root.display().to_string(),
        (None, Some(image)) => format!("the state store of {}", image.display()),
        (None, None) => bail!("give --root DIR or --image IMAGE"),
    };
    if !args.yes && !args.dry_run {
        bail!(
            "refusing to wipe {target}: a factory reset deletes everything except trust/ and \
             boot/; pass --yes to confirm (or --dry-run to see what would be removed)"
        );
    }
    let Some(root) = &args.root else {
        return reset_image(&args, &target);
    };
    check_root(root, args.force)?;
    let plan = plan_dir(root).with_context(|| format!("planning reset of {target}"))?;
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        return dry_run(&mut out, &plan);
    }
    let report = execute(root, &plan);
    for p in &report.removed {
        writeln!(out, "removed {}", escaped(p)).context("writing output")?;
    }
    if let Some((path, err)) = &report.failure {
        for p in &report.not_removed {
            writeln!(out, "not removed {}", escaped(p)).context("writing output")?;
        }
        bail!(
            "removing {}/{}: {err}; {} paths removed, {} not removed (listed above)",
            root.display(),
            escaped(path),
            report.removed.len(),
            report.not_removed.len()
        );
    }
    eprintln!(
        "factory reset of {target}: {} paths removed; kept: {}",
        report.removed.len(),
        kept(&plan)
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints what a reset would remove, and removes nothing.
fn dry_run(out: &mut impl std::io::Write, plan: &Plan) -> anyhow::Result<ExitCode> {
    for e in &plan.remove {
        writeln!(out, "would remove {}", escaped(&e.path)).context("writing output")?;
    }
    eprintln!(
        "dry run: {} paths would be removed; kept: {}",
        plan.remove.len(),
        kept(plan)
    );
    Ok(ExitCode::SUCCESS)
}

fn kept(plan: &Plan) -> String {
    if plan.keep.is_empty() {
        "nothing".to_string()
    } else {
        plan.keep.join(", ")
    }
}

/// The reset of an image's store: the same plan over the store's entries, removed
/// children first; a failure stops with what was and was not removed.
fn reset_image(args: &Args, target: &str) -> anyhow::Result<ExitCode> {
    let Some(image) = &args.image else {
        bail!("give --root DIR or --image IMAGE");
    };
    let mut store = crate::state::open_store(image, !args.dry_run)?;
    let ctx = || image.display().to_string();
    let entries: Vec<Entry> = store
        .walk("")
        .with_context(ctx)?
        .into_iter()
        .map(|e| Entry {
            path: e.path.into_bytes(),
            kind: match e.kind {
                statefs::Kind::Dir => EntryKind::Dir,
                statefs::Kind::File => EntryKind::File,
            },
        })
        .collect();
    let plan = reset::plan(&entries).with_context(|| format!("planning reset of {target}"))?;
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        return dry_run(&mut out, &plan);
    }
    let mut removed = 0usize;
    for (i, e) in plan.remove.iter().enumerate().rev() {
        let path = String::from_utf8_lossy(&e.path);
        if let Err(err) = store.remove(&path) {
            for rest in plan.remove[..=i].iter() {
                writeln!(out, "not removed {}", escaped(&rest.path)).context("writing output")?;
            }
            bail!(
                "{}: {err}; {removed} paths removed, {} not removed (listed above)",
                image.display(),
                i + 1
            );
        }
        removed += 1;
        writeln!(out, "removed {}", escaped(&e.path)).context("writing output")?;
    }
    eprintln!(
        "factory reset of {target}: {removed} paths removed; kept: {}",
        kept(&plan)
    );
    Ok(ExitCode::SUCCESS)
}
