#!/usr/bin/env bash
# The OS half of the main job (`make run`), after `scripts/qemu-test.sh` booted the image:
# the crash the OS recorded, read on the host out of the image it wrote to.
#
#   1. `nx crash ls --image`: the dumps crashd wrote to state:/crash in the image's
#      state partition (execd hands crashd every fault: crash-demo's, on purpose in each
#      of the two boots, and those of the other misbehaving test programs);
#   2. `nx crash show --image` of the last boot's dump of crash-demo (the id crashd
#      printed), symbolized with the symbol index the build shipped in the initrd
#      (target/os/symbols.nxsym);
#   3. checks that it names crash-demo's call chain: crash_inner, crash_middle inlined
#      into crash_outer, main.
#
# Each command is printed before it runs (`+ ...`). Prints `demo: OS crash pipeline ok`
# only when every check passed. `scripts/qemu-test.sh` checks the same frames against
# binutils' addr2line on every `just test-os`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${CARGO_TARGET_DIR:-target}
os=$target/os
image=$os/os.img
symbols=$os/symbols.nxsym
nx=$target/debug/nx
work=$os/demo

say() { printf 'demo: %s\n' "$*"; }
die() { say "error: $*" >&2; exit 1; }
# Prints a command, then runs it with its output shown and kept in the file $1.
run_tee() { local out=$1; shift; printf '+ %s\n' "$*"; "$@" | tee "$out"; }

[ -f "$image" ] || die "$image not found: boot the OS first (bash scripts/qemu-test.sh)"
[ -x "$nx" ] || die "$nx not found: bash scripts/qemu-test.sh builds it"
rm -rf "$work"
mkdir -p "$work"

echo
say "the dumps the OS wrote to state:/crash, read out of $image"
run_tee "$work/ls.txt" "$nx" crash ls --image "$image"
# The last boot's dump of crash-demo: the id crashd printed when it wrote it (execd hands
# crashd every fault, so the other faulting test programs have dumps too).
id=$(grep -o 'crashd: dump written (id=[^ ]*-crash-demo-[0-9]*' "$os/uart.log" | tail -n 1 |
  sed 's/.*id=//')
[ -n "$id" ] || die "$os/uart.log names no dump of crash-demo"
echo
say "the last boot's dump of crash-demo, symbolized with the index shipped in the initrd"
run_tee "$work/show.txt" "$nx" crash show --image "$image" "$id" --sym "$symbols" --no-pager

missing=()
grep -qF -- "$id" "$work/ls.txt" || missing+=("dump $id in nx crash ls")
for line in 'crash_demo::crash_inner at ' 'crash_demo::crash_middle at ' \
  '(inlined by) crash_demo::crash_outer at ' 'crash_demo::main at '; do
  grep -qF -- "$line" "$work/show.txt" || missing+=("frame line '$line'")
done
if [ "${#missing[@]}" -gt 0 ]; then
  for m in "${missing[@]}"; do say "missing: $m" >&2; done
  die "OS crash pipeline check failed (${#missing[@]} missing)"
fi
echo
say "OS crash pipeline ok"
