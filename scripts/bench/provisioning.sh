#!/usr/bin/env bash
# Provisioning benchmarks, each beside its peer in the same run:
#  1. the flasher over the deterministic serial-line simulator (goodput vs line rate);
#  2. nx flash send <-> nx flash serve moving a 64 MiB image over a socat pty pair,
#     beside sz/rz (lrzsz, ZMODEM) moving the same bytes over the same kind of pty;
#  3. nx image build from 256 MiB of segments (fsync included) beside cat of the same
#     files into one file followed by sync.
# Sizes can be lowered for a quick run: FLASH_MIB=64 BUILD_MIB=256.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
# Absolute: the runs below work in their own directories.
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")
flash_mib=${FLASH_MIB:-64}
build_mib=${BUILD_MIB:-256}

cargo build --release --locked --quiet -p nx -p provisioning_recovery_v1_0_host --bin nx --bin flash-linksim
nx=$target_dir/release/nx
key=$PWD/keys/test/ed25519.hex
pub=$PWD/keys/test/ed25519.pub
work=$(mktemp -d "${TMPDIR:-/tmp}/nx-bench-prov.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== 1. flasher over the simulated serial line"
"$target_dir/release/flash-linksim"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / 1048576 / s }'; }

pty_pair() { # dir -> prints the socat pid; links $1/a and $1/b
  socat "pty,raw,echo=0,link=$1/a" "pty,raw,echo=0,link=$1/b" >/dev/null 2>&1 &
  local p=$!
  for _ in $(seq 500); do [ -e "$1/a" ] && [ -e "$1/b" ] && break; sleep 0.01; done
  echo "$p"
}

echo
echo "== 2. ${flash_mib} MiB image over a pty pair: nx flash vs ZMODEM (sz/rz)"
mkdir -p "$work/flash"
cd "$work/flash"
head -c $((flash_mib * 1048576 - 4 * 1048576)) /dev/urandom > kernel.bin
"$nx" image build --profile dev --board qemu-virt --system-version 1.0.0 --kernel kernel.bin \
  --out os.img --manifest os.manifest.json --key "$key" > /dev/null 2>&1
size=$(stat -c %s os.img)
p=$(pty_pair "$work/flash"); pids+=("$p")
a=$(readlink -f a); b=$(readlink -f b)
"$nx" flash serve --port "$a" --disk target.img --pub "$pub" 2> serve.log &
pids+=($!)
t0=$(now)
"$nx" flash send --image os.img --manifest os.manifest.json --port "$b" --chunk 65536 > send.out 2> send.err
t1=$(now)
cmp -s os.img target.img || { echo "nx flash: target differs" >&2; exit 1; }
nx_s=$(elapsed "$t0" "$t1")
echo "nx flash send/serve: $size bytes in ${nx_s}s = $(mbps "$size" "$nx_s") MiB/s ($(tail -1 send.out))"
kill "${pids[-1]}" 2>/dev/null || true
mkdir -p "$work/zmodem/rx"
p=$(pty_pair "$work/zmodem"); pids+=("$p")
za=$(readlink -f "$work/zmodem/a"); zb=$(readlink -f "$work/zmodem/b")
cp os.img "$work/zmodem/os.img"
cd "$work/zmodem/rx"
rz -y -q < "$za" > "$za" 2>/dev/null &
rzpid=$!; pids+=("$rzpid")
cd "$work/zmodem"
t0=$(now)
sz -q os.img < "$zb" > "$zb" 2>/dev/null
wait "$rzpid"
t1=$(now)
cmp -s os.img rx/os.img || { echo "zmodem: received file differs" >&2; exit 1; }
z_s=$(elapsed "$t0" "$t1")
echo "sz/rz (ZMODEM):      $size bytes in ${z_s}s = $(mbps "$size" "$z_s") MiB/s"
awk -v a="$nx_s" -v b="$z_s" 'BEGIN { r = b / a; printf "nx flash / ZMODEM throughput: %.2fx (target >= 1.0x): %s\n", r, (r >= 1.0 ? "ok" : "MISSED") }'

echo
echo "== 3. image build from ${build_mib} MiB of segments vs cat + sync"
mkdir -p "$work/build"
cd "$work/build"
part=$((build_mib / 4))
for s in kernel initrd rootfs pkgfs; do head -c $((part * 1048576)) /dev/urandom > "$s.bin"; done
sync
t0=$(now)
cat kernel.bin initrd.bin rootfs.bin pkgfs.bin > cat.img
sync
t1=$(now)
cat_s=$(elapsed "$t0" "$t1")
t0=$(now)
"$nx" image build --profile dev --board qemu-virt --system-version 1.0.0 --kernel kernel.bin \
  --initrd initrd.bin --rootfs rootfs.bin --pkgfs pkgfs.bin --state-size 1M \
  --out os.img --manifest os.manifest.json --key "$key" > /dev/null 2>&1
t1=$(now)
nx_b=$(elapsed "$t0" "$t1")
echo "cat + sync:     ${cat_s}s"
echo "nx image build: ${nx_b}s (hashing, GPT, manifest, signature, fsync)"
awk -v a="$nx_b" -v b="$cat_s" 'BEGIN { r = a / b; printf "nx image build / (cat + sync): %.2fx (target <= 1.5x): %s\n", r, (r <= 1.5 ? "ok" : "MISSED") }'
