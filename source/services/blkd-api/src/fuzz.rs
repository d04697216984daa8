//! The body of this crate's fuzz target, one public function named after it. The
//! cargo-fuzz target (`fuzz/fuzz_targets/`) and the corpus replay test
//! (`tests/corpus.rs`) both call it, so the fuzzer and `cargo test` run the same code.
//! Not a stable API.

use crate::access::Grant;
use crate::server::{Disk, PartitionEntry, Volumes};
use crate::{Request, Target, SECTOR};
use abi::ipc::MAX_MSG;
use abi::SysError;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// Sectors of the fuzzed disk: the whole disk, `p` at 4..=11 and `q` at 12..=15.
const DISK_SECTORS: u64 = 16;
const GRANTS: &[Grant] = &[Grant {
    program: "client",
    volume: Target::Partition("p"),
}];

/// A disk in memory that fails the target when asked for a sector off the disk.
struct Bounded(Vec<u8>);

impl Bounded {
    fn range(&self, lba: u64, len: usize) -> core::ops::Range<usize> {
        let start = usize::try_from(lba)
            .unwrap_or(usize::MAX)
            .saturating_mul(SECTOR);
        assert!(
            len.is_multiple_of(SECTOR) && start.saturating_add(len) <= self.0.len(),
            "the handler reached past the disk: lba {lba}, {len} bytes"
        );
        start..start + len
    }
}

impl Disk for Bounded {
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), SysError> {
        let r = self.range(lba, buf.len());
        buf.copy_from_slice(&self.0[r]);
        Ok(())
    }

    fn write(&mut self, lba: u64, data: &[u8]) -> Result<(), SysError> {
        let r = self.range(lba, data.len());
        self.0[r].copy_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SysError> {
        Ok(())
    }
}

/// The `blkd_request` target: decodes `data` as a request and answers it, from a
/// granted and from an ungranted sender, over a 16-sector disk in memory.
///
/// # Panics
///
/// When a decoded request does not encode back to `data`, a reply is empty, over one
/// message or carries an unknown status, a refused request's reply is not its error
/// alone, the disk is asked for a sector off it, or the ungranted sender gets anything
/// but a refusal: the finding the fuzzer reports.
pub fn blkd_request(data: &[u8]) {
    let decoded = Request::decode(data);
    if let Ok(req) = &decoded {
        assert_eq!(req.encode(), data, "a decoded request does not encode back");
    }
    let part = |name: &str, first_lba, last_lba| PartitionEntry {
        name: String::from(name),
        first_lba,
        last_lba,
    };
    let Ok(volumes) = Volumes::new(
        "disk0",
        DISK_SECTORS,
        false,
        &[part("p", 4, 11), part("q", 12, 15)],
    ) else {
        panic!("the fuzzed disk's volumes are refused");
    };
    let mut disk = Bounded(vec![0; DISK_SECTORS as usize * SECTOR]);
    for program in [Some("client"), Some("other"), None] {
        let reply = volumes.handle(GRANTS, program, data, &mut disk);
        let (&status, body) = reply.split_first().unwrap_or((&0xff, &[]));
        assert!(
            !reply.is_empty() && reply.len() <= MAX_MSG,
            "reply of {} bytes",
            reply.len()
        );
        assert!(
            status == 0 || SysError::from_code(usize::from(status)).is_some(),
            "unknown status {status}"
        );
        match &decoded {
            Err(e) => assert_eq!(reply, [*e as u8], "a refused request's reply"),
            Ok(_) if status != 0 => assert!(body.is_empty(), "an error with a body"),
            Ok(_) => assert!(
                program == Some("client"),
                "ungranted sender served: {data:?}"
            ),
        }
    }
}
