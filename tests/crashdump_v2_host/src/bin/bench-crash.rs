//! Benchmark of the symbolizer beside its peers, in one run on one binary: index build
//! time, index size against the DWARF it replaces, cold single lookup (process start to
//! answer) and batch throughput of `nxsym addr2line`, binutils `addr2line` and
//! `llvm-symbolizer` on the same addresses, and agreement with `addr2line -f -i -C`.
//! Prints a Markdown report. Run through `just bench`.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use crashdump_v2_host::oracle;

struct Args {
    subject: PathBuf,
    nxsym: PathBuf,
    work: PathBuf,
    addresses: usize,
    runs: usize,
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let (mut subject, mut nxsym, mut work) = (None, None, None);
    let (mut addresses, mut runs) = (10_000usize, 5usize);
    while let Some(a) = it.next() {
        let mut val = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--subject" => subject = Some(PathBuf::from(val()?)),
            "--nxsym" => nxsym = Some(PathBuf::from(val()?)),
            "--work" => work = Some(PathBuf::from(val()?)),
            "--addresses" => addresses = val()?.parse().context("--addresses")?,
            "--runs" => runs = val()?.parse().context("--runs")?,
            other => bail!("unknown argument {other}; usage: bench-crash --subject ELF --nxsym BIN --work DIR [--addresses N] [--runs N]"),
        }
    }
    Ok(Args {
        subject: subject.context("--subject is required")?,
        nxsym: nxsym.context("--nxsym is required")?,
        work: work.context("--work is required")?,
        addresses,
        runs: runs.max(1),
    })
}

/// Median wall time of `runs` runs of `make()`, after one untimed warm-up run.
fn time(runs: usize, input: Option<&str>, mut make: impl FnMut() -> Command) -> Result<Duration> {
    let mut once = || -> Result<Duration> {
        let mut cmd = make();
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        match input {
            Some(text) => {
                let mut c = cmd;
                c.stdout(Stdio::piped());
                let out = oracle::pipe(&mut c, text.to_string())?;
                std::hint::black_box(out);
            }
            None => {
                let st = cmd
                    .status()
                    .with_context(|| format!("cannot run {cmd:?}"))?;
                if !st.success() {
                    bail!("{cmd:?} failed: {st}");
                }
            }
        }
        Ok(start.elapsed())
    };
    once()?;
    let mut times: Vec<Duration> = (0..runs).map(|_| once()).collect::<Result<_>>()?;
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn run(args: &Args) -> Result<bool> {
    std::fs::create_dir_all(&args.work)?;
    let index = args.work.join("subject.nxsym");
    let subject = &args.subject;
    let elf_bytes = std::fs::metadata(subject)?.len();
    let debug = oracle::debug_bytes(subject)?;

    let build = time(args.runs.min(3), None, || {
        let mut c = Command::new(&args.nxsym);
        c.arg("index").arg(subject).arg("-o").arg(&index);
        c
    })?;
    let index_bytes = std::fs::metadata(&index)?.len();

    let addrs = oracle::random_text_addresses(subject, args.addresses, 0x5eed)?;
    let gnu_in: String = addrs.iter().map(|a| format!("{a:#x}\n")).collect();

    // Agreement, through the CLI, on every address.
    let expected = oracle::addr2line("addr2line", subject, &addrs)?;
    let ours_text = oracle::pipe(
        Command::new(&args.nxsym)
            .arg("addr2line")
            .arg("-a")
            .arg("--sym")
            .arg(&index),
        gnu_in.clone(),
    )?;
    let ours = oracle::split_answers(&ours_text)?;
    if ours.len() != addrs.len() {
        bail!("nxsym answered {} of {} addresses", ours.len(), addrs.len());
    }
    let (good, bad) = oracle::agreement(&addrs, &expected, &ours);
    let agree = good as f64 / addrs.len() as f64 * 100.0;

    // Cold single lookup: one process per answer, the middle address.
    let one = format!("{:#x}", addrs[addrs.len() / 2]);
    let cold_nx = time(args.runs * 4, None, || {
        let mut c = Command::new(&args.nxsym);
        c.arg("addr2line")
            .arg("--sym")
            .arg(&index)
            .arg("--addr")
            .arg(&one);
        c
    })?;
    let cold_gnu = time(args.runs * 2, None, || {
        let mut c = Command::new("addr2line");
        c.args(["-f", "-i", "-C", "-e"]).arg(subject).arg(&one);
        c
    })?;
    let cold_llvm = time(args.runs * 2, None, || {
        let mut c = Command::new("llvm-symbolizer");
        c.arg(format!("--obj={}", subject.display())).arg(&one);
        c
    })?;

    // Batch: every address through stdin.
    let batch_nx = time(args.runs, Some(&gnu_in), || {
        let mut c = Command::new(&args.nxsym);
        c.arg("addr2line").arg("--sym").arg(&index);
        c
    })?;
    let batch_gnu = time(args.runs.min(3), Some(&gnu_in), || {
        let mut c = Command::new("addr2line");
        c.args(["-f", "-i", "-C", "-e"]).arg(subject);
        c
    })?;
    let batch_llvm = time(args.runs.min(3), Some(&gnu_in), || {
        let mut c = Command::new("llvm-symbolizer");
        c.arg(format!("--obj={}", subject.display()));
        c
    })?;
    let rate = |d: Duration| addrs.len() as f64 / d.as_secs_f64();

    let size_pct = index_bytes as f64 / debug as f64 * 100.0;
    let cold_x = (ms(cold_gnu) / ms(cold_nx)).min(ms(cold_llvm) / ms(cold_nx));
    let batch_x = (rate(batch_nx) / rate(batch_gnu)).min(rate(batch_nx) / rate(batch_llvm));
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    let name = subject
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    println!("## Symbolization benchmark\n");
    println!(
        "Subject: `{name}`, {:.1} MB ELF, {:.1} MB of DWARF; {} random text addresses (seeded); medians of repeated runs.\n",
        elf_bytes as f64 / 1e6,
        debug as f64 / 1e6,
        addrs.len()
    );
    println!("| measure | nxsym | addr2line (binutils) | llvm-symbolizer |");
    println!("|---|---|---|---|");
    println!(
        "| cold single lookup (process start to answer) | {:.2} ms | {:.2} ms | {:.2} ms |",
        ms(cold_nx),
        ms(cold_gnu),
        ms(cold_llvm)
    );
    println!(
        "| batch, {} addresses via stdin | {:.1} ms ({:.0} addr/s) | {:.1} ms ({:.0} addr/s) | {:.1} ms ({:.0} addr/s) |",
        addrs.len(),
        ms(batch_nx),
        rate(batch_nx),
        ms(batch_gnu),
        rate(batch_gnu),
        ms(batch_llvm),
        rate(batch_llvm)
    );
    println!("\n| target | figure | verdict |");
    println!("|---|---|---|");
    println!(
        "| cold lookup >= 10x faster than both peers | {cold_x:.1}x | {} |",
        verdict(cold_x >= 10.0)
    );
    println!(
        "| batch throughput >= 10x both peers | {batch_x:.1}x | {} |",
        verdict(batch_x >= 10.0)
    );
    println!(
        "| index <= 25% of the DWARF bytes | {:.2} MB = {size_pct:.1}% | {} |",
        index_bytes as f64 / 1e6,
        verdict(size_pct <= 25.0)
    );
    println!(
        "| agreement with `addr2line -f -i -C` >= 99% | {good}/{} = {agree:.2}% | {} |",
        addrs.len(),
        verdict(agree >= 99.0)
    );
    println!("| index build time (reported) | {:.0} ms | |", ms(build));
    if !bad.is_empty() {
        println!("\nFirst disagreements:\n```\n{}\n```", bad.join("\n"));
    }
    Ok(cold_x >= 10.0 && batch_x >= 10.0 && size_pct <= 25.0 && agree >= 99.0)
}

fn main() -> ExitCode {
    let result = parse_args().and_then(|a| run(&a));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench-crash: a target was not met");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
