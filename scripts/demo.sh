#!/usr/bin/env bash
# The main job (`make run`): the crash pipeline end to end on the host, with real tools
# on a real crash.
#
#   1. build nx, nxsym (release) and crash-demo (profile demo-subject: optimized, full DWARF);
#   2. run crash-demo: it panics in validate() and its panic hook writes a .nxcd dump
#      (raw return addresses, module map with Build-IDs, its log records);
#   3. index its symbols by Build-ID, from the binary as built and, as a release would
#      ship it, from a stripped copy plus a separate debug file (--debug-dir);
#   4. nx crash ls / show / export on the dump directory;
#   5. check that show names the demo's call chain with files, lines and the inlined
#      frame, and that the stripped flow resolves the same frames.
#
# Each command is printed before it runs (`+ ...`). Work files go to target/demo/, made
# fresh on every run. Prints `demo: crash pipeline ok` only when every check passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${CARGO_TARGET_DIR:-target}
work=$target/demo
src=tests/crashdump_v2_host/src/bin/crash-demo.rs

say() { printf 'demo: %s\n' "$*"; }
die() { say "error: $*" >&2; exit 1; }
# Prints a command, then runs it.
run() { printf '+ %s\n' "$*"; "$@"; }
# Prints a command, then runs it with its output shown and kept in the file $1.
run_tee() { local out=$1; shift; printf '+ %s\n' "$*"; "$@" | tee "$out"; }
# Prints a command, then runs it with its output kept in the file $1 only.
run_into() { local out=$1; shift; printf '+ %s > %s\n' "$*" "$out"; "$@" >"$out"; }

for tool in cargo objcopy strip; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/bootstrap.sh first"
done

# --- 1. build -------------------------------------------------------------------------
run cargo build --locked --release -p nx -p nxsym --bin nx --bin nxsym
run cargo build --locked --profile demo-subject -p crashdump_v2_host --bin crash-demo
case $target in
  /*) export PATH="$target/release:$PATH" ;;
  *) export PATH="$PWD/$target/release:$PATH" ;;
esac
demo_bin=$target/demo-subject/crash-demo

rm -rf "$work"
mkdir -p "$work/crash" "$work/ship" "$work/debug"

# --- 2. crash -------------------------------------------------------------------------
echo
say "crash-demo loads a config with retries = 0 and divides by it"
status=0
run "$demo_bin" --out-dir "$work/crash" || status=$?
[ "$status" -eq 101 ] || die "crash-demo exited with $status, expected 101 (a Rust panic)"
shopt -s nullglob
dumps=("$work"/crash/*.nxcd)
shopt -u nullglob
[ "${#dumps[@]}" -eq 1 ] || die "expected one dump in $work/crash, found ${#dumps[@]}"
id=$(basename "${dumps[0]}" .nxcd)

# --- 3. symbols -----------------------------------------------------------------------
echo
say "index the symbols of the binary, keyed by its Build-ID"
run nxsym index "$demo_bin" -o "$work/symbols.nxsym"
echo
say "as shipped: a stripped binary, its DWARF kept in a separate debug file"
run objcopy --only-keep-debug "$demo_bin" "$work/debug/crash-demo.debug"
run strip --strip-all -o "$work/ship/crash-demo" "$demo_bin"
run objcopy --add-gnu-debuglink="$work/debug/crash-demo.debug" "$work/ship/crash-demo"
run nxsym index "$work/ship/crash-demo" --debug-dir "$work/debug" -o "$work/symbols-stripped.nxsym"
run nxsym ls --sym "$work/symbols-stripped.nxsym"

# --- 4. triage ------------------------------------------------------------------------
echo
run_tee "$work/ls.txt" nx crash ls --dir "$work/crash"
echo
run_tee "$work/show.txt" nx crash show "$id" --dir "$work/crash" --sym "$work/symbols.nxsym"
echo
say "the same dump, symbolized through the stripped binary's index"
run_into "$work/show-stripped.txt" \
  nx crash show "$id" --dir "$work/crash" --sym "$work/symbols-stripped.nxsym"
echo
run nx crash export "$id" --dir "$work/crash" --sym "$work/symbols.nxsym" --out "$work/$id.json"

# --- 5. checks ------------------------------------------------------------------------
echo
missing=()
# The line of the demo's source that holds `text`, exactly once.
line_of() {
  local n
  n=$(grep -n -F -- "$1" "$src" | cut -d: -f1)
  [[ $n =~ ^[0-9]+$ ]] || die "cannot find the line '$1' in $src exactly once"
  printf '%s' "$n"
}
# The line number in show.txt of the first line matching the regex, or nothing.
where() { grep -n -m1 -E -- "$1" "$work/show.txt" | cut -d: -f1 || true; }

file_re='[^ ]*/crash-demo\.rs'
l_panic=$(line_of 'let per_attempt_ms = config.timeout_ms / config.retries;')
l_validate=$(line_of 'let per_attempt_ms = validate(&config)?;')
l_parse=$(line_of 'let (config, per_attempt_ms) = parse_config(text)?;')

at_validate=$(where "^ +crash_demo::validate at $file_re:$l_panic\$")
at_parse=$(where "^ +crash_demo::parse_config at $file_re:$l_validate\$")
at_main=$(where "^ +(\(inlined by\) )?crash_demo::main at $file_re:[0-9]+\$")
[ -n "$at_validate" ] || missing+=("frame 'crash_demo::validate at crash-demo.rs:$l_panic' (the panic)")
[ -n "$at_parse" ] || missing+=("frame 'crash_demo::parse_config at crash-demo.rs:$l_validate' (its call of validate)")
if [ -n "$at_parse" ]; then
  inlined_by=$(sed -n "$((at_parse + 1))p" "$work/show.txt")
  [[ $inlined_by =~ ^\ +\(inlined\ by\)\ crash_demo::run\ at\ $file_re:$l_parse$ ]] ||
    missing+=("'(inlined by) crash_demo::run at crash-demo.rs:$l_parse' right after parse_config (the inlined frame)")
fi
[ -n "$at_main" ] || missing+=("frame 'crash_demo::main at crash-demo.rs:N'")
if [ -n "$at_validate" ] && [ -n "$at_parse" ] && [ -n "$at_main" ] &&
  ! { [ "$at_validate" -lt "$at_parse" ] && [ "$at_parse" -lt "$at_main" ]; }; then
  missing+=("frames in call order, innermost first: validate, parse_config, main")
fi
grep -q -E "error +svc [0-9]+ crash-demo: panicked: attempt to divide by zero" "$work/show.txt" ||
  missing+=("the error log record 'panicked: attempt to divide by zero'")
grep -q -F "$id" "$work/ls.txt" || missing+=("dump $id in nx crash ls")
cmp -s "$work/show.txt" "$work/show-stripped.txt" ||
  missing+=("the same output with the stripped binary's index (diff $work/show.txt $work/show-stripped.txt)")
grep -q -E '"schema": *"nx\.crash\.show/1"' "$work/$id.json" &&
  grep -q -E '"function": *"crash_demo::validate"' "$work/$id.json" ||
  missing+=("a symbolized nx.crash.show/1 document in $work/$id.json")

if [ "${#missing[@]}" -gt 0 ]; then
  for m in "${missing[@]}"; do say "missing: $m" >&2; done
  die "crash pipeline check failed (${#missing[@]} missing)"
fi
say "crash pipeline ok"
