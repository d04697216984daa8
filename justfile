# Developer recipes. `make test` and `make run` call into these after bootstrap.

set shell := ["bash", "-euo", "pipefail", "-c"]

os_target := "riscv64gc-unknown-none-elf"
# Domain crates that must build without std for the OS target.
no_std_crates := "nxcd symindex logd nexus-log signing updates abi initrd kernel-core samgrd-api blkd-api statefsd-api crashd-api execd-api init-api image flash reset statefs"
# OS programs (workspace members, not default members): built for the OS target only.
# The list is scripts/os-programs (package, folder); this is it as cargo arguments.
os_programs := `sed -e 's/#.*//' scripts/os-programs | awk 'NF { printf "-p %s ", $1 }'`

default:
    @just --list

# Every test and check, as CI runs them.
test: fmt-check clippy test-host diag-os clippy-os test-os

fmt-check:
    cargo fmt --all --check

# Host crates (the workspace's default members); OS programs are linted by clippy-os.
clippy:
    cargo clippy --all-targets --locked -- -D warnings

test-host:
    cargo test --locked

# Build each no_std domain crate for the OS target without default features.
diag-os:
    source scripts/os-env.sh; \
    for c in {{no_std_crates}}; do \
        echo "diag-os: $c"; \
        cargo build --locked -p "$c" --no-default-features --target {{os_target}}; \
    done

# Build the kernel and the OS programs (release: what the marker runs boot).
build-os:
    source scripts/os-env.sh; cargo build --locked --release --target {{os_target}} {{os_programs}}

# Lint the OS programs for their target.
clippy-os:
    source scripts/os-env.sh; cargo clippy --locked --target {{os_target}} {{os_programs}} -- -D warnings

# NX_BLESS=1 is the one variable every test with a committed expectation honours
# (docs/architecture/workspace.md); review the changes before committing them.
# Regenerate every golden file, seed corpus and generated schema file, then list changes.
bless:
    NX_BLESS=1 cargo test --locked
    git status --short

# Boot the OS in QEMU and check the ordered markers (knobs: RUN_UNTIL_MARKER=1,
# RUN_TIMEOUT=90s; see scripts/qemu-test.sh).
test-os:
    EXPECT_LINE='kernel: address spaces tagged' bash scripts/qemu-test.sh
    # Again on address spaces without ASIDs (every switch with a full fence).
    SKIP_BUILD=1 KERNEL_ARGS=asid=off EXPECT_LINE='kernel: address spaces untagged' bash scripts/qemu-test.sh
    # The failure paths: a kernel trap, a boot panic, a first program that faults.
    bash scripts/qemu-fail-test.sh
    # Three power cuts of the state store (just test-os-faults runs more).
    SKIP_BUILD=1 bash scripts/qemu-state-faults.sh 3

# Power cuts of the state store in QEMU: cut while files are written, replaced and
# removed through statefsd, boot again, check every file is whole (scripts/qemu-state-faults.sh).
test-os-faults trials="20":
    bash scripts/qemu-state-faults.sh {{trials}}

# The state store's host power-cut torture at length (make test runs 1,000 cuts).
test-statefs-faults cuts="20000":
    STATEFS_CUTS={{cuts}} cargo test --locked --release -p statefs --test power_cut -- --nocapture

# os-lite figures: null syscall, address-space switch, IPC round trip, boot time, text size.
bench-os:
    bash scripts/bench/os.sh

# The main job: build everything and the image, boot it in QEMU showing its marker
# sequence (crash-demo faults and crashd stores its dump in the image), read the dump
# out of the image and show it symbolized; then the same pipeline for a host program.
run:
    SHOW=1 bash scripts/qemu-test.sh
    bash scripts/demo-os.sh
    bash scripts/demo.sh

# The crash pipeline on the host alone: a host program panics, its dump is symbolized.
demo-host:
    bash scripts/demo.sh

# Benchmarks, each beside its peer tool in the same run.
bench:
    bash scripts/bench/crash.sh
    bash scripts/bench/logd.sh
    bash scripts/bench/updates.sh
    bash scripts/bench/provisioning.sh
    bash scripts/bench/statefs.sh
    just bench-os

# Fuzz every parser for a while (nightly toolchain; installs cargo-fuzz when missing).
fuzz seconds="60":
    bash scripts/fuzz.sh {{seconds}}

host_tools := "nx nxsym nxb-pack nxs-pack"

# Man pages of the host tools (clap_mangen, one page per command) into DIR.
man dir="target/man/man1":
    cargo build --locked --release {{ replace_regex(host_tools, '(\S+)', '-p $1') }}
    for t in {{host_tools}}; do target/release/$t man --out "{{dir}}"; done

# Install the host tools with their man pages and bash, zsh and fish completions under
# PREFIX (default: ~/.local): bin/, share/man/man1/, and each shell's completion folder.
install prefix=env_var_or_default("PREFIX", home_directory() / ".local"):
    for t in {{host_tools}}; do \
        cargo install --locked --quiet --path tools/$t --root "{{prefix}}" --target-dir "${CARGO_TARGET_DIR:-target}"; \
    done
    mkdir -p "{{prefix}}/share/bash-completion/completions" "{{prefix}}/share/zsh/site-functions" "{{prefix}}/share/fish/vendor_completions.d"
    for t in {{host_tools}}; do \
        "{{prefix}}/bin/$t" man --out "{{prefix}}/share/man/man1"; \
        "{{prefix}}/bin/$t" completions bash > "{{prefix}}/share/bash-completion/completions/$t"; \
        "{{prefix}}/bin/$t" completions zsh > "{{prefix}}/share/zsh/site-functions/_$t"; \
        "{{prefix}}/bin/$t" completions fish > "{{prefix}}/share/fish/vendor_completions.d/$t.fish"; \
    done
