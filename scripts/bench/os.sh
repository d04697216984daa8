#!/usr/bin/env bash
# os-lite figures, each boot measuring all of them in the same boot: null syscall; IPC
# round trip between two processes in different address spaces in rounds interleaved
# with the address-space switch it is set beside (satp write + sfence.vma, timed by a
# kernel loop through bench_switch), and their ratio per round; the switch at boot and
# the ASID-tagged satp write alone the scheduler makes; 4 KiB round trips; kernel start
# to `SELFTEST: end` (boot 2 of the run) and to `SELFTEST: disk persist written` (the
# last marker of boot 1); blkd's write of a partition (boot 1: the persist pattern, 7
# sectors a request, then a flush) and read of it (boot 2), each beside the kernel's
# memcpy of as many bytes in that boot (`bench_copy`); a 64 KiB write and sync through
# statefsd; logd's APPEND round trip from another process beside a bare IPC round trip
# (samgrd's echo) in the same rounds, and their ratio, QUERY of 16 records, and logd's
# heap before and after a flood of five journals' worth of records; plus the kernel's
# text size. Three runs of the two-boot sequence; the
# medians are checked against the targets.
# Writes target/bench/os.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

runs=${BENCH_RUNS:-3}
target_dir=${CARGO_TARGET_DIR:-target}
report=$target_dir/bench/os.md
mkdir -p "$target_dir/bench"
# Each figure by name, one value per boot: a figure missing from a boot's log stops the
# run (naming it), except the ASID-tagged switch, which a kernel without ASIDs does not
# print (then n/a).
figures=(null switch ipc ratio boot_us wall refill tagged ipc_large switch_boot
  statefsd_write boot1_us blk_write copy_write blk_read copy_read dma spawn spawn_run
  log_append log_bare log_ratio log_query log_heap0 log_heap_flood init_us
  fault_dump demo_dump_bytes sym_frame)
declare -A lines=(
  [null]='null syscall'
  [switch]='address-space switch (satp + sfence.vma)'
  [ipc]='ipc round trip'
  [ratio]='ipc round trip per two switches'
  [switch_boot]='address-space switch at boot (satp + sfence.vma)'
  [boot_us]='kernel start to SELFTEST: end'
  [refill]='TLB refill after a switch'
  [tagged]='address-space switch with ASIDs ([^)]*)'
  [ipc_large]='ipc round trip with 4 KiB messages'
  [statefsd_write]='statefsd write+sync 64 KiB'
  [dma]='dma_alloc of 2 pages'
  [spawn]='spawn_image of a [0-9]*-byte image'
  [spawn_run]='spawn_image to the child.s fault record'
  [boot1_us]='kernel start to SELFTEST: disk persist written'
  [blk_write]='blkd write of a partition, [0-9]* bytes'
  [copy_write]='kernel memcpy beside the blkd write, [0-9]* bytes'
  [blk_read]='blkd read of a partition, [0-9]* bytes'
  [copy_read]='kernel memcpy beside the blkd read, [0-9]* bytes'
  [log_append]='logd append round trip'
  [log_bare]='bare ipc round trip beside it'
  [log_ratio]='logd append per bare round trip'
  [log_query]='logd query of 16 records'
  [log_heap0]='logd heap'
  [log_heap_flood]='logd heap'
  [init_us]='kernel start to init: ready'
  [fault_dump]='execd fault to dump written'
  [demo_dump_bytes]='execd fault to dump written'
  [sym_frame]='crashd symbolized'
)
declare -A values=()
for i in $(seq 1 "$runs"); do
  if [ "$i" = 1 ]; then skip=0; else skip=1; fi
  start=$(date +%s%N)
  SKIP_BUILD=$skip RUN_TIMEOUT=${RUN_TIMEOUT:-90s} bash scripts/qemu-test.sh >/dev/null
  wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  log=$target_dir/os/uart.log
  # The bytes blkd moved (the same for the write and the read).
  disk_bytes=$(sed -n 's/^bench: blkd write of a partition, \([0-9]*\) bytes .*/\1/p' "$log" | head -n1)
  for f in "${figures[@]}"; do
    if [ "$f" = wall ]; then
      v=$wall_ms
    elif [ "$f" = fault_dump ] || [ "$f" = demo_dump_bytes ] || [ "$f" = sym_frame ]; then
      # crash-demo's fault (the last of the boot): fault to crashd's dump written, the
      # dump's size, and crashd's on-device symbolization per frame.
      case $f in
        fault_dump) v=$(sed -n 's/^bench: execd fault to dump written \([0-9]*\) ns (crash-demo, .*/\1/p' "$log" | tail -n1) ;;
        demo_dump_bytes) v=$(sed -n 's/^bench: execd fault to dump written [0-9]* ns (crash-demo, \([0-9]*\) bytes)$/\1/p' "$log" | tail -n1) ;;
        sym_frame) v=$(sed -n 's/^bench: crashd symbolized [0-9]* frames of crash-demo in [0-9]* ns (\([0-9]*\) ns a frame)$/\1/p' "$log" | tail -n1) ;;
      esac
    elif [ "$f" = log_heap0 ] || [ "$f" = log_heap_flood ]; then
      # logd's heap at start and after four journals' worth of records were dropped.
      if [ "$f" = log_heap0 ]; then at=0; else at=2048; fi
      v=$(sed -n "s/^bench: logd heap \([0-9]*\) bytes at $at records dropped\$/\1/p" "$log" | head -n1)
    else
      v=$(sed -n "s/^bench: ${lines[$f]} \([0-9][0-9.]*\) .*/\1/p" "$log" | head -n1)
    fi
    if [ -z "$v" ] && [ "$f" != tagged ]; then
      echo "bench-os: boot $i printed no 'bench: ${lines[$f]}' figure (log: $log)" >&2
      exit 1
    fi
    values[$f]="${values[$f]:-} ${v:-n/a}"
  done
done

kernel=$target_dir/riscv64gc-unknown-none-elf/release/kernel
text=$(printf '%d' "0x$(riscv64-linux-gnu-readelf -SW "$kernel" | awk '{ for (i = 1; i < NF; i++) if ($i == ".text") print $(i + 4) }')")

# The median of a figure's values; n/a when any boot lacks it.
median() {
  if printf '%s\n' ${values[$1]} | grep -qx 'n/a'; then echo n/a; return; fi
  printf '%s\n' ${values[$1]} | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
null=$(median null); as=$(median switch); ipc=$(median ipc)
boot_us=$(median boot_us); wall=$(median wall); refill=$(median refill)
tagged=$(median tagged); ipc_large=$(median ipc_large); ratio=$(median ratio)
switch_boot=$(median switch_boot); statefsd_write=$(median statefsd_write)
dma=$(median dma); spawn=$(median spawn); spawn_run=$(median spawn_run)
boot1_us=$(median boot1_us)
blk_write=$(median blk_write); copy_write=$(median copy_write)
blk_read=$(median blk_read); copy_read=$(median copy_read)
log_append=$(median log_append); log_bare=$(median log_bare); log_ratio=$(median log_ratio)
log_query=$(median log_query); log_heap0=$(median log_heap0); log_heap_flood=$(median log_heap_flood)
init_us=$(median init_us); fault_dump=$(median fault_dump); demo_dump_bytes=$(median demo_dump_bytes)
sym_frame=$(median sym_frame)
# MiB/s of disk_bytes moved in $1 ns.
mibs() { awk -v b="$disk_bytes" -v ns="$1" 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'; }
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
ipc_ok=$(awk -v r="$ratio" 'BEGIN { print (r <= 2.0) ? 1 : 0 }')
text_ok=$(( text < 200 * 1024 ? 1 : 0 ))
state_ok=$(( statefsd_write < 50000 ? 1 : 0 ))
log_ok=$(awk -v r="$log_ratio" 'BEGIN { print (r <= 1.5) ? 1 : 0 }')
heap_ok=$(( log_heap_flood == log_heap0 ? 1 : 0 ))
init_ok=$(( init_us < 1000000 ? 1 : 0 ))
dump_ok=$(( fault_dump < 50000000 ? 1 : 0 ))
{
  echo "# os-lite figures (QEMU TCG, $(uname -m) host, median of $runs runs of the two-boot sequence)"
  echo
  echo "| figure | value | target | verdict |"
  echo "| --- | --- | --- | --- |"
  echo "| null syscall (self_id) | ${null} ns | | |"
  echo "| address-space switch (satp + sfence.vma), timed between the IPC rounds | ${as} ns | | |"
  echo "| IPC round trip (call + reply, two address spaces) | ${ipc} ns | | |"
  echo "| IPC round trip per two switches (median of interleaved rounds) | ${ratio} | at most 2 | $(verdict "$ipc_ok") |"
  echo "| address-space switch at boot (satp + sfence.vma, a kernel loop) | ${switch_boot} ns | | |"
  echo "| address-space switch the scheduler makes (ASID-tagged satp alone, at boot) | ${tagged} ns | | |"
  echo "| TLB refill per page touched after a switch (emulator cost) | ${refill} ns | | |"
  echo "| IPC round trip with 4 KiB messages (a 4 KiB echo each way) | ${ipc_large} ns | | |"
  echo "| dma_alloc of 2 pages (grant check, two zeroed contiguous frames, their mapping) | ${dma} ns | | |"
  echo "| spawn_image of a tiny image (checks, load plan, address space, copy) | ${spawn} ns | | |"
  echo "| spawn_image to the child's fault record (its whole life: run, print, ebreak) | ${spawn_run} ns | | |"
  echo "| write + sync of a 64 KiB file through statefsd (IPC, littlefs, blkd, the disk's flush) | $((statefsd_write / 1000)) ms | < 50 ms | $(verdict $state_ok) |"
  echo "| logd APPEND round trip from another process (one record, logd's answer) | ${log_append} ns | | |"
  echo "| bare IPC round trip beside it (samgrd echo, same rounds) | ${log_bare} ns | | |"
  echo "| logd APPEND per bare IPC round trip | ${log_ratio} | at most 1.5 | $(verdict "$log_ok") |"
  echo "| logd QUERY of 16 records | ${log_query} ns | | |"
  echo "| logd heap at start / after a flood of 2,560 records (2,048 dropped) | ${log_heap0} / ${log_heap_flood} bytes | flat | $(verdict $heap_ok) |"
  echo "| crash-demo's fault to crashd's dump written (execd's wait to crashd's reply: record, logs by QUERY, symbolization, statefsd's commit) | $((fault_dump / 1000)) us | < 50 ms | $(verdict $dump_ok) |"
  echo "| crash-demo's dump (regs, frames symbolized, maps, recent logs) | ${demo_dump_bytes} bytes | | |"
  echo "| on-device symbolization per frame (crashd, the initrd's index) | ${sym_frame} ns | | |"
  echo "| kernel start to init: ready (every service up; the first boot, which formats the state store) | $((init_us / 1000)) ms | < 1000 ms | $(verdict $init_ok) |"
  echo "| kernel start to SELFTEST: end (boot 2: the services, every proof and benchmark) | $((boot_us / 1000)) ms | | |"
  echo "| kernel start to the last marker of boot 1 (SELFTEST: disk persist written) | $((boot1_us / 1000)) ms | | |"
  echo "| blkd write of a partition ($((disk_bytes / 1024)) KiB, 7 sectors a request, then flush; boot 1) | $(mibs "$blk_write") MiB/s (${blk_write} ns) | | |"
  echo "| kernel memcpy of the same bytes, same boot | $(mibs "$copy_write") MiB/s (${copy_write} ns) | | |"
  echo "| blkd read of a partition ($((disk_bytes / 1024)) KiB, 7 sectors a request; boot 2) | $(mibs "$blk_read") MiB/s (${blk_read} ns) | | |"
  echo "| kernel memcpy of the same bytes, same boot | $(mibs "$copy_read") MiB/s (${copy_read} ns) | | |"
  echo "| host wall time of a whole marker run (both boots, QEMU start to exit) | ${wall} ms | | |"
  echo "| kernel .text | $((text / 1024)) KiB ($text bytes) | < 200 KiB | $(verdict $text_ok) |"
  echo
  echo "IPC round trip per two of the scheduler's tagged switches: $(awk -v i="$ipc" -v a="$tagged" 'BEGIN { if (a + 0 > 0) printf "%.2f", i / (2 * a); else print "n/a" }')."
  echo
  echo "Per run ($(printf '%s ' "${figures[@]}" | sed 's/ $//'); times in ns, boot_us and boot1_us in us, wall in ms):"
  echo
  for i in $(seq 1 "$runs"); do
    row=""
    for f in "${figures[@]}"; do row="$row $(printf '%s\n' ${values[$f]} | sed -n "${i}p")"; done
    echo "-$row"
  done
} | tee "$report"
