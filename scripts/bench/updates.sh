#!/usr/bin/env bash
# Signed-update benchmark: nxs-pack verify and pack on a 256 MiB system-set (and a 16 MiB
# one, to show memory stays flat), beside sha256sum and openssl dgst -sha256 over the
# same bundle bytes, in one run. Writes the report to target/bench/updates.md (under
# CARGO_TARGET_DIR when set).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --locked --release -p nxs-pack -p updates_host --bin nxs-pack --bin bench-updates
mkdir -p "$target_dir/bench"
"$target_dir/release/bench-updates" \
  --nxs-pack "$target_dir/release/nxs-pack" \
  --work "$target_dir/bench/updates" \
  "$@" | tee "$target_dir/bench/updates.md"
