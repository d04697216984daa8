//! Links the kernel with its linker script (base 0x8020_0000, build-id note kept).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rustc-link-arg-bins=-T{dir}/src/linker.ld");
    println!("cargo:rerun-if-changed=src/linker.ld");
}
