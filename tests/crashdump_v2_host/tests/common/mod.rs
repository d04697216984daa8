//! Shared pieces of the crash pipeline suite: building the fixture programs, reading
//! their line tables and symbols independently of the code under test, and running the
//! binutils oracle.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use object::{Object, ObjectSection, ObjectSymbol};

/// Which fixture flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    Host,
    Riscv,
}

/// A built fixture program.
pub struct Fixture {
    pub flavour: Flavour,
    pub elf: PathBuf,
    pub src: PathBuf,
    /// The crate name, which prefixes the fixture's function names.
    pub krate: &'static str,
}

impl Fixture {
    pub fn addr2line_tool(&self) -> &'static str {
        match self.flavour {
            Flavour::Host => "addr2line",
            Flavour::Riscv => "riscv64-linux-gnu-addr2line",
        }
    }

    pub fn objcopy_tool(&self) -> &'static str {
        match self.flavour {
            Flavour::Host => "objcopy",
            Flavour::Riscv => "riscv64-linux-gnu-objcopy",
        }
    }

    /// The 1-based line of the `@marker` comment in the fixture's source.
    pub fn marker_line(&self, marker: &str) -> u32 {
        let text = std::fs::read_to_string(&self.src).unwrap();
        let tag = format!("// @{marker}");
        let i = text
            .lines()
            .position(|l| l.contains(&tag))
            .unwrap_or_else(|| panic!("no {tag}"));
        (i + 1) as u32
    }

    pub fn function(&self, name: &str) -> String {
        format!("{}::{name}", self.krate)
    }
}

pub fn work_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crashdump_v2_host");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn build(flavour: Flavour) -> Fixture {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (src, krate, out) = match flavour {
        Flavour::Host => (fixtures.join("chain.rs"), "chain", "chain-host"),
        Flavour::Riscv => (
            fixtures.join("chain_riscv.rs"),
            "chain_riscv",
            "chain-riscv",
        ),
    };
    let elf = work_dir().join(out);
    let mut cmd = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--edition",
            "2021",
            "-C",
            "opt-level=2",
            "-C",
            "debuginfo=2",
        ])
        .args(["-C", "codegen-units=1", "-o"])
        .arg(&elf)
        .arg(&src);
    if flavour == Flavour::Riscv {
        cmd.args([
            "--target",
            "riscv64gc-unknown-none-elf",
            "-C",
            "panic=abort",
        ]);
        cmd.args([
            "-C",
            "link-arg=--build-id=sha1",
            "-C",
            "force-frame-pointers=yes",
        ]);
    } else {
        cmd.args(["-C", "link-arg=-Wl,--build-id=sha1"]);
    }
    let st = cmd.status().expect("rustc runs");
    assert!(st.success(), "building the {flavour:?} fixture failed");
    Fixture {
        flavour,
        elf,
        src,
        krate,
    }
}

pub fn fixture(flavour: Flavour) -> &'static Fixture {
    static HOST: OnceLock<Fixture> = OnceLock::new();
    static RISCV: OnceLock<Fixture> = OnceLock::new();
    match flavour {
        Flavour::Host => HOST.get_or_init(|| build(Flavour::Host)),
        Flavour::Riscv => RISCV.get_or_init(|| build(Flavour::Riscv)),
    }
}

/// Address ranges of the executable sections.
pub fn text_ranges(elf: &Path) -> Vec<(u64, u64)> {
    let data = std::fs::read(elf).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let mut v: Vec<(u64, u64)> = file
        .sections()
        .filter(|s| s.kind() == object::SectionKind::Text && s.size() > 0)
        .map(|s| (s.address(), s.address() + s.size()))
        .collect();
    v.sort();
    v
}

/// The address range of the (mangled-name-containing) function symbol `needle`.
pub fn symbol_range(elf: &Path, needle: &str) -> (u64, u64) {
    let data = std::fs::read(elf).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let s = file
        .symbols()
        .find(|s| s.kind() == object::SymbolKind::Text && s.name().unwrap_or("").contains(needle))
        .unwrap_or_else(|| panic!("no symbol {needle}"));
    (s.address(), s.address() + s.size())
}

/// Every address the DWARF line tables name inside executable sections, read with gimli
/// directly (not through the code under test).
pub fn line_table_addresses(elf: &Path) -> Vec<u64> {
    let data = std::fs::read(elf).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let text = text_ranges(elf);
    let load = |id: gimli::SectionId| -> Result<std::borrow::Cow<'_, [u8]>, gimli::Error> {
        Ok(file
            .section_by_name(id.name())
            .map(|s| s.uncompressed_data().unwrap())
            .unwrap_or(std::borrow::Cow::Borrowed(&[])))
    };
    let sections = gimli::DwarfSections::load(load).unwrap();
    let dwarf = sections.borrow(|s| gimli::EndianSlice::new(s, gimli::RunTimeEndian::Little));
    let mut out = BTreeSet::new();
    let mut units = dwarf.units();
    while let Some(h) = units.next().unwrap() {
        let unit = dwarf.unit(h).unwrap();
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        while let Some((_, row)) = rows.next_row().unwrap() {
            let a = row.address();
            if !row.end_sequence() && text.iter().any(|r| r.0 <= a && a < r.1) {
                out.insert(a);
            }
        }
    }
    out.into_iter().collect()
}

/// `n` pseudo-random addresses spread over the executable sections (fixed seed).
pub fn random_text_addresses(elf: &Path, n: usize, mut seed: u64) -> Vec<u64> {
    let text = text_ranges(elf);
    let total: u64 = text.iter().map(|r| r.1 - r.0).sum();
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
    out
}

fn strip_discriminator(line: &str) -> &str {
    match line.find(" (discriminator ") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// binutils' answer for each address (`addr2line -a -f -i -C`), as text per address
/// with discriminators removed. Addresses are sent in ascending order.
pub fn oracle(tool: &str, elf: &Path, addrs: &[u64]) -> Vec<String> {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(["-a", "-f", "-i", "-C", "-e"])
        .arg(elf)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool} must be installed (scripts/bootstrap.sh): {e}"));
    let input: String = addrs.iter().map(|a| format!("{a:#x}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut answers: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.len() == 18 && line.starts_with("0x") {
            answers.push(String::new());
        } else {
            let cur = answers.last_mut().expect("output starts with an address");
            cur.push_str(strip_discriminator(line));
            cur.push('\n');
        }
    }
    assert_eq!(answers.len(), addrs.len(), "{tool} answered every address");
    answers
}

/// Indexes `elfs` with the library under test.
pub fn index<P: AsRef<Path>>(elfs: &[P], debug_dirs: &[PathBuf]) -> Vec<u8> {
    let elfs: Vec<PathBuf> = elfs.iter().map(|p| p.as_ref().to_path_buf()).collect();
    let opts = symindex::build::Options {
        debug_dirs: debug_dirs.to_vec(),
        ..Default::default()
    };
    symindex::build::build_index(&elfs, &opts).unwrap()
}

/// Our answer for each address, rendered as addr2line renders it.
pub fn ours(index: &[u8], build_id: Option<&[u8]>, addrs: &[u64]) -> Vec<String> {
    let idx = symindex::SymIndex::parse(index).unwrap();
    let m = match build_id {
        Some(id) => idx.module(id).unwrap().unwrap(),
        None => idx.modules()[0],
    };
    addrs
        .iter()
        .map(|&a| {
            let mut s = String::new();
            symindex::render::gnu(&mut s, &m.lookup(a).unwrap()).unwrap();
            s
        })
        .collect()
}

/// Compares and returns (agreeing, total, first few disagreements).
pub fn agreement(addrs: &[u64], a: &[String], b: &[String]) -> (usize, usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut good = 0;
    for ((addr, x), y) in addrs.iter().zip(a).zip(b) {
        if x == y {
            good += 1;
        } else if bad.len() < 5 {
            bad.push(format!("{addr:#x}:\n  binutils: {x:?}\n  nxsym:    {y:?}"));
        }
    }
    (good, addrs.len(), bad)
}

/// The GNU Build-ID note as `readelf -n` reports it (hex), via object for portability.
pub fn gnu_build_id(elf: &Path) -> Option<Vec<u8>> {
    let data = std::fs::read(elf).unwrap();
    let file = object::File::parse(&*data).unwrap();
    file.build_id().unwrap().map(<[u8]>::to_vec)
}

pub fn run(cmd: &mut Command) {
    let st = cmd.status().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(st.success(), "{cmd:?} failed");
}
