//! Shared pieces of the crash pipeline suite: building the fixture programs, reading
//! their line tables and symbols independently of the code under test, and running the
//! binutils oracle.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crashdump_v2_host::oracle;

pub use crashdump_v2_host::fixture::Flavour;

/// A built fixture program.
pub struct Fixture {
    pub flavour: Flavour,
    pub elf: PathBuf,
    pub src: PathBuf,
    /// The crate name, which prefixes the fixture's function names.
    pub krate: &'static str,
}

impl Fixture {
    pub fn addr2line_tool(&self) -> String {
        format!("{}addr2line", self.flavour.binutils_prefix())
    }

    pub fn objcopy_tool(&self) -> String {
        format!("{}objcopy", self.flavour.binutils_prefix())
    }

    /// The 1-based line of the `@marker` comment in the fixture's source.
    pub fn marker_line(&self, marker: &str) -> u32 {
        self.flavour.marker_line(marker).unwrap()
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
    let name = match flavour {
        Flavour::Host => "chain-host",
        Flavour::Riscv => "chain-riscv",
        Flavour::Riscv32 => "chain-riscv32",
    };
    let elf = work_dir().join(name);
    flavour.build(&elf, false).unwrap();
    Fixture {
        flavour,
        elf,
        src: flavour.source(),
        krate: flavour.krate(),
    }
}

pub fn fixture(flavour: Flavour) -> &'static Fixture {
    static HOST: OnceLock<Fixture> = OnceLock::new();
    static RISCV: OnceLock<Fixture> = OnceLock::new();
    static RISCV32: OnceLock<Fixture> = OnceLock::new();
    match flavour {
        Flavour::Host => HOST.get_or_init(|| build(Flavour::Host)),
        Flavour::Riscv => RISCV.get_or_init(|| build(Flavour::Riscv)),
        Flavour::Riscv32 => RISCV32.get_or_init(|| build(Flavour::Riscv32)),
    }
}

pub fn text_ranges(elf: &Path) -> Vec<(u64, u64)> {
    oracle::text_ranges(elf).unwrap()
}

pub fn symbol_range(elf: &Path, needle: &str) -> (u64, u64) {
    oracle::symbol_range(elf, needle).unwrap()
}

pub fn line_table_addresses(elf: &Path) -> Vec<u64> {
    oracle::line_table_addresses(elf).unwrap()
}

pub fn random_text_addresses(elf: &Path, n: usize, seed: u64) -> Vec<u64> {
    oracle::random_text_addresses(elf, n, seed).unwrap()
}

/// binutils' answer for each address, sent in ascending order.
pub fn oracle(tool: &str, elf: &Path, addrs: &[u64]) -> Vec<String> {
    oracle::addr2line(tool, elf, addrs).unwrap()
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
    let (good, bad) = oracle::agreement(addrs, a, b);
    (good, addrs.len(), bad)
}

pub fn gnu_build_id(elf: &Path) -> Option<Vec<u8>> {
    oracle::gnu_build_id(elf).unwrap()
}

pub fn run(cmd: &mut Command) {
    let st = cmd.status().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(st.success(), "{cmd:?} failed");
}
