//! `nx` as docs/devx/nx-cli.md documents it, with examples in every command's help, a
//! `--version` that names the commit and the formats, and completions and man pages for
//! every command (`test_harness::docs_help::check_tool`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn help_docs_version_completions_and_man_pages_agree() {
    test_harness::docs_help::check_tool(
        std::path::Path::new(env!("CARGO_BIN_EXE_nx")),
        "nx",
        env!("CARGO_PKG_VERSION"),
    );
}
