//! Shared pieces of the crash pipeline suite: building the fixture programs, reading
//! their line tables and symbols independently of the code under test, and running the
//! binutils oracle.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crashdump_v2_host::oracle;

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
