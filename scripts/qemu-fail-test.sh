#!/usr/bin/env bash
# The os-lite failure paths, each a boot that must stop QEMU with a failing status and
# say why: a trap taken in the kernel (`crash=trap` on its command line), an initrd
# without a boot manifest (a boot panic), a first program that faults (the kernel
# ends the machine when init ends badly), a disk without a GPT and a partition name on
# both disks (blkd ends, never having said it is ready, and init fails the boot). Uses the kernel and programs that
# scripts/qemu-test.sh built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target_dir=${CARGO_TARGET_DIR:-target}
bin_dir=$target_dir/riscv64gc-unknown-none-elf/release
out=$target_dir/os/fail
mkdir -p "$out"
mkinitrd=$target_dir/release/mkinitrd

SKIP_BUILD=1 KERNEL_ARGS=crash=trap \
  EXPECT_FAIL='KERNEL PANIC: trap in the kernel: scause 0xd stval 0x40000000' \
  bash scripts/qemu-test.sh

"$mkinitrd" "$out/no-manifest.img" "init=$bin_dir/init"
SKIP_BUILD=1 INITRD="$out/no-manifest.img" \
  EXPECT_FAIL='KERNEL PANIC: boot: initrd: missing or malformed boot.manifest' \
  bash scripts/qemu-test.sh

printf 'fault-illegal\n' >"$out/faulting.manifest"
"$mkinitrd" "$out/faulting-first.img" "boot.manifest=$out/faulting.manifest" \
  "fault-illegal=$bin_dir/fault-illegal"
SKIP_BUILD=1 INITRD="$out/faulting-first.img" \
  EXPECT_FAIL='kernel: FAIL: fault-illegal ended with -3' \
  bash scripts/qemu-test.sh

SKIP_BUILD=1 SCRATCH_GPT=0 \
  EXPECT_FAIL='blkd: FAIL: disk disk0: partition table: LBA 0 is not a protective MBR' \
  bash scripts/qemu-test.sh
if grep -qF 'blkd: ready' "$target_dir/os/uart.log"; then
  printf 'qemu-fail-test: FAIL: blkd said it was ready on a disk without a GPT\n' >&2
  exit 1
fi

# A partition name on both disks (the image's `state` on the scratch disk too).
SKIP_BUILD=1 SCRATCH_EXTRA=state \
  EXPECT_FAIL='blkd: FAIL: disk disk0: GPT partition name state is also a partition of disk os: names must be unique across disks' \
  bash scripts/qemu-test.sh
if grep -qF 'blkd: ready' "$target_dir/os/uart.log"; then
  printf 'qemu-fail-test: FAIL: blkd said it was ready with a partition name on two disks\n' >&2
  exit 1
fi
