#!/usr/bin/env bash
# Symbolization benchmark: nxsym beside binutils addr2line and llvm-symbolizer, in one
# run, on the project's own `nx` binary built optimized with full DWARF (mostly
# third-party Rust, plus zstd's C code). Writes the report to target/bench/crash.md (under
# CARGO_TARGET_DIR when set).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --locked --release -p nxsym -p crashdump_v2_host --bin nxsym --bin bench-crash
cargo build --locked --profile bench-subject -p nx
mkdir -p "$target_dir/bench"
"$target_dir/release/bench-crash" \
  --subject "$target_dir/bench-subject/nx" \
  --nxsym "$target_dir/release/nxsym" \
  --work "$target_dir/bench/crash" \
  "$@" | tee "$target_dir/bench/crash.md"
