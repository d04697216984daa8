//! `nx image inspect`: the partition table of an image and, with `--manifest`, the
//! manifest's fields; text for people or JSON (schema `nx.image.inspect/1`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use image::fs::{check_gpt_extent, open_image, read_gpt, read_manifest};
use image::gpt::guid_to_string;
use image::SECTOR;
use serde::Serialize;

use super::ImageArg;
use crate::output::write_json;

/// Arguments of `nx image inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    image: ImageArg,
    /// Its manifest, to show as well.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Print JSON (schema nx.image.inspect/1) instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct PartitionOut {
    name: String,
    first_lba: u64,
    last_lba: u64,
    offset: u64,
    size: u64,
    guid: String,
    type_guid: String,
}

#[derive(Serialize)]
struct InspectOut {
    schema: &'static str,
    image: String,
    size: u64,
    disk_guid: String,
    partitions: Vec<PartitionOut>,
    manifest: Option<image::Manifest>,
}

/// Runs `nx image inspect`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (file, size) = open_image(args.image.path())?;
    let gpt = read_gpt(&file, args.image.path())?;
    // A table that describes more than the file holds (a truncated copy) is refused, as
    // `nx image verify` refuses it.
    check_gpt_extent(&file, args.image.path(), &gpt)?;
    let manifest = match &args.manifest {
        Some(p) => Some(read_manifest(p)?.0),
        None => None,
    };
    let partitions: Vec<PartitionOut> = gpt
        .partitions
        .iter()
        .map(|p| PartitionOut {
            name: p.name.clone(),
            first_lba: p.first_lba,
            last_lba: p.last_lba,
            offset: p.first_lba * SECTOR,
            size: (p.last_lba + 1).saturating_sub(p.first_lba) * SECTOR,
            guid: guid_to_string(&p.guid),
            type_guid: guid_to_string(&p.type_guid),
        })
        .collect();
    let out = InspectOut {
        schema: "nx.image.inspect/1",
        image: args.image.path().display().to_string(),
        size,
        disk_guid: guid_to_string(&gpt.disk_guid),
        partitions,
        manifest,
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &out)?;
        return Ok(ExitCode::SUCCESS);
    }
    use std::io::Write as _;
    writeln!(
        stdout,
        "image {}: {} bytes, disk GUID {}",
        out.image, out.size, out.disk_guid
    )
    .context("writing output")?;
    writeln!(
        stdout,
        "{:<10} {:>10} {:>10} {:>12}  GUID",
        "NAME", "FIRST LBA", "LAST LBA", "SIZE"
    )
    .context("writing output")?;
    for p in &out.partitions {
        writeln!(
            stdout,
            "{:<10} {:>10} {:>10} {:>12}  {}",
            p.name, p.first_lba, p.last_lba, p.size, p.guid
        )
        .context("writing output")?;
    }
    if let Some(m) = &out.manifest {
        writeln!(
            stdout,
            "manifest: board {}, system version {}, profile {}, signature {}",
            m.board,
            m.system_version,
            m.profile.as_str(),
            match m.signature {
                image::SignatureKind::Ed25519 => "ed25519",
                image::SignatureKind::None => "none (unsigned)",
            }
        )
        .context("writing output")?;
        writeln!(stdout, "image sha256 {}", m.image.sha256).context("writing output")?;
        for r in &m.ranges {
            writeln!(
                stdout,
                "  {:<15} offset {:>10}  size {:>10}  sha256 {}",
                r.name, r.offset, r.size, r.sha256
            )
            .context("writing output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
