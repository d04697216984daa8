//! The power-cut runs of the state store (`just test-os-faults`, scripts/qemu-state-faults.sh).
//! The harness puts a mode line in sector 512 of the `scratch` partition before a boot:
//!
//! - `nx-selftest-mode churn SEED`: instead of the selftests, write, replace and remove
//!   files under `settings/selftest/churn/` through statefsd, a seeded workload, for ever,
//!   printing `churn: begin N OP PATH LEN` before and `churn: done N` after each
//!   operation. The harness cuts the power (kills QEMU) after a seeded `done` line.
//! - `nx-selftest-mode check SEED`: after the cut, boot again: statefsd must mount the
//!   store; every file of the workload must be whole (its header names its operation and
//!   length, and its bytes follow from them); print `churn: found PATH vN` or `churn:
//!   found PATH absent` for each, then `SELFTEST: state cut check ok`. The harness
//!   compares what was found with the operations the first boot finished: each path holds
//!   what the last finished operation left, or what the interrupted one would have.
//!
//! Without a mode line (all zeros, as the harness's disk starts) the selftests run.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use blkd_api::{Target, SECTOR};
use nexus_rt::abi::ServiceId;
use nexus_rt::{println, sys};

/// The workload's files.
const PATHS: [&str; 6] = [
    "settings/selftest/churn/f0",
    "settings/selftest/churn/f1",
    "settings/selftest/churn/f2",
    "settings/selftest/churn/deep/f3",
    "settings/selftest/churn/deep/f4",
    "settings/selftest/churn/deep/er/f5",
];
/// The scratch partition's sector holding the mode line.
const MODE_LBA: u64 = 512;
/// The mode line's prefix.
const MODE: &str = "nx-selftest-mode ";

/// SplitMix64, as the host side's replay of the workload (the harness's checker).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Operation `n` of the workload of `seed`: a path, and a length (`None`: remove).
fn op(seed: u64, n: u64) -> (&'static str, Option<usize>) {
    let r = mix(seed ^ mix(n));
    let path = PATHS[(r % PATHS.len() as u64) as usize];
    if (r >> 8).is_multiple_of(5) {
        (path, None)
    } else {
        // Mostly small files (inline in littlefs's metadata), some over several blocks.
        let len = if (r >> 16).is_multiple_of(3) {
            1 + (r >> 24) % 12_000
        } else {
            64 + (r >> 24) % 400
        };
        (path, Some(len as usize))
    }
}

/// The contents operation `n` writes at `path`: a header naming both, then bytes that
/// follow from `n` alone.
fn contents(path: &str, n: u64, len: usize) -> Vec<u8> {
    let mut out = format!("churn {path} v{n} len {len}\n").into_bytes();
    let mut j = 0u64;
    while out.len() < len {
        out.push((mix(n.wrapping_mul(0x1_0000) + j / 8) >> ((j % 8) * 8)) as u8);
        j += 1;
    }
    out.truncate(len.max(1));
    out
}

/// The mode line in `scratch`, if any: (mode, seed).
fn mode(samgrd: ServiceId) -> Option<(String, u64)> {
    let id = crate::sam(samgrd).lookup(blkd_api::SERVICE_NAME).ok()?;
    let mut c = blkd_api::Client::new(sys::Ipc, id);
    let opened = c.open(Target::Partition("scratch")).ok()?;
    let mut sector = alloc::vec![0u8; SECTOR];
    c.read(opened.handle, MODE_LBA, &mut sector).ok()?;
    let line = core::str::from_utf8(&sector).ok()?;
    let line = line.trim_end_matches('\0').trim_end();
    let rest = line.strip_prefix(MODE)?;
    let (mode, seed) = rest.split_once(' ')?;
    Some((String::from(mode), seed.parse().ok()?))
}

/// Runs the power-cut mode the harness asked for, if any: `Some(exit code)`.
pub fn run_if_asked(samgrd: ServiceId) -> Option<i32> {
    let (mode, seed) = mode(samgrd)?;
    Some(match mode.as_str() {
        "churn" => churn(samgrd, seed),
        "check" => check(samgrd),
        other => {
            println!("SELFTEST: churn FAIL: unknown mode {other:?}");
            1
        }
    })
}

fn churn(samgrd: ServiceId, seed: u64) -> i32 {
    let id = match crate::statefsd(samgrd) {
        Ok(id) => id,
        Err(e) => {
            println!("SELFTEST: churn FAIL: {e}");
            return 1;
        }
    };
    let mut ipc = sys::Ipc;
    let mut c = statefsd_api::Client::new(&mut ipc, id);
    println!("churn: seed {seed}");
    for n in 0.. {
        let (path, len) = op(seed, n);
        let result = match len {
            Some(len) => {
                println!("churn: begin {n} write {path} {len}");
                c.write_file(path, &contents(path, n, len))
            }
            None => {
                println!("churn: begin {n} remove {path} 0");
                match c.remove(path) {
                    Err(statefsd_api::Error::Service(statefsd_api::StoreCode::NotFound)) => Ok(()),
                    r => r,
                }
            }
        };
        if let Err(e) = result {
            println!("SELFTEST: churn FAIL: operation {n} on {path}: {e:?}");
            return 1;
        }
        println!("churn: done {n}");
    }
    0
}

/// Whether `data` is whole contents of some operation at `path`: its version.
fn whole(path: &str, data: &[u8]) -> Result<u64, String> {
    let end = data
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("no header line")?;
    let header = core::str::from_utf8(&data[..end]).map_err(|_| "header not UTF-8")?;
    let rest = header
        .strip_prefix("churn ")
        .and_then(|r| r.strip_prefix(path))
        .and_then(|r| r.strip_prefix(" v"))
        .ok_or("header names another path")?;
    let (n, len) = rest.split_once(" len ").ok_or("malformed header")?;
    let n: u64 = n.parse().map_err(|_| "bad version")?;
    let len: usize = len.parse().map_err(|_| "bad length")?;
    if data.len() != len {
        return Err(format!("{} bytes, the header says {len}", data.len()));
    }
    if contents(path, n, len) != data {
        return Err(format!("v{n}: bytes differ from what was written"));
    }
    Ok(n)
}

fn check(samgrd: ServiceId) -> i32 {
    let id = match crate::statefsd(samgrd) {
        Ok(id) => id,
        Err(e) => {
            println!("SELFTEST: state cut check FAIL: {e}");
            return 1;
        }
    };
    let mut ipc = sys::Ipc;
    let mut c = statefsd_api::Client::new(&mut ipc, id);
    for path in PATHS {
        match c.read_file(path, 1 << 20) {
            Ok(data) => match whole(path, &data) {
                Ok(n) => println!("churn: found {path} v{n}"),
                Err(why) => {
                    println!("SELFTEST: state cut check FAIL: {path}: {why}");
                    return 1;
                }
            },
            Err(statefsd_api::Error::Service(statefsd_api::StoreCode::NotFound)) => {
                println!("churn: found {path} absent")
            }
            Err(e) => {
                println!("SELFTEST: state cut check FAIL: {path}: {e:?}");
                return 1;
            }
        }
    }
    // The store takes writes again after the cut.
    if let Err(e) = c.write_file("settings/selftest/churn/after-cut", b"ok") {
        println!("SELFTEST: state cut check FAIL: write after the cut: {e:?}");
        return 1;
    }
    println!("SELFTEST: state cut check ok");
    0
}
