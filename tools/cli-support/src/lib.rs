//! What the project's host binaries (`nx`, `nxsym`, `nxb-pack`, `nxs-pack`) share, so
//! that the four cannot drift:
//!
//! - [`exit`]: the one exit status table and the `main() -> ExitCode` epilogue (errors
//!   as `error: <cause chain>` on stderr, a closed stdout not an error);
//! - [`size`]: size arguments (`512K`, `16M`, `16MiB`, `16MB`) for every size limit;
//! - [`version`]: the `--version` text (package version, build commit, formats);
//! - [`generate`]: shell completions and man pages from the clap definition.

pub mod exit;
pub mod generate;
pub mod size;
pub mod version;

pub use exit::{classified, finish, usage, Classify, Exit};
