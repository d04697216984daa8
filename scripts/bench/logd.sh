#!/usr/bin/env bash
# logd benchmark: in-process APPEND beside a memcpy floor, socket APPEND beside a bare
# SEQPACKET echo server at 16 frames in flight, QUERY beside an echo round trip, and the
# daemon's memory under 10 million appends, all in one run. Writes target/bench/logd.md
# (under CARGO_TARGET_DIR when set).
# Pass --quick for a run with every count divided by 10.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --locked --release -p logd -p logd_e2e --bin logd --bin bench-logd
mkdir -p "$target_dir/bench"
"$target_dir/release/bench-logd" --logd "$target_dir/release/logd" "$@" | tee "$target_dir/bench/logd.md"
