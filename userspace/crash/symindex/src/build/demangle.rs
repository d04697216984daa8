//! Demangling as `addr2line -C` prints names: Rust (legacy and v0) without the hash,
//! C++ through the Itanium ABI demangler, anything else unchanged.

use std::format;
use std::string::{String, ToString};

/// The demangled form of `name`, or `name` itself when it is not mangled.
pub fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        return format!("{d:#}");
    }
    if name.starts_with("_Z") {
        if let Ok(sym) = cpp_demangle::Symbol::new(name) {
            if let Ok(d) = sym.demangle() {
                return d;
            }
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn demangles_rust_legacy_without_hash() {
        assert_eq!(
            demangle("_ZN5chain5outer17h271ee1471a6f4971E"),
            "chain::outer"
        );
    }

    #[test]
    fn demangles_rust_v0() {
        assert_eq!(demangle("_RNvCs1234_5chain5outer"), "chain::outer");
    }

    #[test]
    fn demangles_cpp() {
        assert_eq!(demangle("_ZN3foo3barEi"), "foo::bar(int)");
    }

    #[test]
    fn leaves_c_names_alone() {
        assert_eq!(demangle("memcpy"), "memcpy");
    }
}
