//! Links this program with the user runtime's layout (base 0x4001_0000, build-id kept).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    println!("cargo:rustc-link-arg-bins=-T{dir}/../../libs/nexus-rt/user.ld");
    println!("cargo:rerun-if-changed=../../libs/nexus-rt/user.ld");
}
