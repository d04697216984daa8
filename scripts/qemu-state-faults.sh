#!/usr/bin/env bash
# Power cuts of the state store in QEMU (`just test-os-faults`; `just test-os` runs 3
# trials). Each trial boots a new disk with selftest-client in churn mode (it writes,
# replaces and removes files under state:/settings/selftest/churn/ through statefsd,
# printing a line per operation begun and done; src/churn.rs), cuts the power (kills
# QEMU) once the seeded `churn: done K` line appears, then boots the same disk again in
# check mode: statefsd must mount the store without formatting it, every file must be
# whole, and scripts/state-cut-check.py checks that each path holds what the first boot's
# last finished operation left, or what its interrupted one would have: what the host's
# power-cut torture (userspace/statefs/tests/power_cut.rs) checks, through the OS.
#
# Usage: qemu-state-faults.sh [TRIALS] (default 20); FAULT_SEED=N changes the seeds.
# Logs: target/os/faults/ (under CARGO_TARGET_DIR when set).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

trials=${1:-20}
seed=${FAULT_SEED:-20261202}
target_dir=${CARGO_TARGET_DIR:-target}
out=$target_dir/os/faults
log=$target_dir/os/uart.log
mkdir -p "$out"
say() { printf 'state-faults: %s\n' "$*" >&2; }

skip=${SKIP_BUILD:-0}
cut_points=()
for t in $(seq 1 "$trials"); do
  s=$((seed + t))
  # The cut point, from the seed: after operation K finished (K in 0..79).
  k=$(( (s * 2654435761 / 65536) % 80 ))
  printf 'statefsd: formatted\nstatefsd: ready\nchurn: seed %d\nchurn: done %d\n' "$s" "$k" >"$out/cut.txt"
  if ! MARKERS="$out/cut.txt" RUN_UNTIL_MARKER=1 SELFTEST_MODE="churn $s" SKIP_BUILD=$skip \
    bash scripts/qemu-test.sh >"$out/cut-$t.out" 2>&1; then
    say "FAIL: trial $t (seed $s): the churn boot did not reach 'churn: done $k'"
    cat "$out/cut-$t.out" >&2
    exit 1
  fi
  skip=1
  cp "$log" "$out/cut-$t.log"
  printf 'statefsd: ready\nSELFTEST: state cut check ok\n' >"$out/check.txt"
  if ! MARKERS="$out/check.txt" KEEP_DISK=1 SELFTEST_MODE="check $s" SKIP_BUILD=1 \
    bash scripts/qemu-test.sh >"$out/check-$t.out" 2>&1; then
    say "FAIL: trial $t (seed $s, cut after operation $k): the boot after the cut failed"
    cat "$out/check-$t.out" >&2
    exit 1
  fi
  cp "$log" "$out/check-$t.log"
  if ! verdict=$(python3 scripts/state-cut-check.py "$out/cut-$t.log" "$out/check-$t.log"); then
    say "FAIL: trial $t (seed $s): $verdict (logs: $out/cut-$t.log, $out/check-$t.log)"
    exit 1
  fi
  cut_points+=("$verdict")
done
say "ok: $trials power cuts, each store mounted and whole after it"
printf '  %s\n' "${cut_points[@]}" >&2
