#!/usr/bin/env bash
# Runs every cargo-fuzz target of the project for a while (default 60 s each), on the
# nightly toolchain, starting from each target's committed seed corpus. New inputs found
# go to a scratch corpus under target/fuzz-corpus/ (under CARGO_TARGET_DIR when set), not
# into the committed seeds; crashes land in the fuzz folder's artifacts/ and make the
# script fail.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
# Absolute: each target runs from its crate's folder.
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo +nightly install cargo-fuzz --locked
fi

status=0
while IFS= read -r manifest; do
  dir=$(dirname "$manifest")
  for target in $(cargo +nightly fuzz list --fuzz-dir "$dir"); do
    seeds="$dir/corpus/$target"
    scratch="$target_dir/fuzz-corpus/$(basename "$(dirname "$dir")")/$target"
    mkdir -p "$scratch"
    echo "fuzz: $dir $target for ${seconds}s"
    if ! (cd "$(dirname "$dir")" && cargo +nightly fuzz run --fuzz-dir fuzz "$target" \
        "$scratch" "$OLDPWD/$seeds" -- -max_total_time="$seconds"); then
      echo "fuzz: $target found a crash (see $dir/artifacts/$target)" >&2
      status=1
    fi
  done
done < <(git ls-files '*/fuzz/Cargo.toml')
exit $status
