#!/usr/bin/env bash
# The os-lite marker harness: builds the kernel and programs, assembles the initrd,
# boots QEMU (virt, OpenSBI) under a timeout with the UART captured to a log, and checks
# the ordered markers of one list file. Fails, naming the first missing marker, on a
# missing marker, a FAIL line, a panic, a timeout or a failing exit status.
#
# Knobs (environment):
#   RUN_TIMEOUT=90s        QEMU's time limit (timeout(1) syntax)
#   RUN_UNTIL_MARKER=1     stop QEMU as soon as the last marker appears, instead of
#                          waiting for the OS to end itself
#   MARKERS=FILE           marker list (default scripts/markers/os-lite.txt)
#   SKIP_BUILD=1           reuse the built kernel, programs and initrd
#   SHOW=1                 print the log's marker-relevant lines (make run)
#   KERNEL_ARGS="..."      the kernel's command line (QEMU -append), e.g. asid=off
#   EXPECT_LINE=TEXT       a line that must also appear in the OS's log (anywhere)
#   INITRD=FILE            boot this initrd instead of the one built here
#   SCRATCH_GPT=0          leave the scratch disk blank (no GPT): blkd must fail
#   KEEP_DISK=1            boot on the scratch disk the last run left (a second boot
#                          after a power cut), instead of a new one
#   SELFTEST_MODE="M SEED" write selftest-client's mode line into the scratch disk
#                          (`churn` or `check`: the state store's power-cut runs,
#                          scripts/qemu-state-faults.sh)
#   EXPECT_FAIL=TEXT       a run that must fail: QEMU ends with status EXPECT_STATUS
#                          (default 1) and a line of the log contains TEXT; markers
#                          are not checked, and RUN_UNTIL_MARKER is ignored
# Outputs: target/os/initrd.img, target/os/uart.log, target/os/scratch.img (a 2 MiB
# scratch disk with a GPT, attached as a virtio-blk device for blkd) (under
# CARGO_TARGET_DIR when set). A virtio-rng device is attached too: selftest-client's
# own device grant.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=riscv64gc-unknown-none-elf
target_dir=${CARGO_TARGET_DIR:-target}
bin_dir=$target_dir/$target/release
out=$target_dir/os
log=$out/uart.log
markers=${MARKERS:-scripts/markers/os-lite.txt}
manifest=source/apps/init/boot.manifest
timeout_spec=${RUN_TIMEOUT:-90s}
say() { printf 'qemu-test: %s\n' "$*" >&2; }

mkdir -p "$out"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  # The OS programs: the one list (package, folder), shared with the justfile.
  mapfile -t os_packages < <(sed -e 's/#.*//' scripts/os-programs | awk 'NF { print "-p"; print $1 }')
  cargo build --locked --release --target "$target" "${os_packages[@]}"
  cargo build --locked --release -p initrd --bin mkinitrd
  # Every program of the boot manifest, plus the manifest itself.
  mapfile -t programs < <(sed -e 's/#.*//' "$manifest" | awk 'NF { print $1 }')
  args=("boot.manifest=$manifest")
  for p in "${programs[@]}"; do args+=("$p=$bin_dir/$p"); done
  "$target_dir/release/mkinitrd" "$out/initrd.img" "${args[@]}"
fi

# Markers: comments and blank lines dropped.
mapfile -t want < <(grep -v '^[[:space:]]*#' "$markers" | sed '/^[[:space:]]*$/d')
[ "${#want[@]}" -gt 0 ] || { say "no markers in $markers"; exit 2; }
last=${want[-1]}

rm -f "$log"
: >"$log"
# The scratch disk blkd drives: 2 MiB of zeros with a GPT (fixed GUIDs, so the same
# bytes every boot) holding `scratch` (LBAs 2048..3071, which selftest-client may use)
# and `private` (3072..3583, which nobody may), serial `disk0` (how blkd names the
# whole disk). docs/architecture/blkd.md.
disk=$out/scratch.img
linux_data=0FC63DAF-8483-4772-8E79-3D69D8477DE4
scratch_start=2048 scratch_size=1024 private_start=3072 private_size=512
state_start=3584 state_size=448
if [ "${KEEP_DISK:-0}" = 1 ] && [ -f "$disk" ]; then
  new_disk=0
else
  new_disk=1
  rm -f "$disk"
  head -c $((2 << 20)) /dev/zero >"$disk"
fi
[ "${SCRATCH_GPT:-1}" = 0 ] || [ "$new_disk" = 0 ] || sfdisk --quiet --no-reread --no-tell-kernel "$disk" >/dev/null <<EOF
label: gpt
label-id: 6E657875-732D-4B00-8000-6469736B3000
start=$scratch_start, size=$scratch_size, type=$linux_data, uuid=6E657875-732D-4B00-8000-736372617463, name=scratch
start=$private_start, size=$private_size, type=$linux_data, uuid=6E657875-732D-4B00-8000-707269766174, name=private
start=$state_start, size=$state_size, type=$linux_data, uuid=6E657875-732D-4B00-8000-737461746500, name=state
EOF
# The state partition starts as a new image's does: its 512-byte header, then zeros
# (docs/provisioning/overview.md, "State partition header"); statefsd formats it.
[ "${SCRATCH_GPT:-1}" = 0 ] || [ "$new_disk" = 0 ] || python3 - "$disk" $((state_start * 512)) $((state_size * 512)) <<'PY'
import struct, sys, zlib
path, at, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
head = b"NXSTATE\0" + struct.pack("<IIQQ", 1, 512, size, 0)
head += struct.pack("<I", zlib.crc32(head))
with open(path, "r+b") as f:
    f.seek(at)
    f.write(head.ljust(512, b"\0"))
PY
# selftest-client's mode line: sector 512 of `scratch` (src/churn.rs); zeros run the
# selftests.
mode_line=""
[ -n "${SELFTEST_MODE:-}" ] && mode_line="nx-selftest-mode $SELFTEST_MODE"
printf '%s\n' "$mode_line" | head -c 512 | dd of="$disk" bs=512 seek=$((scratch_start + 512)) \
  count=1 conv=notrunc,sync status=none
qemu=(qemu-system-riscv64 -machine virt -cpu rv64 -smp 1 -m 128M -bios default
  -display none -monitor none -serial "file:$log"
  -drive "file=$disk,format=raw,if=none,id=hd0"
  -device virtio-blk-device,drive=hd0,serial=disk0
  -device virtio-rng-device
  -kernel "$bin_dir/kernel" -initrd "${INITRD:-$out/initrd.img}")
[ -n "${KERNEL_ARGS:-}" ] && qemu+=(-append "$KERNEL_ARGS")
start_ns=$(date +%s%N)
timeout "$timeout_spec" "${qemu[@]}" &
qemu_pid=$!
status=0
if [ "${RUN_UNTIL_MARKER:-0}" = 1 ] && [ -z "${EXPECT_FAIL:-}" ]; then
  # Poll the log; stop QEMU once the last marker (or a failure) shows up.
  while kill -0 "$qemu_pid" 2>/dev/null; do
    if grep -qF -- "$last" "$log" || grep -qE 'FAIL|PANIC|panic' "$log"; then
      kill "$qemu_pid" 2>/dev/null || true
      break
    fi
    sleep 0.05
  done
  wait "$qemu_pid" || status=$?
  # Killed on purpose after the last marker: not a failure in itself.
  if grep -qF -- "$last" "$log"; then status=0; fi
else
  wait "$qemu_pid" || status=$?
fi
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

# The OS's own lines: everything from the kernel's first line on (OpenSBI's banner
# comes before it on the same UART).
os_log=$(awk '/^kernel: /{on=1} on' "$log")
[ "${SHOW:-0}" = 1 ] && printf '%s\n' "$os_log"

if [ -n "${EXPECT_FAIL:-}" ]; then
  # The whole log: a failure may come before the kernel's first line.
  fail=""
  if [ "$status" = 124 ]; then
    fail="timeout after $timeout_spec"
  elif [ "$status" != "${EXPECT_STATUS:-1}" ]; then
    fail="QEMU exit status $status, expected ${EXPECT_STATUS:-1}"
  elif ! grep -qF -- "$EXPECT_FAIL" "$log"; then
    fail="no line with: $EXPECT_FAIL"
  fi
  if [ -n "$fail" ]; then
    say "FAIL: $fail (log: $log)"
    tail -n 20 "$log" >&2
    exit 1
  fi
  say "ok: failed as expected (status $status, '$EXPECT_FAIL') in ${elapsed_ms} ms"
  exit 0
fi

fail=""
if [ "$status" = 124 ]; then
  fail="timeout after $timeout_spec"
elif grep -qE 'FAIL|PANIC|panic' <<<"$os_log"; then
  fail="failure line: $(grep -m1 -E 'FAIL|PANIC|panic' <<<"$os_log")"
fi
# Ordered check: each marker must appear on a line after the previous marker's line.
missing=$(printf '%s\n' "${want[@]}" | awk -v logfile=<(printf '%s\n' "$os_log") '
  function pattern(m,   out, i, c) {
    gsub(/[][\\.^$*+?(){}|\/]/, "\\\\&", m)
    gsub(/<[^<>]*>/, "[^[:space:]]+", m)
    return m
  }
  { want[n++] = pattern($0); raw[n - 1] = $0 }
  END {
    i = 0
    while ((getline line < logfile) > 0 && i < n) {
      if (line ~ want[i]) i++
    }
    if (i < n) print raw[i]
  }')
if [ -z "$fail" ] && [ -n "$missing" ]; then
  fail="missing marker: $missing"
fi
if [ -z "$fail" ] && [ -n "${EXPECT_LINE:-}" ] && ! grep -qF -- "$EXPECT_LINE" <<<"$os_log"; then
  fail="no line with: $EXPECT_LINE"
fi
if [ -z "$fail" ] && [ "$status" != 0 ]; then
  fail="QEMU exit status $status"
fi
# What blkd left on the disk: the sectors selftest-client wrote through it (each the
# line `blkd lba NNNN  ` 32 times) at their place in `scratch`, and `private`, which
# nobody may write, still zeros.
sectors() { dd if="$disk" bs=512 skip="$1" count="$2" status=none; }
pattern() { for lba; do for _ in $(seq 32); do printf 'blkd lba %04d  \n' "$lba"; done; done; }
if [ -z "$fail" ] && grep -qF 'SELFTEST: blkd rw ok' <<<"$os_log"; then
  if ! cmp -s <(sectors "$scratch_start" 7) <(pattern 0 1 2 3 4 5 6) ||
    ! cmp -s <(sectors $((scratch_start + scratch_size - 1)) 1) <(pattern $((scratch_size - 1))); then
    fail="disk: the sectors written through blkd are not at their place in scratch"
  elif ! cmp -s <(sectors "$private_start" "$private_size") <(head -c $((private_size * 512)) /dev/zero); then
    fail="disk: the private partition changed"
  fi
fi
if [ -n "$fail" ]; then
  say "FAIL: $fail (log: $log)"
  [ -n "$missing" ] && say "first missing marker: $missing"
  tail -n 20 "$log" >&2
  exit 1
fi
say "ok: ${#want[@]} markers in order in ${elapsed_ms} ms (log: $log)"
