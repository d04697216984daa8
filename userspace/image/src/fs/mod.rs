//! File adapters (feature `std`): building an image file from segment files, verifying an
//! image against its manifest and signature, extracting a segment, and checking a
//! command's outputs before any work. One module per role:
//!
//! - [`build`](build()): the steps of `nx image build`. The outputs are checked first
//!   (each has an existing directory and a path of its own, none is an input), then each
//!   segment is streamed once into a fresh temporary image (gaps stay holes and read as
//!   zeros) while it is hashed, the GPT regions derived from the digests are written and
//!   the whole image is hashed. The signature and the manifest are staged too; only when
//!   all are written and fsynced are they renamed into place together (image, signature,
//!   manifest last) by one staged commit of the `durable` crate, which undoes the earlier
//!   renames if a later one fails. A failure leaves no partial output.
//! - [`verify_image`] and [`check_signature`]: an image against its manifest, a manifest
//!   against trusted keys.
//! - [`extract`]: one segment of an image to a file, written atomically.
//! - [`read_manifest`], [`read_signature`], [`open_image`], [`read_gpt`],
//!   [`check_gpt_extent`]: reading an image's files, with sizes capped.
//! - [`check_outputs`]: a command's outputs, before any work.
//!
//! Every error names the file it is about ([`FsError::path`]); the few that are about the
//! image as a whole (a range that differs, a segment missing from it) or about the
//! arguments (a profile rule) name none, and the command puts them in its own context.

mod build;
mod error;
mod extract;
mod outputs;
mod read;
mod verify;

pub use build::{build, check_profile, BuildRequest, Built};
pub use error::{FsError, SizeBasis};
pub use extract::extract;
pub use outputs::check_outputs;
pub use read::{
    check_gpt_extent, default_signature_path, open_image, read_gpt, read_manifest, read_signature,
};
pub use verify::{check_signature, verify_image, VerifyReport};

/// Size of the read buffer used for streaming.
const BUF_LEN: usize = 1 << 20;
