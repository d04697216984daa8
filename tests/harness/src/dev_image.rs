//! The dev image fixture: the one small OS image every suite that drives `nx image build`
//! builds (the image composer and flasher suites, the `nx image` and `nx flash` CLI
//! suites), from deterministic kernel and initrd segments, with the committed test keys.
//!
//! A suite changes only what its checks need (segment sizes, version, state size,
//! signature); the file names, board, profile and segment bytes are the same everywhere,
//! so one change to `nx image build`'s arguments is made here once.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _};

use crate::KillOnDrop;

/// The kernel segment's file name in the image's directory.
pub const KERNEL_FILE: &str = "kernel.bin";
/// The initrd segment's file name.
pub const INITRD_FILE: &str = "initrd.img";
/// The built image's file name.
pub const IMAGE_FILE: &str = "os.img";
/// The built manifest's file name (the signature, when signed, is `os.sig` beside it).
pub const MANIFEST_FILE: &str = "os.manifest.json";
/// The board every dev image is for.
pub const BOARD: &str = "qemu-virt";

/// How long one `nx image build` of the fixture may take.
const BUILD_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace root (for the committed test keys).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed test key pair: (private key file, public key file).
pub fn test_key_files() -> (PathBuf, PathBuf) {
    let dir = workspace_root().join("keys/test");
    (dir.join("ed25519.hex"), dir.join("ed25519.pub"))
}

/// Deterministic pseudo-random bytes (xorshift), different for each seed.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A dev-profile image of a kernel and an initrd for [`BOARD`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevImage {
    /// Size of the kernel segment in bytes.
    pub kernel_len: usize,
    /// Size of the initrd segment in bytes.
    pub initrd_len: usize,
    /// The system version in the manifest.
    pub system_version: &'static str,
    /// `--state-size`, when the image has a state partition of a given size.
    pub state_size: Option<&'static str>,
    /// Whether the manifest is signed with the committed test key.
    pub signed: bool,
}

impl Default for DevImage {
    /// A 300 000-byte kernel, a 5 000-byte initrd, version 1.0.0, unsigned.
    fn default() -> Self {
        DevImage {
            kernel_len: 300_000,
            initrd_len: 5_000,
            system_version: "1.0.0",
            state_size: None,
            signed: false,
        }
    }
}

impl DevImage {
    /// The kernel segment's bytes.
    pub fn kernel(&self) -> Vec<u8> {
        pattern(self.kernel_len, 1)
    }

    /// The initrd segment's bytes.
    pub fn initrd(&self) -> Vec<u8> {
        pattern(self.initrd_len, 2)
    }

    /// Writes the two segments into `dir` as [`KERNEL_FILE`] and [`INITRD_FILE`].
    pub fn write_segments(&self, dir: &Path) -> anyhow::Result<()> {
        for (name, bytes) in [(KERNEL_FILE, self.kernel()), (INITRD_FILE, self.initrd())] {
            let path = dir.join(name);
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }

    /// `image build` and its inputs (profile, board, version, segments, state size),
    /// without outputs or signing key: for suites that add their own.
    pub fn input_args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "image",
            "build",
            "--profile",
            "dev",
            "--board",
            BOARD,
            "--system-version",
            self.system_version,
            "--kernel",
            KERNEL_FILE,
            "--initrd",
            INITRD_FILE,
        ]
        .map(String::from)
        .to_vec();
        if let Some(size) = self.state_size {
            args.extend(["--state-size".to_string(), size.to_string()]);
        }
        args
    }

    /// The whole `nx` command line of the build: [`Self::input_args`], the outputs
    /// [`IMAGE_FILE`] and [`MANIFEST_FILE`], and `--sign` with the test key when signed.
    pub fn build_args(&self) -> Vec<String> {
        let mut args = self.input_args();
        args.extend(
            ["--out", IMAGE_FILE, "--manifest", MANIFEST_FILE]
                .map(String::from)
                .to_vec(),
        );
        if self.signed {
            let (private, _) = test_key_files();
            args.push("--key".to_string());
            args.push(private.display().to_string());
        }
        args
    }

    /// Writes the segments into `dir` and builds the image there with the `nx` binary at
    /// `nx`; fails with nx's error output when the build does.
    pub fn build(&self, nx: &Path, dir: &Path) -> anyhow::Result<()> {
        self.write_segments(dir)?;
        let child = Command::new(nx)
            .args(self.build_args())
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", nx.display()))?;
        let mut child = KillOnDrop(child);
        let status = child.wait_timeout(BUILD_TIMEOUT)?;
        if !status.success() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.0.stderr.take() {
                // What nx said, as far as it can be read; the status is the failure.
                let _ = pipe.read_to_string(&mut stderr);
            }
            bail!("nx image build failed ({status}): {stderr}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_deterministic_and_differ_from_each_other() {
        let image = DevImage::default();
        assert_eq!(image.kernel(), DevImage::default().kernel());
        assert_eq!(image.kernel().len(), 300_000);
        assert_ne!(image.kernel()[..100], image.initrd()[..100]);
    }

    #[test]
    fn build_args_name_outputs_and_sign_only_when_signed() {
        let unsigned = DevImage::default().build_args();
        assert!(unsigned.ends_with(&[
            "--out".to_string(),
            IMAGE_FILE.to_string(),
            "--manifest".to_string(),
            MANIFEST_FILE.to_string()
        ]));
        let signed = DevImage {
            signed: true,
            state_size: Some("1M"),
            ..DevImage::default()
        }
        .build_args();
        assert!(signed.iter().any(|a| a == "--key"));
        assert!(signed
            .windows(2)
            .any(|w| w[0] == "--state-size" && w[1] == "1M"));
    }
}
