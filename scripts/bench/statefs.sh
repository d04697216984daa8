#!/usr/bin/env bash
# The state store's figures on the host: write and sync of a 64 KiB file beside a memcpy
# of it, the mount of a store of 1,000 files beside littlefs-python mounting the same
# store (its own build of littlefs's C), and the space of 100 dumps of 16 KiB beside the
# payload. Writes target/bench/statefs.md (under CARGO_TARGET_DIR when set).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
target_dir=${CARGO_TARGET_DIR:-target}
python="$target_dir/tools/venv/bin/python3"
[ -x "$python" ] || { echo "statefs bench: $python missing; run scripts/bootstrap.sh" >&2; exit 1; }

cargo build --locked --release -p statefs --example measure
mkdir -p "$target_dir/bench"
store="$target_dir/bench/statefs-1000.bin"
{
  echo "# statefs (host, release)"
  echo
  echo "| what | statefs | reference |"
  echo "| --- | --- | --- |"
  "$target_dir/release/examples/measure" "$store"
  "$python" - "$store" <<'PY'
import sys, time
from littlefs import LittleFS, UserContext
data = open(sys.argv[1], "rb").read()[4096:]
blocks = len(data) // 4096
times = []
for _ in range(21):
    ctx = UserContext(blocks * 4096)
    ctx.buffer = bytearray(data[:blocks * 4096])
    fs = LittleFS(context=ctx, block_size=4096, block_count=blocks, read_size=512,
                  prog_size=512, mount=False)
    t = time.perf_counter()
    fs.mount()
    times.append(time.perf_counter() - t)
    n = sum(len(files) for _, _, files in fs.walk("/"))
    assert n == 1000, n
times.sort()
print(f"| mount, 1,000 files (littlefs-python) | | {times[10] * 1e3:.3f} ms |")
PY
} | tee "$target_dir/bench/statefs.md"
