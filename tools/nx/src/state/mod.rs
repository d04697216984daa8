//! `nx state`: the device's `state:` store, on the host. `init` makes a host state tree
//! (a directory laid out as `state:`, with the marker `nx reset factory` requires); `ls`,
//! `cat`, `put`, `rm`, `info` and `format` work on the store inside an image file's state
//! partition (`--image`), with the same `statefs` crate the OS's statefsd runs.
//!
//! Writing to an image's store changes the image in place: it no longer matches its build
//! manifest in the state partition's range, as on a booted device (`nx image verify`
//! says so).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use serde::Serialize;
use statefs::file::PartitionFile;
use statefs::{Kind, Store};

use crate::output::{write_json, write_table};
use cli_support::size::human_size;

/// Arguments of `nx state`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// `nx state` commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Make a directory a state tree (creates it, trust/, boot/ and the marker).
    Init(InitArgs),
    /// List a directory of an image's store (the root without a path).
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Write a file of an image's store to stdout.
    Cat(PathArgs),
    /// Write a file into an image's store, whole or not at all (from FILE, or stdin).
    Put(PutArgs),
    /// Remove a file or empty directory of an image's store (-r: a whole tree).
    Rm(RmArgs),
    /// The store's header generation, geometry and space in use.
    Info(ImageArg),
    /// Format an image's store as the device's first boot does (erases it).
    Format(FormatArgs),
}

/// Arguments of `nx state init`.
#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The state directory.
    #[arg(long, value_name = "DIR")]
    root: PathBuf,
}

/// The image whose store a command works on.
#[derive(Debug, clap::Args)]
pub struct ImageArg {
    /// The OS image file (from `nx image build`).
    #[arg(long, value_name = "IMAGE")]
    pub image: PathBuf,
}

#[derive(Debug, clap::Args)]
struct LsArgs {
    #[command(flatten)]
    image: ImageArg,
    /// The directory (the store's root by default).
    #[arg(default_value = "")]
    path: String,
    /// List everything below the directory.
    #[arg(short = 'r', long)]
    recursive: bool,
    /// Print JSON (`nx.state.ls/1`): every entry with its exact size.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct PathArgs {
    #[command(flatten)]
    image: ImageArg,
    /// The file's path in the store, e.g. `trust/keys/extra.pub`.
    path: String,
}

#[derive(Debug, clap::Args)]
struct PutArgs {
    #[command(flatten)]
    image: ImageArg,
    /// The file's path in the store (parent directories are created).
    path: String,
    /// The file to copy in (`-` or nothing: stdin).
    file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct RmArgs {
    #[command(flatten)]
    image: ImageArg,
    /// The path in the store.
    path: String,
    /// Remove a directory and everything in it.
    #[arg(short = 'r', long)]
    recursive: bool,
}

#[derive(Debug, clap::Args)]
struct FormatArgs {
    #[command(flatten)]
    image: ImageArg,
    /// Confirm: this erases every file of the store.
    #[arg(long)]
    yes: bool,
}

/// Opens the store of `image` (read-only unless `writable`).
pub fn open_store(image: &Path, writable: bool) -> anyhow::Result<Store<PartitionFile>> {
    let dev = PartitionFile::open(image, writable)?;
    Store::mount(dev).with_context(|| format!("{}: state partition", image.display()))
}

/// The `nx.state.ls/1` document.
#[derive(Serialize)]
struct Listing {
    schema: &'static str,
    entries: Vec<ListedEntry>,
}

#[derive(Serialize)]
struct ListedEntry {
    path: String,
    kind: &'static str,
    size: u64,
}

/// Runs an `nx state` command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Init(a) => {
            reset::fs::init_state_tree(&a.root)?;
            eprintln!(
                "state tree {} ready ({} marks it)",
                a.root.display(),
                reset::fs::STATE_MARKER
            );
        }
        Command::Ls(a) => ls(a)?,
        Command::Cat(a) => {
            let mut store = open_store(&a.image.image, false)?;
            let data = store
                .read(&a.path)
                .with_context(|| a.image.image.display().to_string())?;
            let mut out = std::io::stdout().lock();
            out.write_all(&data)?;
            out.flush()?;
        }
        Command::Put(a) => put(a)?,
        Command::Rm(a) => rm(a)?,
        Command::Info(a) => info(&a)?,
        Command::Format(a) => {
            if !a.yes {
                bail!(
                    "refusing to format the store of {}: formatting erases every file in it; \
                     pass --yes to confirm",
                    a.image.image.display()
                );
            }
            let image = &a.image.image;
            let dev = PartitionFile::open(image, true)?;
            let store = Store::format(dev)
                .with_context(|| format!("{}: state partition", image.display()))?;
            eprintln!(
                "formatted the store of {} (generation {})",
                image.display(),
                store.header().generation
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ls(a: LsArgs) -> anyhow::Result<()> {
    let image = &a.image.image;
    let mut store = open_store(image, false)?;
    let entries = if a.recursive {
        store.walk(&a.path)
    } else {
        store.list(&a.path)
    }
    .with_context(|| image.display().to_string())?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = Listing {
            schema: "nx.state.ls/1",
            entries: entries
                .into_iter()
                .map(|e| ListedEntry {
                    kind: match e.kind {
                        Kind::Dir => "dir",
                        Kind::File => "file",
                    },
                    path: e.path,
                    size: e.size,
                })
                .collect(),
        };
        return write_json(&mut out, &doc);
    }
    let rows: Vec<Vec<String>> = entries
        .into_iter()
        .map(|e| match e.kind {
            Kind::Dir => vec![String::from("-"), format!("{}/", e.path)],
            Kind::File => vec![human_size(e.size), e.path],
        })
        .collect();
    write_table(&mut out, &rows)?;
    Ok(())
}

fn put(a: PutArgs) -> anyhow::Result<()> {
    let image = &a.image.image;
    // Read the input first (bounded), so a bad input changes nothing in the image.
    let limit = statefs::MAX_FILE;
    let mut data = Vec::new();
    let source = match &a.file {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p).with_context(|| p.display().to_string())?;
            f.take(limit + 1)
                .read_to_end(&mut data)
                .with_context(|| p.display().to_string())?;
            p.display().to_string()
        }
        _ => {
            std::io::stdin()
                .lock()
                .take(limit + 1)
                .read_to_end(&mut data)
                .context("reading stdin")?;
            String::from("stdin")
        }
    };
    if data.len() as u64 > limit {
        bail!(
            "{source}: more than the store's file limit of {}",
            human_size(limit)
        );
    }
    let mut store = open_store(image, true)?;
    store
        .write(&a.path, &data)
        .with_context(|| image.display().to_string())?;
    eprintln!(
        "wrote {} to {}:state:/{}",
        human_size(data.len() as u64),
        image.display(),
        statefs::check_path(&a.path)?
    );
    Ok(())
}

fn rm(a: RmArgs) -> anyhow::Result<()> {
    let image = &a.image.image;
    let mut store = open_store(image, true)?;
    let ctx = || image.display().to_string();
    let target = store.stat(&a.path).with_context(ctx)?;
    let mut doomed = Vec::new();
    if target.kind == Kind::Dir && a.recursive {
        doomed = store.walk(&target.path).with_context(ctx)?;
    }
    // Children before their directories.
    doomed.reverse();
    doomed.push(target);
    let mut out = std::io::stdout().lock();
    for e in doomed {
        store.remove(&e.path).with_context(ctx)?;
        writeln!(out, "removed {}", e.path)?;
    }
    Ok(())
}

fn info(a: &ImageArg) -> anyhow::Result<()> {
    let mut store = open_store(&a.image, false)?;
    let usage = store
        .usage()
        .with_context(|| a.image.display().to_string())?;
    let block = u64::from(usage.block_size);
    let rows = vec![
        vec![
            String::from("generation"),
            store.header().generation.to_string(),
        ],
        vec![String::from("partition"), human_size(store.header().size)],
        vec![
            String::from("blocks"),
            format!("{} of {}", usage.blocks, human_size(block)),
        ],
        vec![
            String::from("used"),
            format!(
                "{} blocks ({}, {}%)",
                usage.used,
                human_size(u64::from(usage.used) * block),
                u64::from(usage.used) * 100 / u64::from(usage.blocks.max(1))
            ),
        ],
        vec![
            String::from("format"),
            String::from("littlefs 2.1 (docs/provisioning/statefs.md)"),
        ],
    ];
    write_table(&mut std::io::stdout().lock(), &rows)?;
    Ok(())
}
