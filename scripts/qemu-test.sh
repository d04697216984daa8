#!/usr/bin/env bash
# The os-lite marker harness: builds the kernel and programs, assembles the initrd,
# builds the OS image with `nx image build` (kernel, initrd, a state partition), takes
# the kernel and initrd QEMU loads back out of it with `nx image extract` (so what boots
# is the image's bytes), boots QEMU (virt, OpenSBI) under a timeout with the UART
# captured to a log, and checks the ordered markers of one list file, boot by boot. Fails,
# naming the boot and its first missing marker, on a missing marker, a FAIL line, a
# panic, a timeout, a boot too many or too few, or a failing exit status.
#
# Boots: the OS reboots itself (the sifive_test reset; QEMU starts firmware and kernel
# again in the same process, on the same disks). The log is split at each kernel boot
# banner (`kernel: booted`); the marker file has one section per boot (`[boot N]`
# lines; a file without them is one boot), and each boot's part of the log must hold
# its section's markers in order.
#
# Knobs (environment):
#   RUN_TIMEOUT=90s        QEMU's time limit (timeout(1) syntax)
#   RUN_UNTIL_MARKER=1     stop QEMU as soon as the last marker of the last boot
#                          appears, instead of waiting for the OS to end itself
#   MARKERS=FILE           marker list (default scripts/markers/os-lite.txt)
#   SKIP_BUILD=1           reuse the built kernel, programs, initrd and nx (the image
#                          is built again every run unless KEEP_DISK=1)
#   SHOW=1                 print the log's marker-relevant lines (make run)
#   KERNEL_ARGS="..."      the kernel's command line (QEMU -append), e.g. asid=off
#   EXPECT_LINE=TEXT       a line that must also appear in the OS's log (anywhere)
#   INITRD=FILE            put this initrd in the image instead of the one built here
#   SCRATCH_GPT=0          leave the scratch disk blank (no GPT): blkd must fail
#   SCRATCH_EXTRA=NAME     a third scratch partition (LBAs 3584..4031) named NAME: with
#                          a name of the image's (`state`), blkd must fail
#   KEEP_DISK=1            boot on the disks the last run left (the scratch disk and
#                          the image with its state partition: a second boot after a
#                          power cut), instead of new ones
#   SELFTEST_MODE="M SEED" write selftest-client's mode line into the scratch disk
#                          (`churn` or `check`: the state store's power-cut runs,
#                          scripts/qemu-state-faults.sh)
#   EXPECT_FAIL=TEXT       a run that must fail: QEMU ends with status EXPECT_STATUS
#                          (default 1) and a line of the log contains TEXT; markers
#                          are not checked, and RUN_UNTIL_MARKER is ignored
# Outputs: target/os/initrd.img, target/os/os.img and os.manifest.json (the image,
# attached as a virtio-blk device with serial `os`), target/os/boot/kernel and
# boot/initrd (what `nx image extract` took out of it for QEMU), target/os/uart.log,
# target/os/scratch.img (a 2 MiB scratch disk with a GPT, attached as a second
# virtio-blk device, serial `disk0`) (under CARGO_TARGET_DIR when set). A virtio-rng
# device is attached too: selftest-client's own device grant.
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
  # nx in the dev profile: `make test`'s host tests have built it already (its SHA-256
  # is optimized in dev builds too), so the image costs no release build of the CLI.
  cargo build --locked -p nx --bin nx
  # nxsym, dev profile as nx: the host half of the crash dump check.
  cargo build --locked -p nxsym --bin nxsym
  # Every program of the boot manifest, plus the manifest itself.
  mapfile -t programs < <(sed -e 's/#.*//' "$manifest" | awk 'NF { print $1 }')
  args=("boot.manifest=$manifest")
  for p in "${programs[@]}"; do args+=("$p=$bin_dir/$p"); done
  "$target_dir/release/mkinitrd" "$out/initrd.img" "${args[@]}"
fi

# The image: kernel, initrd and a 1 MiB state partition (docs/provisioning/overview.md),
# built afresh every run unless KEEP_DISK=1; QEMU loads the kernel and initrd extracted
# from it, each checked against the image manifest's SHA-256.
nx=$target_dir/debug/nx
image=$out/os.img
image_manifest=$out/os.manifest.json
boot=$out/boot
mkdir -p "$boot"
rm -f "$boot/kernel" "$boot/initrd"
if [ "${KEEP_DISK:-0}" = 1 ] && [ -f "$image" ] && [ -f "$image_manifest" ]; then
  # The last run's image, its state partition as that run left it.
  say "keeping the image $image"
else
  rm -f "$image" "$image_manifest" "${image_manifest%.json}.sig"
  "$nx" image build --profile dev --board qemu-virt --system-version 0.1.0 \
    --kernel "$bin_dir/kernel" --initrd "${INITRD:-$out/initrd.img}" --state-size 1M \
    --out "$image" --manifest "$image_manifest" >/dev/null
fi
for segment in kernel initrd; do
  "$nx" image extract "$image" "$segment" --manifest "$image_manifest" --out "$boot/$segment"
done

# Markers: comments and blank lines dropped; `[boot N]` lines open boot N's section
# (N = 1, 2, ... in order). `want` holds every marker, `section[i]` the boot of want[i].
mapfile -t lines < <(grep -v '^[[:space:]]*#' "$markers" | sed '/^[[:space:]]*$/d')
want=() section=() boots=1 sectioned=0
for l in "${lines[@]}"; do
  if [[ $l =~ ^\[boot\ ([0-9]+)\]$ ]]; then
    n=${BASH_REMATCH[1]}
    if [ "$sectioned" = 0 ] && [ "${#want[@]}" = 0 ] && [ "$n" = 1 ]; then
      sectioned=1
    elif [ "$sectioned" = 1 ] && [ "$n" = $((boots + 1)) ]; then
      boots=$n
    else
      say "$markers: [boot $n] out of order (sections are [boot 1], [boot 2], ... before any marker)"
      exit 2
    fi
    continue
  fi
  want+=("$l")
  section+=("$boots")
done
[ "${#want[@]}" -gt 0 ] || { say "no markers in $markers"; exit 2; }
last=${want[-1]}
banner='^kernel: booted'
# Whether the log's last wanted boot (boot `boots`) shows the last marker.
last_boot_done() {
  awk -v n="$boots" -v m="$last" -v banner="$banner" \
    '$0 ~ banner { b++ } b == n && index($0, m) { found = 1 } END { exit !found }' "$log"
}

rm -f "$log"
: >"$log"
# The scratch disk blkd drives: 2 MiB of zeros with a GPT (fixed GUIDs, so the same
# bytes every boot) holding `scratch` (LBAs 2048..3071, which selftest-client may use)
# and `private` (3072..3583, which nobody may), serial `disk0` (how blkd names the
# whole disk). docs/architecture/blkd.md.
disk=$out/scratch.img
linux_data=0FC63DAF-8483-4772-8E79-3D69D8477DE4
scratch_start=2048 scratch_size=1024 private_start=3072 private_size=512
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
${SCRATCH_EXTRA:+start=3584, size=448, type=$linux_data, uuid=6E657875-732D-4B00-8000-657874726100, name=$SCRATCH_EXTRA}
EOF
# selftest-client's mode line: sector 512 of `scratch` (src/churn.rs); zeros run the
# selftests.
mode_line=""
[ -n "${SELFTEST_MODE:-}" ] && mode_line="nx-selftest-mode $SELFTEST_MODE"
printf '%s\n' "$mode_line" | head -c 512 | dd of="$disk" bs=512 seek=$((scratch_start + 512)) \
  count=1 conv=notrunc,sync status=none
# The first -device lands on the highest virtio-mmio slot and grants go lowest slot
# first, so the image disk (`os`, added last of the two) is blkd's grant 0 and the
# scratch disk its grant 1 (docs/architecture/blkd.md).
qemu=(qemu-system-riscv64 -machine virt -cpu rv64 -smp 1 -m 128M -bios default
  -display none -monitor none -serial "file:$log"
  -drive "file=$disk,format=raw,if=none,id=hd0"
  -device virtio-blk-device,drive=hd0,serial=disk0
  -drive "file=$image,format=raw,if=none,id=hd1"
  -device virtio-blk-device,drive=hd1,serial=os
  -device virtio-rng-device
  -kernel "$boot/kernel" -initrd "$boot/initrd")
[ -n "${KERNEL_ARGS:-}" ] && qemu+=(-append "$KERNEL_ARGS")
start_ns=$(date +%s%N)
timeout "$timeout_spec" "${qemu[@]}" &
qemu_pid=$!
status=0
if [ "${RUN_UNTIL_MARKER:-0}" = 1 ] && [ -z "${EXPECT_FAIL:-}" ]; then
  # Poll the log; stop QEMU once the last marker (or a failure) shows up.
  while kill -0 "$qemu_pid" 2>/dev/null; do
    if last_boot_done || grep -qE 'FAIL|PANIC|panic' "$log"; then
      kill "$qemu_pid" 2>/dev/null || true
      break
    fi
    sleep 0.05
  done
  wait "$qemu_pid" || status=$?
  # Killed on purpose after the last marker: not a failure in itself.
  if last_boot_done; then status=0; fi
else
  wait "$qemu_pid" || status=$?
fi
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

# The OS's own lines: each boot's, from its kernel's first line on, up to the firmware
# banner of the next boot (OpenSBI's banner comes before each kernel on the same UART).
os_log=$(awk '/^kernel: /{on=1} /^OpenSBI v/{on=0} on' "$log")
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
# Ordered check, boot by boot: each marker must appear in its boot's part of the log (from
# that boot's banner to the next), on a line after the previous marker's line. Then the
# number of boots: a boot the markers do not expect is a failure too (with
# RUN_UNTIL_MARKER=1, QEMU is stopped in the last one).
missing=$(paste -d '\t' <(printf '%s\n' "${section[@]}") <(printf '%s\n' "${want[@]}") |
  awk -v logfile=<(printf '%s\n' "$os_log") -v boots="$boots" -v banner="$banner" '
  function pattern(m) {
    gsub(/[][\\.^$*+?(){}|\/]/, "\\\\&", m)
    gsub(/<[^<>]*>/, "[^[:space:]]+", m)
    return m
  }
  BEGIN { n = 0 }
  {
    tab = index($0, "\t")
    boot[n] = substr($0, 1, tab - 1) + 0
    raw[n] = substr($0, tab + 1)
    want[n] = pattern(raw[n])
    n++
  }
  END {
    i = 0; b = 0
    while ((getline line < logfile) > 0) {
      if (line ~ banner) b++
      if (i < n && boot[i] == b && line ~ want[i]) i++
    }
    if (i < n) { print "boot " boot[i] ": " raw[i]; exit }
    if (b != boots) print "boots: the log has " b ", the markers expect " boots
  }')
if [ -z "$fail" ] && [ -n "$missing" ]; then
  case $missing in
    boots:*) fail="$missing" ;;
    *) fail="missing marker: $missing" ;;
  esac
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
# The persist proof (boot 1 wrote, boot 2 read back): the header sector at scratch LBA
# 600 (the line `persist written` 32 times) and 256 sectors after it, each the line
# `persist lba NNN` 32 times.
persist_lines() { for i; do for _ in $(seq 32); do printf 'persist lba %03d\n' "$i"; done; done; }
if [ -z "$fail" ] && grep -qF 'SELFTEST: disk persist ok' <<<"$os_log"; then
  if ! cmp -s <(sectors $((scratch_start + 600)) 1) <(for _ in $(seq 32); do printf 'persist written\n'; done) ||
    ! cmp -s <(sectors $((scratch_start + 601)) 256) <(persist_lines $(seq 0 255)); then
    fail="disk: the persist header and pattern are not at their place in scratch"
  fi
fi
# The store the OS wrote, read on the host with the same statefs crate (`nx state`): the
# file selftest-client wrote through statefsd in boot 1 (each 16-byte line
# `persist NNNNN  ` and a newline, 2,560 times), whole.
if [ -z "$fail" ] && grep -qF 'SELFTEST: state persist ok' <<<"$os_log"; then
  if ! cmp -s <("$nx" state cat --image "$image" settings/selftest/persist 2>/dev/null) \
    <(for i in $(seq 0 2559); do printf 'persist %05d  \n' "$i"; done); then
    fail="state: nx state cat of settings/selftest/persist in $image is not what the OS wrote"
  fi
fi
# The crash dumps the OS wrote through crashd and statefsd, read on the host out of the
# image (`nx crash`, the host's statefs and nxcd): the last boot's dump is listed, and
# symbolized with an index of the crash-demo ELF it names crash-demo's call chain,
# crash_middle as inlined into crash_outer; every frame's functions, files and lines are
# binutils' (`addr2line -f -i -C` of the pc, or of pc - 1 for a return address; the
# programs are static, so a pc is its link-time address).
addr2line_frames() {
  local line addr
  while IFS= read -r line; do
    [[ $line =~ ^\ \ \#([0-9]+)\ \ 0x([0-9a-f]+)\  ]] || continue
    printf '%s\n' "$line"
    addr=$((16#${BASH_REMATCH[2]}))
    [ "${BASH_REMATCH[1]}" = 0 ] || addr=$((addr - 1))
    riscv64-linux-gnu-addr2line -f -i -C -e "$bin_dir/crash-demo" "$(printf '0x%x' "$addr")" |
      sed 's/ (discriminator [0-9]*)$//' | paste - - |
      awk -F'\t' 'NR == 1 { printf "      %s at %s\n", $1, $2; next }
        { printf "       (inlined by) %s at %s\n", $1, $2 }'
  done <<<"$1"
}
if [ -z "$fail" ] && grep -qF 'SELFTEST: crash dump ok' <<<"$os_log"; then
  dump_id=$(grep -o 'crashd: dump written (id=[0-9]*-crash-demo-[^ ]*' <<<"$os_log" | tail -n 1 |
    sed 's/.*id=//')
  symbols=$out/symbols.nxsym
  rm -f "$symbols"
  if ! "$target_dir/debug/nxsym" index --out "$symbols" "$bin_dir/crash-demo" >/dev/null; then
    fail="crash: nxsym index of $bin_dir/crash-demo failed"
  elif ! "$nx" crash ls --image "$image" | grep -qF -- "$dump_id"; then
    fail="crash: nx crash ls --image $image does not list the dump $dump_id"
  elif ! shown=$("$nx" crash show --image "$image" "$dump_id" --sym "$symbols"); then
    fail="crash: nx crash show --image $image $dump_id failed"
  else
    for line in 'crash_demo::crash_inner at ' 'crash_demo::crash_middle at ' \
      '(inlined by) crash_demo::crash_outer at ' 'crash_demo::main at '; do
      if ! grep -qF -- "$line" <<<"$shown"; then
        fail="crash: nx crash show of $dump_id has no frame line '$line'"
        break
      fi
    done
    frames=$("$nx" crash show --image "$image" "$dump_id" --sym "$symbols" --all-frames \
      --no-pager | sed -n '/^frames:/,/^$/p' | sed '1d;/^$/d')
    if [ -z "$fail" ] && [ "$(grep -c '^  #' <<<"$frames")" -lt 4 ]; then
      fail="crash: nx crash show --all-frames of $dump_id shows fewer than 4 frames"
    elif [ -z "$fail" ] && ! diff <(printf '%s\n' "$frames") <(addr2line_frames "$frames") >&2; then
      fail="crash: the frames nx crash show gives for $dump_id are not addr2line's"
    fi
  fi
fi
if [ -n "$fail" ]; then
  say "FAIL: $fail (log: $log)"
  case $missing in boots:* | "") ;; *) say "first missing marker: $missing" ;; esac
  tail -n 20 "$log" >&2
  exit 1
fi
say "ok: ${#want[@]} markers in order over $boots boot(s) in ${elapsed_ms} ms (log: $log)"
