//! The fixture programs: a known call chain `outer` -> `middle` (always inlined) ->
//! `leaf` (never inlined), for the host and for `riscv64gc-unknown-none-elf`, built with
//! `rustc` directly (optimized, full DWARF, frame pointers, a GNU Build-ID). `@marker`
//! comments in the sources name the lines tests expect symbolization to report.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Which fixture program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `fixtures/chain.rs`, for the host.
    Host,
    /// `fixtures/chain_riscv.rs`, bare-metal RV64 (ELF64).
    Riscv,
    /// `fixtures/chain_riscv.rs`, bare-metal RV32 (ELF32).
    Riscv32,
}

impl Flavour {
    /// The fixture's source file.
    pub fn source(self) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        match self {
            Flavour::Host => dir.join("chain.rs"),
            Flavour::Riscv | Flavour::Riscv32 => dir.join("chain_riscv.rs"),
        }
    }

    /// The crate name, which prefixes the fixture's function names.
    pub fn krate(self) -> &'static str {
        match self {
            Flavour::Host => "chain",
            Flavour::Riscv | Flavour::Riscv32 => "chain_riscv",
        }
    }

    /// The binutils prefix of the fixture's architecture (`""` for the host's).
    pub fn binutils_prefix(self) -> &'static str {
        match self {
            Flavour::Host => "",
            // The RISC-V binutils read both ELF classes.
            Flavour::Riscv | Flavour::Riscv32 => "riscv64-linux-gnu-",
        }
    }

    /// The Rust target triple the fixture is built for.
    pub fn target(self) -> &'static str {
        match self {
            Flavour::Host => "(host)",
            Flavour::Riscv => "riscv64gc-unknown-none-elf",
            Flavour::Riscv32 => "riscv32imac-unknown-none-elf",
        }
    }

    /// The 1-based line of the `// @marker` comment in the fixture's source.
    pub fn marker_line(self, marker: &str) -> Result<u32> {
        let src = self.source();
        let text = std::fs::read_to_string(&src)
            .with_context(|| format!("cannot read {}", src.display()))?;
        let tag = format!("// @{marker}");
        match text.lines().position(|l| l.contains(&tag)) {
            Some(i) => Ok(i as u32 + 1),
            None => bail!("{} has no {tag}", src.display()),
        }
    }

    /// Builds the fixture into `out`. With `remap`, the source directory reads `/src` in
    /// the DWARF, so output that names files is the same on every machine.
    pub fn build(self, out: &Path, remap: bool) -> Result<()> {
        let src = self.source();
        let dir = src
            .parent()
            .context("fixture has a directory")?
            .canonicalize()?;
        let mut cmd = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
        // Run inside the repository, so rustup picks the pinned toolchain. With `remap`,
        // run in the (remapped) source directory: the DWARF's compilation directory is the
        // working directory, and it too must not depend on where the checkout is.
        let cwd = if remap {
            dir.clone()
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        };
        cmd.current_dir(&cwd)
            .args([
                "--edition",
                "2021",
                "-C",
                "opt-level=2",
                "-C",
                "debuginfo=2",
            ])
            .args(["-C", "codegen-units=1", "-C", "force-frame-pointers=yes"]);
        match self {
            Flavour::Host => cmd.args(["-C", "link-arg=-Wl,--build-id=sha1"]),
            Flavour::Riscv | Flavour::Riscv32 => cmd
                .args(["--target", self.target(), "-C", "panic=abort"])
                .args(["-C", "link-arg=--build-id=sha1"]),
        };
        if remap {
            cmd.arg(format!("--remap-path-prefix={}=/src", dir.display()));
        }
        let st = cmd
            .arg("-o")
            .arg(out)
            .arg(&src)
            .status()
            .context("cannot run rustc")?;
        if !st.success() {
            bail!("building the {self:?} fixture failed: {st}");
        }
        Ok(())
    }
}
