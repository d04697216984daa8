//! The Cap'n Proto schemas of `tools/nexus-idl/schemas/`, as generated Rust code.
//!
//! The generated files are committed so that a build needs no `capnp` compiler; the
//! `updates_host` test `schema_drift` regenerates them with the compiler that
//! `scripts/bootstrap.sh` installs and fails when they differ from the schema.
//! Application code uses the domain types ([`crate::BundleManifest`],
//! [`crate::SystemSetIndex`]) rather than these readers and builders.
//!
//! Lints are relaxed for the generated modules only: they lack docs, and their text and
//! data setters `unwrap` a copy into a heap-allocated builder that cannot fail.

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used)]
pub mod manifest_capnp;

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used)]
pub mod system_set_capnp;
