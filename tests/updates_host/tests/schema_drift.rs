//! The committed generated code of the Cap'n Proto schemas matches the schemas: the
//! `capnp` compiler (installed by `scripts/bootstrap.sh`) regenerates it here and the
//! result must equal the committed files, apart from the compiler's version comment.
//! `NX_BLESS=1` rewrites the committed files instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `//!` header the committed files carry above the generated code.
fn doc_header(schema: &str, root_type: &str) -> String {
    format!(
        "//! Generated Cap'n Proto code for `tools/nexus-idl/schemas/{schema}` (`{root_type}`).\n\
         //! Do not edit: regenerate with `NX_BLESS=1 cargo test -p updates_host --test schema_drift`,\n\
         //! which also fails when this file and the schema drift apart.\n"
    )
}

/// Drops the line naming the compiler version, which may differ between machines.
fn comparable(code: &str) -> String {
    code.lines()
        .filter(|l| !l.starts_with("// capnp binary version:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn generated_code_matches_the_schemas() {
    let schemas = root().join("tools/nexus-idl/schemas");
    let out = tempfile::tempdir().unwrap();
    capnpc::CompilerCommand::new()
        .src_prefix(&schemas)
        .file(schemas.join("manifest.capnp"))
        .file(schemas.join("system-set.capnp"))
        .default_parent_module(vec!["schema".into()])
        .output_path(out.path())
        .run()
        .expect("the capnp compiler is installed by scripts/bootstrap.sh");
    for (file, schema, root_type) in [
        ("manifest_capnp.rs", "manifest.capnp", "BundleManifest"),
        ("system_set_capnp.rs", "system-set.capnp", "SystemSetIndex"),
    ] {
        let generated = fs::read_to_string(out.path().join(file)).unwrap();
        let expected = doc_header(schema, root_type) + &generated;
        let committed_path = root().join("userspace/updates/src/schema").join(file);
        if test_harness::blessing() {
            fs::write(&committed_path, &expected).unwrap();
        }
        let committed = fs::read_to_string(&committed_path).unwrap();
        assert!(
            comparable(&committed) == comparable(&expected),
            "{} is out of date with tools/nexus-idl/schemas/{schema}: run \
             NX_BLESS=1 cargo test -p updates_host --test schema_drift",
            committed_path.display()
        );
    }
}
