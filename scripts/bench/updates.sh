#!/usr/bin/env bash
# Signed-update benchmark: nxs-pack verify and pack on a 256 MiB system-set (and a 16 MiB
# one, to show memory stays flat), beside sha256sum and openssl dgst -sha256 over the
# same bundle bytes, in one run. Writes the report to target/bench/updates.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cargo build --locked --release -p nxs-pack -p updates_host --bin nxs-pack --bin bench-updates
mkdir -p target/bench
./target/release/bench-updates \
  --nxs-pack target/release/nxs-pack \
  --work target/bench/updates \
  "$@" | tee target/bench/updates.md
