//! Benchmark of system-set packing and verification beside `sha256sum` and
//! `openssl dgst -sha256` over the same bundle bytes, in one run: median wall time of
//! several runs, throughput, and peak resident memory (GNU time's maximum RSS) for a
//! small and a large system-set, showing that memory does not grow with the archive.
//! Prints a Markdown report ending in one verdict line per target, computed from the
//! measured figures, and exits with status 1 when a target is missed. Run through
//! `just bench` (scripts/bench/updates.sh).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use updates::nxb::{bundle_head, bundle_tail};
use updates::{BundleManifest, BundleName, Version};
use updates_host::{payload, test_key};

const MIB: u64 = 1024 * 1024;
/// Verification must reach this fraction of `openssl dgst -sha256`'s throughput.
const SPEED_TARGET: f64 = 0.90;
/// Verification's peak RSS must stay under this, whatever the archive size.
const RSS_TARGET_MIB: f64 = 32.0;
/// Largest growth of verification's peak RSS from the small to the large system-set that
/// still counts as flat (1 MiB, in KiB as GNU time reports it).
const FLAT_TOLERANCE_KIB: i64 = 1024;

struct Args {
    nxs_pack: PathBuf,
    work: PathBuf,
    size_mib: u64,
    small_mib: u64,
    bundles: u64,
    runs: usize,
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let (mut nxs_pack, mut work) = (None, None);
    let (mut size_mib, mut small_mib, mut bundles, mut runs) = (256u64, 16u64, 4u64, 5usize);
    while let Some(a) = it.next() {
        let mut val = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--nxs-pack" => nxs_pack = Some(PathBuf::from(val()?)),
            "--work" => work = Some(PathBuf::from(val()?)),
            "--size-mib" => size_mib = val()?.parse().context("--size-mib")?,
            "--small-mib" => small_mib = val()?.parse().context("--small-mib")?,
            "--bundles" => bundles = val()?.parse().context("--bundles")?,
            "--runs" => runs = val()?.parse().context("--runs")?,
            other => bail!(
                "unknown argument {other}; usage: bench-updates --nxs-pack BIN --work DIR \
                 [--size-mib N] [--small-mib N] [--bundles N] [--runs N]"
            ),
        }
    }
    Ok(Args {
        nxs_pack: nxs_pack.context("--nxs-pack is required")?,
        work: work.context("--work is required")?,
        size_mib,
        small_mib,
        bundles: bundles.max(1),
        runs: runs.max(1),
    })
}

/// One measured run: wall time, and peak RSS in KiB from GNU time.
fn once(cmd: &[&str], dir: &Path) -> Result<(Duration, u64)> {
    let rss_file = dir.join(".rss");
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .args(cmd)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {cmd:?} (GNU time is installed by bootstrap)"))?;
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    let text = fs::read_to_string(&rss_file)?;
    let rss = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("no max RSS in {text:?}"))?;
    Ok((elapsed, rss))
}

/// Median wall time and largest peak RSS of `runs` runs after one warm-up run.
fn measure(runs: usize, cmd: &[&str], dir: &Path) -> Result<(Duration, u64)> {
    once(cmd, dir)?;
    let mut times = Vec::with_capacity(runs);
    let mut rss = 0;
    for _ in 0..runs {
        let (t, r) = once(cmd, dir)?;
        times.push(t);
        rss = rss.max(r);
    }
    times.sort_unstable();
    Ok((times[times.len() / 2], rss))
}

/// Writes `count` bundles with `total_mib` MiB of payload in all into `dir`.
fn make_bundles(dir: &Path, total_mib: u64, count: u64) -> Result<Vec<String>> {
    fs::create_dir_all(dir)?;
    let key = test_key()?;
    let per = (total_mib * MIB / count) as usize;
    let mut names = Vec::new();
    for i in 0..count {
        let name = format!("bundle{i:02}");
        let data = payload(i + 1, per);
        let mut manifest = BundleManifest {
            name: BundleName::new(&name).map_err(anyhow::Error::msg)?,
            version: Version::new(1, 0, i),
            abilities: vec![],
            caps: vec!["log.write".into()],
            min_sdk: Version::new(0, 1, 0),
            publisher: key.public_key(),
            signature: None,
            payload_digest: Sha256::digest(&data).into(),
            payload_size: data.len() as u64,
        };
        manifest.sign(&key)?;
        let file_name = format!("{name}.nxb");
        let mut out = BufWriter::new(File::create(dir.join(&file_name))?);
        out.write_all(&bundle_head(&manifest.encode()?, data.len() as u64)?)?;
        out.write_all(&data)?;
        out.write_all(&bundle_tail(data.len() as u64))?;
        out.flush()?;
        names.push(file_name);
    }
    Ok(names)
}

struct SetReport {
    mib: u64,
    archive: u64,
    pack: (Duration, u64),
    verify: (Duration, u64),
    sha256sum: (Duration, u64),
    openssl: (Duration, u64),
}

fn bench_set(args: &Args, mib: u64) -> Result<SetReport> {
    let dir = args.work.join(format!("{mib}mib"));
    let bundles_dir = dir.join("bundles");
    let names = make_bundles(&bundles_dir, mib, args.bundles)?;
    fs::write(
        dir.join("system-set.toml"),
        "version = \"1.0.0\"\nboard = \"qemu-virt\"\n",
    )?;
    let root = std::env::current_dir()?;
    let key = root.join("keys/test/ed25519.hex");
    let public = root.join("keys/test/ed25519.pub");
    let tool = fs::canonicalize(&args.nxs_pack)?;
    let (tool, key, public) = (
        tool.display().to_string(),
        key.display().to_string(),
        public.display().to_string(),
    );
    let limit = (mib * MIB * 2 + 64 * MIB).to_string();
    let pack = measure(
        args.runs.min(3),
        &[
            &tool,
            "--input",
            "bundles",
            "--meta",
            "system-set.toml",
            "--key",
            &key,
            "--output",
            "set.nxs",
            "--max-bundle-size",
            &limit,
        ],
        &dir,
    )?;
    let archive = fs::metadata(dir.join("set.nxs"))?.len();
    let verify = measure(
        args.runs,
        &[
            &tool,
            "verify",
            "--pub",
            &public,
            "--max-size",
            &limit,
            "set.nxs",
        ],
        &dir,
    )?;
    let files: Vec<String> = names.iter().map(|n| format!("bundles/{n}")).collect();
    let mut sha = vec!["sha256sum"];
    sha.extend(files.iter().map(String::as_str));
    let sha256sum = measure(args.runs, &sha, &dir)?;
    let mut ossl = vec!["openssl", "dgst", "-sha256"];
    ossl.extend(files.iter().map(String::as_str));
    let openssl = measure(args.runs, &ossl, &dir)?;
    Ok(SetReport {
        mib,
        archive,
        pack,
        verify,
        sha256sum,
        openssl,
    })
}

fn rate(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / MIB as f64 / d.as_secs_f64()
}

fn run(args: &Args) -> Result<bool> {
    fs::create_dir_all(&args.work)?;
    let work = fs::canonicalize(&args.work)?;
    let args = &Args {
        work,
        nxs_pack: args.nxs_pack.clone(),
        ..*args
    };
    let version = |cmd: &str, arg: &str| -> String {
        Command::new(cmd)
            .arg(arg)
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.lines().next().map(str::to_string))
            .unwrap_or_default()
    };
    let small = bench_set(args, args.small_mib)?;
    let large = bench_set(args, args.size_mib)?;
    println!("# Signed system-sets: verify and pack beside sha256sum and openssl\n");
    println!(
        "Medians of {} runs (pack: {}), page cache warm, one process per run; peak memory \
         is GNU time's maximum RSS. Peers hash the same bundle bytes the system-set holds. \
         Peers: {}; {}.\n",
        args.runs,
        args.runs.min(3),
        version("sha256sum", "--version"),
        version("openssl", "version")
    );
    println!("| archive | command | median | MiB/s | peak RSS |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for r in [&small, &large] {
        let label = format!("{} MiB ({} bytes)", r.mib, r.archive);
        for (name, (t, rss)) in [
            ("nxs-pack verify", r.verify),
            ("openssl dgst -sha256", r.openssl),
            ("sha256sum", r.sha256sum),
            ("nxs-pack (pack)", r.pack),
        ] {
            println!(
                "| {label} | {name} | {:.1} ms | {:.0} | {:.1} MiB |",
                t.as_secs_f64() * 1e3,
                rate(r.archive, t),
                rss as f64 / 1024.0
            );
        }
    }
    let ratio = large.openssl.0.as_secs_f64() / large.verify.0.as_secs_f64();
    let (small_rss, large_rss) = (small.verify.1, large.verify.1);
    let peak_mib = small_rss.max(large_rss) as f64 / 1024.0;
    // Flat: the large run's peak exceeds the small run's by at most FLAT_TOLERANCE_KIB.
    let growth_kib = large_rss as i64 - small_rss as i64;
    let speed_met = ratio >= SPEED_TARGET;
    let under = peak_mib < RSS_TARGET_MIB;
    let flat = growth_kib <= FLAT_TOLERANCE_KIB;
    let memory_met = under && flat;
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!();
    println!(
        "verify speed vs openssl dgst -sha256 ({} MiB): {ratio:.2}x (target >= {SPEED_TARGET:.2}x)",
        large.mib
    );
    println!(
        "verify peak memory: {:.1} MiB at {} MiB, {:.1} MiB at {} MiB, growth {:+.1} MiB \
         (target < {RSS_TARGET_MIB:.0} MiB, flat: growth <= {:.1} MiB)",
        small_rss as f64 / 1024.0,
        small.mib,
        large_rss as f64 / 1024.0,
        large.mib,
        growth_kib as f64 / 1024.0,
        FLAT_TOLERANCE_KIB as f64 / 1024.0
    );
    println!();
    println!(
        "verdict: speed target {}: {ratio:.2}x {} {SPEED_TARGET:.2}x",
        verdict(speed_met),
        if speed_met { ">=" } else { "<" }
    );
    println!(
        "verdict: memory target {}: peak {peak_mib:.1} MiB {} {RSS_TARGET_MIB:.0} MiB, \
         growth {:+.1} MiB {} {:.1} MiB ({})",
        verdict(memory_met),
        if under { "<" } else { ">=" },
        growth_kib as f64 / 1024.0,
        if flat { "<=" } else { ">" },
        FLAT_TOLERANCE_KIB as f64 / 1024.0,
        if flat { "flat" } else { "not flat" }
    );
    Ok(speed_met && memory_met)
}

fn main() -> ExitCode {
    let result = parse_args().and_then(|a| run(&a));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench-updates: a target was missed (see the report)");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
