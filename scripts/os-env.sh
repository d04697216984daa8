# Sourced by every build of the OS programs (the justfile's OS recipes and
# scripts/qemu-test.sh): the paths compiled into the OS's ELFs (DWARF, panic locations)
# name the checkout as /nexus and the cargo home as /cargo, wherever they are on the
# building machine, so an OS program's bytes, and so its GNU build-id and the image,
# depend on the sources and the toolchain only. Cargo joins the Rust list to the target's
# rustflags in .cargo/config.toml; the C flags (littlefs) are that file's, plus the same
# mapping.
_os_here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_os_real=$(cd "$_os_here" && pwd -P)
_os_flags="--remap-path-prefix=$_os_here=/nexus"
[ "$_os_real" = "$_os_here" ] || _os_flags="$_os_flags --remap-path-prefix=$_os_real=/nexus"
_os_cargo=${CARGO_HOME:-$HOME/.cargo}
export CARGO_TARGET_RISCV64GC_UNKNOWN_NONE_ELF_RUSTFLAGS="$_os_flags --remap-path-prefix=$_os_cargo=/cargo"
_os_cflags=$(sed -n 's/^CFLAGS_riscv64gc_unknown_none_elf = "\(.*\)"$/\1/p' "$_os_here/.cargo/config.toml")
export CFLAGS_riscv64gc_unknown_none_elf="$_os_cflags ${_os_flags//--remap-path-prefix=/-ffile-prefix-map=} -ffile-prefix-map=$_os_cargo=/cargo"
unset _os_here _os_real _os_flags _os_cargo _os_cflags
