# Developer recipes. `make test` and `make run` call into these after bootstrap.

set shell := ["bash", "-euo", "pipefail", "-c"]

os_target := "riscv64gc-unknown-none-elf"
# Domain crates that must build without std for the OS target.
no_std_crates := "nxcd symindex logd nexus-log signing updates"

default:
    @just --list

# Every test and check, as CI runs them.
test: fmt-check clippy test-host diag-os

fmt-check:
    cargo fmt --all --check

# Host crates (the workspace's default members); OS programs are linted by clippy-os.
clippy:
    cargo clippy --all-targets --locked -- -D warnings

test-host:
    cargo test --locked

# Build each no_std domain crate for the OS target without default features.
diag-os:
    for c in {{no_std_crates}}; do \
        echo "diag-os: $c"; \
        cargo build --locked -p "$c" --no-default-features --target {{os_target}}; \
    done

# The main job: an end-to-end demo of the crash pipeline on the host.
run:
    bash scripts/demo.sh

# Benchmarks, each beside its peer tool in the same run.
bench:
    bash scripts/bench/crash.sh
    bash scripts/bench/logd.sh
    bash scripts/bench/updates.sh

# Fuzz every parser for a while (nightly toolchain; installs cargo-fuzz when missing).
fuzz seconds="60":
    bash scripts/fuzz.sh {{seconds}}
