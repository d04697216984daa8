#!/usr/bin/env bash
# logd benchmark: in-process APPEND beside a memcpy floor, socket APPEND beside a bare
# SEQPACKET echo server at 16 frames in flight, QUERY beside an echo round trip, and the
# daemon's memory under 10 million appends, all in one run. Writes target/bench/logd.md.
# Pass --quick for a run with every count divided by 10.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cargo build --locked --release -p logd -p logd_e2e --bin logd --bin bench-logd
mkdir -p target/bench
./target/release/bench-logd --logd target/release/logd "$@" | tee target/bench/logd.md
