#!/usr/bin/env bash
# os-lite figures, each boot measuring all of them in the same boot: null syscall,
# address-space switch (satp write + sfence.vma, in a kernel loop; and the ASID-tagged
# satp write alone the kernel's scheduler makes), IPC round trip between two processes
# in different address spaces (small and 4 KiB messages), kernel start to
# `SELFTEST: end`; plus the kernel's text size. Three boots; the median is checked
# against the targets.
# Writes target/bench/os.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

runs=${BENCH_RUNS:-3}
target_dir=${CARGO_TARGET_DIR:-target}
report=$target_dir/bench/os.md
mkdir -p "$target_dir/bench"
rows=()
for i in $(seq 1 "$runs"); do
  if [ "$i" = 1 ]; then skip=0; else skip=1; fi
  start=$(date +%s%N)
  SKIP_BUILD=$skip RUN_TIMEOUT=${RUN_TIMEOUT:-90s} bash scripts/qemu-test.sh >/dev/null
  wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  log=$target_dir/os/uart.log
  val() { sed -n "s/^bench: $1 \([0-9]*\) .*/\1/p" "$log" | head -n1; }
  rows+=("$(val 'null syscall') $(val 'address-space switch (satp + sfence.vma)') $(val 'ipc round trip') $(val 'kernel start to SELFTEST: end') $wall_ms $(val 'TLB refill after a switch') $(val 'address-space switch with ASIDs ([^)]*)') $(val 'ipc round trip with 4 KiB messages')")
done

kernel=$target_dir/riscv64gc-unknown-none-elf/release/kernel
text=$(printf '%d' "0x$(riscv64-linux-gnu-readelf -SW "$kernel" | awk '{ for (i = 1; i < NF; i++) if ($i == ".text") print $(i + 4) }')")

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
pick() { local n=$1; for r in "${rows[@]}"; do echo "$r" | awk -v n="$n" '{ print $n }'; done; }
null=$(median $(pick 1)); as=$(median $(pick 2)); ipc=$(median $(pick 3))
boot_us=$(median $(pick 4)); wall=$(median $(pick 5)); refill=$(median $(pick 6))
tagged=$(median $(pick 7)); ipc_large=$(median $(pick 8))

verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
ipc_ok=$(( ipc <= 4 * as ? 1 : 0 ))
boot_ok=$(( boot_us < 1000000 ? 1 : 0 ))
text_ok=$(( text < 200 * 1024 ? 1 : 0 ))
{
  echo "# os-lite figures (QEMU TCG, $(uname -m) host, median of $runs boots)"
  echo
  echo "| figure | value | target | verdict |"
  echo "| --- | --- | --- | --- |"
  echo "| null syscall (self_id) | ${null} ns | | |"
  echo "| address-space switch (satp + sfence.vma) | ${as} ns | | |"
  echo "| address-space switch the scheduler makes (ASID-tagged satp alone) | ${tagged:-n/a} ns | | |"
  echo "| TLB refill per page touched after a switch (emulator cost) | ${refill} ns | | |"
  echo "| IPC round trip (call + reply, two address spaces) | ${ipc} ns | <= 2 x two switches = $((4 * as)) ns | $(verdict $ipc_ok) |"
  echo "| IPC round trip with 4 KiB messages (a 4 KiB echo each way) | ${ipc_large:-n/a} ns | | |"
  echo "| kernel start to SELFTEST: end | $((boot_us / 1000)) ms | < 1000 ms | $(verdict $boot_ok) |"
  echo "| host wall time of a whole marker run (QEMU start to exit) | ${wall} ms | | |"
  echo "| kernel .text | $((text / 1024)) KiB ($text bytes) | < 200 KiB | $(verdict $text_ok) |"
  echo
  echo "IPC round trip / two switches: $(awk -v i="$ipc" -v a="$as" 'BEGIN { printf "%.2f", i / (2 * a) }') (satp + sfence.vma), $(awk -v i="$ipc" -v a="${tagged:-0}" 'BEGIN { if (a > 0) printf "%.2f", i / (2 * a); else print "n/a" }') (the scheduler's tagged switch)."
  echo
  echo "Per boot (null ns, switch ns, IPC ns, boot us, wall ms, refill ns/page, tagged switch ns, 4 KiB IPC ns):"
  echo
  for r in "${rows[@]}"; do echo "- $r"; done
} | tee "$report"
