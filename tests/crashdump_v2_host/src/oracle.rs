//! The binutils oracle and the address sets it is asked about.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use object::{Object, ObjectSection, ObjectSymbol};

fn read_elf(elf: &Path) -> Result<Vec<u8>> {
    std::fs::read(elf).with_context(|| format!("cannot read {}", elf.display()))
}

fn parse<'d>(elf: &Path, data: &'d [u8]) -> Result<object::File<'d>> {
    object::File::parse(data).with_context(|| format!("{} is not an object file", elf.display()))
}

/// Address ranges of the executable sections, sorted.
pub fn text_ranges(elf: &Path) -> Result<Vec<(u64, u64)>> {
    let data = read_elf(elf)?;
    let file = parse(elf, &data)?;
    let mut v: Vec<(u64, u64)> = file
        .sections()
        .filter(|s| s.kind() == object::SectionKind::Text && s.size() > 0)
        .map(|s| (s.address(), s.address() + s.size()))
        .collect();
    v.sort_unstable();
    Ok(v)
}

/// Total size of the DWARF sections (`.debug_*`, `.zdebug_*`) in bytes.
pub fn debug_bytes(elf: &Path) -> Result<u64> {
    let data = read_elf(elf)?;
    let file = parse(elf, &data)?;
    Ok(file
        .sections()
        .filter(|s| {
            s.name()
                .is_ok_and(|n| n.starts_with(".debug_") || n.starts_with(".zdebug_"))
        })
        .map(|s| s.size())
        .sum())
}

/// The address range of the first function symbol whose name contains `needle`.
pub fn symbol_range(elf: &Path, needle: &str) -> Result<(u64, u64)> {
    let data = read_elf(elf)?;
    let file = parse(elf, &data)?;
    let s = file
        .symbols()
        .find(|s| s.kind() == object::SymbolKind::Text && s.name().unwrap_or("").contains(needle))
        .with_context(|| format!("{} has no function symbol {needle}", elf.display()))?;
    Ok((s.address(), s.address() + s.size()))
}

/// The GNU Build-ID note, if any.
pub fn gnu_build_id(elf: &Path) -> Result<Option<Vec<u8>>> {
    let data = read_elf(elf)?;
    let file = parse(elf, &data)?;
    Ok(file.build_id()?.map(<[u8]>::to_vec))
}

/// Every address the DWARF line tables name inside executable sections, read with gimli
/// directly rather than through the code under test.
pub fn line_table_addresses(elf: &Path) -> Result<Vec<u64>> {
    let data = read_elf(elf)?;
    let file = parse(elf, &data)?;
    let text = text_ranges(elf)?;
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let load = |id: gimli::SectionId| -> Result<std::borrow::Cow<'_, [u8]>> {
        Ok(match file.section_by_name(id.name()) {
            Some(s) => s.uncompressed_data()?,
            None => std::borrow::Cow::Borrowed(&[]),
        })
    };
    let sections = gimli::DwarfSections::load(load)?;
    let dwarf = sections.borrow(|s| gimli::EndianSlice::new(s, endian));
    let mut out = BTreeSet::new();
    let mut units = dwarf.units();
    while let Some(h) = units.next()? {
        let unit = dwarf.unit(h)?;
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        while let Some((_, row)) = rows.next_row()? {
            let a = row.address();
            if !row.end_sequence() && text.iter().any(|r| r.0 <= a && a < r.1) {
                out.insert(a);
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// `n` pseudo-random addresses spread uniformly over the executable sections, from a
/// fixed seed, sorted and without repeats.
pub fn random_text_addresses(elf: &Path, n: usize, mut seed: u64) -> Result<Vec<u64>> {
    let text = text_ranges(elf)?;
    let total: u64 = text.iter().map(|r| r.1 - r.0).sum();
    if total == 0 {
        bail!("{} has no executable section", elf.display());
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut off = (seed >> 11) % total;
        for r in &text {
            let len = r.1 - r.0;
            if off < len {
                out.push(r.0 + off);
                break;
            }
            off -= len;
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn strip_discriminator(line: &str) -> &str {
    match line.find(" (discriminator ") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// `addr2line -a` prints addresses as `0x` and 8 (ELF32) or 16 (ELF64) hex digits.
fn is_address_line(line: &str) -> bool {
    line.strip_prefix("0x").is_some_and(|h| {
        (h.len() == 8 || h.len() == 16) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Splits `-a` output (an address line, then frames) into one text per address.
pub fn split_answers(text: &str) -> Result<Vec<String>> {
    let mut answers: Vec<String> = Vec::new();
    for line in text.lines() {
        if is_address_line(line) {
            answers.push(String::new());
        } else {
            let Some(cur) = answers.last_mut() else {
                bail!("output does not start with an address")
            };
            cur.push_str(strip_discriminator(line));
            cur.push('\n');
        }
    }
    Ok(answers)
}

/// Runs `cmd` with `input` on stdin and returns its stdout.
pub fn pipe(cmd: &mut Command, input: String) -> Result<String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {cmd:?} (scripts/bootstrap.sh installs it)"))?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("stdin writer panicked"))??;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", out.status);
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// binutils' answer for each address (`addr2line -a -f -i -C`), one text per address,
/// discriminators removed (they are not part of the function, file or line). The
/// addresses are sent in the order given; send them ascending for a stable answer
/// (addr2line caches its last symbol-table match).
pub fn addr2line(tool: &str, elf: &Path, addrs: &[u64]) -> Result<Vec<String>> {
    let input: String = addrs.iter().map(|a| format!("{a:#x}\n")).collect();
    let text = pipe(
        Command::new(tool)
            .args(["-a", "-f", "-i", "-C", "-e"])
            .arg(elf),
        input,
    )?;
    let answers = split_answers(&text)?;
    if answers.len() != addrs.len() {
        bail!(
            "{tool} answered {} of {} addresses",
            answers.len(),
            addrs.len()
        );
    }
    Ok(answers)
}

/// How many answers agree, and the first few that do not, described.
pub fn agreement(addrs: &[u64], expected: &[String], got: &[String]) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut good = 0;
    for ((addr, x), y) in addrs.iter().zip(expected).zip(got) {
        if x == y {
            good += 1;
        } else if bad.len() < 5 {
            bad.push(format!("{addr:#x}:\n  binutils: {x:?}\n  nxsym:    {y:?}"));
        }
    }
    (good, bad)
}
