#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build, run and test the project:
# the pinned Rust toolchain with its RISC-V target (through rustup), `just`, and the
# Debian packages the tests use as oracles and peers. Idempotent; when nothing is
# missing it only checks and returns in about a second.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

export PATH="$HOME/.cargo/bin:$PATH"

# --- Rust toolchain (pinned in rust-toolchain.toml) -----------------------------------
command -v rustup >/dev/null 2>&1 || die "rustup is not installed. Install it from your \
distribution or https://rustup.rs, then run this again."

channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
[ -n "$channel" ] || die "rust-toolchain.toml names no channel"
if ! rustup run "$channel" rustc --version >/dev/null 2>&1; then
  say "installing Rust $channel"
  rustup toolchain install "$channel" --profile minimal --component rustfmt,clippy
fi
# The OS target, and RV32 for the ELF32 symbolization fixture.
installed_targets=$(rustup target list --installed --toolchain "$channel")
for target in riscv64gc-unknown-none-elf riscv32imac-unknown-none-elf; do
  if ! grep -qx "$target" <<<"$installed_targets"; then
    say "adding target $target"
    rustup target add "$target" --toolchain "$channel"
  fi
done
installed_components=$(rustup component list --installed --toolchain "$channel")
for comp in rustfmt clippy; do
  if ! grep -q "^$comp" <<<"$installed_components"; then
    say "adding component $comp"
    rustup component add "$comp" --toolchain "$channel"
  fi
done

# --- just ---------------------------------------------------------------------------
if ! command -v just >/dev/null 2>&1; then
  say "installing just (cargo install, about two minutes)"
  cargo install just --locked --quiet
fi

# --- Debian packages: command -> package ---------------------------------------------
# addr2line and llvm-symbolizer are oracles and benchmark peers for nxsym;
# riscv64-linux-gnu-addr2line checks RISC-V symbolization; hyperfine times benchmarks.
declare -A pkg_for=(
  [addr2line]=binutils
  [riscv64-linux-gnu-addr2line]=binutils-riscv64-linux-gnu
  [llvm-symbolizer]=llvm
  [hyperfine]=hyperfine
  [zstd]=zstd
  [cc]=gcc
  # Signed updates: the capnp compiler for the schema drift check, GNU tar for interop
  # tests, sha256sum/openssl and GNU time as the benchmark's peers and meter.
  [capnp]=capnproto
  [tar]=tar
  [sha256sum]=coreutils
  [openssl]=openssl
  [/usr/bin/time]=time
  # The os-lite marker runs: QEMU's RISC-V system emulator.
  [qemu-system-riscv64]=qemu-system-misc
  # Provisioning: sfdisk and sgdisk check the image's partition table; socat links two
  # pseudo-terminals; sz/rz (ZMODEM) are the flashing benchmark's peer.
  [sfdisk]=fdisk
  [sgdisk]=gdisk
  [sz]=lrzsz
  [socat]=socat
  # The state store: littlefs's C is built by littlefs2-sys (bindgen needs clang's
  # library), for the OS target with the bare-metal RISC-V GCC and picolibc's headers;
  # python3 makes the virtual environment of the independent littlefs reader.
  [clang]=clang
  [riscv64-unknown-elf-gcc]=gcc-riscv64-unknown-elf
  [python3]=python3
)
missing=()
for cmd in "${!pkg_for[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_for[$cmd]}")
done
# QEMU's `-bios default` on riscv64 loads OpenSBI's generic firmware from QEMU's data
# directory (Debian ships that copy in qemu-system-data; opensbi is the upstream build).
[ -e /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin ] || missing+=(qemu-system-data opensbi)
compgen -G '/usr/lib/llvm-*/lib/libclang.so' >/dev/null || missing+=(libclang-dev)
[ -e /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ] || missing+=(picolibc-riscv64-unknown-elf)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get \
on this machine: install them with your package manager."
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    die "missing packages (${missing[*]}) and no root: run 'sudo apt-get install ${missing[*]}'."
  fi
  say "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
# Debian ships llvm-symbolizer under a versioned name with the unversioned one only in
# the llvm package's alternatives; make sure the plain name resolves.
command -v llvm-symbolizer >/dev/null 2>&1 || die "llvm-symbolizer still not on PATH after install"

# --- littlefs-python: the independent reader of the state store ----------------------
# A virtual environment under the target directory (a minimal Debian has no pip); the
# statefs interop test runs its python. Pinned, so every machine reads with the same one.
littlefs_python="littlefs-python==0.19.0"
venv="${CARGO_TARGET_DIR:-$here/target}/tools/venv"
if ! "$venv/bin/python3" -c 'import littlefs' >/dev/null 2>&1; then
  say "installing $littlefs_python into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$littlefs_python"
fi
