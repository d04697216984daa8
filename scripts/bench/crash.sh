#!/usr/bin/env bash
# Symbolization benchmark: nxsym beside binutils addr2line and llvm-symbolizer, in one
# run, on the project's own `nx` binary built optimized with full DWARF (mostly
# third-party Rust, plus zstd's C code). Writes the report to target/bench/crash.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cargo build --locked --release -p nxsym -p crashdump_v2_host --bin nxsym --bin bench-crash
cargo build --locked --profile bench-subject -p nx
mkdir -p target/bench
./target/release/bench-crash \
  --subject target/bench-subject/nx \
  --nxsym target/release/nxsym \
  --work target/bench/crash \
  "$@" | tee target/bench/crash.md
