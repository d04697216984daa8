//! Power cuts on the host: a block device model that keeps a write only once flushed,
//! and at a seeded write cuts the power, keeping a seeded prefix of the unflushed writes
//! and tearing the next one at a seeded byte. Over thousands of seeded cuts while files
//! are written, replaced and removed: the store mounts after every cut, every operation
//! that returned before the cut is there whole, and no partial file is visible (a path
//! holds its last completed contents, or, for the operation the cut interrupted, its new
//! ones).
//!
//! `STATEFS_CUTS=N` sets the number of cuts (default 1,000, as `make test` runs it;
//! `just test-statefs-faults` runs 20,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use statefs::cache::BlockCache;
use statefs::{BlockDevice, DeviceError, Error, Kind, MemDevice, Store};

/// SplitMix64: a seeded, portable generator (the seeds make every failure replayable).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The device model: `durable` is what survives a cut; `live` is what reads see.
struct CutDevice {
    durable: Vec<u8>,
    live: Vec<u8>,
    pending: Vec<(usize, Vec<u8>)>,
    writes: u64,
    cut_at: u64,
    dead: bool,
}

impl CutDevice {
    fn new(image: Vec<u8>, cut_at: u64) -> CutDevice {
        CutDevice {
            live: image.clone(),
            durable: image,
            pending: Vec::new(),
            writes: 0,
            cut_at,
            dead: false,
        }
    }

    /// The partition after the cut: the durable bytes, a seeded prefix of the unflushed
    /// writes, the next one torn at a seeded byte.
    fn after_cut(mut self, rng: &mut Rng) -> Vec<u8> {
        let keep = rng.below(self.pending.len() as u64 + 1) as usize;
        let mut pending = std::mem::take(&mut self.pending).into_iter();
        for (at, data) in pending.by_ref().take(keep) {
            self.durable[at..at + data.len()].copy_from_slice(&data);
        }
        if let Some((at, data)) = pending.next() {
            let torn = rng.below(data.len() as u64) as usize;
            self.durable[at..at + torn].copy_from_slice(&data[..torn]);
        }
        self.durable
    }
}

impl BlockDevice for CutDevice {
    fn size(&self) -> u64 {
        self.live.len() as u64
    }

    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        if self.dead {
            return Err(DeviceError::Io);
        }
        let at = offset as usize;
        let end = at.checked_add(buf.len()).ok_or(DeviceError::OutOfRange)?;
        buf.copy_from_slice(self.live.get(at..end).ok_or(DeviceError::OutOfRange)?);
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        if self.dead {
            return Err(DeviceError::Io);
        }
        self.writes += 1;
        let at = offset as usize;
        let end = at.checked_add(data.len()).ok_or(DeviceError::OutOfRange)?;
        if end > self.live.len() {
            return Err(DeviceError::OutOfRange);
        }
        self.pending.push((at, data.to_vec()));
        if self.writes == self.cut_at {
            // The power goes while this write is in flight: nothing more reaches the disk.
            self.dead = true;
            return Err(DeviceError::Io);
        }
        self.live[at..end].copy_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        if self.dead {
            return Err(DeviceError::Io);
        }
        for (at, data) in self.pending.drain(..) {
            self.durable[at..at + data.len()].copy_from_slice(&data);
        }
        Ok(())
    }
}

const PATHS: [&str; 7] = [
    "boot/bootctl",
    "crash/1.nxcd",
    "crash/2.nxcd",
    "crash/3.nxcd",
    "settings/net/eth0",
    "trust/keys/extra.pub",
    "content/blob",
];

/// Contents no two writes share: the path, a version, a length.
fn contents(path: &str, version: u64, len: usize) -> Vec<u8> {
    let mut out = format!("{path}#{version}#").into_bytes();
    let mut x = version.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ len as u64;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(x as u8);
    }
    out.truncate(len.max(1));
    out
}

/// One operation of the workload.
#[derive(Clone)]
enum Op {
    Write(&'static str, Vec<u8>),
    Remove(&'static str),
}

fn workload(seed: u64, n: usize) -> Vec<Op> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let path = PATHS[rng.below(PATHS.len() as u64) as usize];
            if rng.below(5) == 0 {
                Op::Remove(path)
            } else {
                // Mostly small files (inline in littlefs's metadata), some spanning blocks.
                let len = match rng.below(4) {
                    0 => 1 + rng.below(20_000) as usize,
                    _ => 1 + rng.below(600) as usize,
                };
                Op::Write(path, contents(path, i as u64, len))
            }
        })
        .collect()
}

/// Applies `op` to the expected state.
fn apply(state: &mut BTreeMap<&'static str, Vec<u8>>, op: &Op) {
    match op {
        Op::Write(p, d) => {
            state.insert(p, d.clone());
        }
        Op::Remove(p) => {
            state.remove(p);
        }
    }
}

fn run<D: BlockDevice>(store: &mut Store<D>, op: &Op) -> Result<(), Error> {
    match op {
        Op::Write(p, d) => store.write(p, d),
        Op::Remove(p) => match store.remove(p) {
            Err(Error::NotFound { .. }) => Ok(()),
            r => r,
        },
    }
}

fn formatted(size: usize) -> Vec<u8> {
    let dev = MemDevice::new_state_partition(size);
    Store::format(dev).unwrap().into_device().bytes
}

/// Every file of the store, by path.
fn files(store: &mut Store<MemDevice>) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in store.walk("").unwrap() {
        if e.kind == Kind::File {
            let data = store.read(&e.path).unwrap();
            assert_eq!(data.len() as u64, e.size, "{}: size", e.path);
            out.insert(e.path, data);
        }
    }
    out
}

/// `cuts` seeded cuts of the workload over the device `wrap` makes of each trial's
/// [`CutDevice`] (and `unwrap` takes back).
fn trials<D: BlockDevice>(
    cuts: u64,
    wrap: impl Fn(CutDevice) -> D,
    unwrap: impl Fn(D) -> CutDevice,
) {
    // A 192 KiB partition (46 blocks): small enough that littlefs reuses blocks, moves
    // metadata and compacts within one workload.
    let base = formatted(192 << 10);
    let ops = workload(0x5eed, 120);

    // The uncut run: how many writes the workload makes.
    let mut uncut = Store::mount(wrap(CutDevice::new(base.clone(), u64::MAX))).unwrap();
    for op in &ops {
        run(&mut uncut, op).unwrap();
    }
    let total = unwrap(uncut.into_device()).writes;
    assert!(total > 200, "the workload makes only {total} writes");

    let mut rng = Rng(0xc0ffee);
    let mut torn_mid_op = 0;
    for trial in 0..cuts {
        let cut_at = 1 + rng.below(total);
        let mut store = Store::mount(wrap(CutDevice::new(base.clone(), cut_at))).unwrap();
        let mut done = BTreeMap::new();
        let mut in_flight = None;
        for op in &ops {
            match run(&mut store, op) {
                Ok(()) => apply(&mut done, op),
                Err(_) => {
                    in_flight = Some(op.clone());
                    break;
                }
            }
        }
        let in_flight = in_flight.unwrap_or_else(|| panic!("trial {trial}: no cut at {cut_at}"));
        let image = unwrap(store.into_device()).after_cut(&mut rng);

        let mut after = Store::mount(MemDevice { bytes: image })
            .unwrap_or_else(|e| panic!("trial {trial} (cut at write {cut_at}): mount: {e}"));
        let found = files(&mut after);
        let mut with_op = done.clone();
        apply(&mut with_op, &in_flight);
        let as_map = |m: &BTreeMap<&str, Vec<u8>>| {
            m.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        let before = as_map(&done);
        let completed = as_map(&with_op);
        assert!(
            found == before || found == completed,
            "trial {trial} (cut at write {cut_at}): the store holds {:?}, expected {:?} or {:?}",
            found.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>(),
            completed.keys().collect::<Vec<_>>(),
        );
        if found == completed && before != completed {
            torn_mid_op += 1;
        }
        // The store goes on: a write after the cut lands and reads back.
        after.write("settings/after-cut", b"ok").unwrap();
        assert_eq!(after.read("settings/after-cut").unwrap(), b"ok");
    }
    // Both outcomes of an interrupted operation occur over the trials (the check is not
    // passing by never cutting inside an operation's commit).
    assert!(
        cuts < 50 || torn_mid_op > 0,
        "no cut ever landed after a commit"
    );
    eprintln!("{cuts} cuts over {total} writes; {torn_mid_op} kept the interrupted operation");
}

#[test]
fn every_cut_leaves_a_mountable_store_with_whole_files() {
    let cuts: u64 = std::env::var("STATEFS_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    trials(cuts, |d| d, |d| d);
}

/// The same through the block cache statefsd puts in front of blkd: it changes what is
/// read, never what reaches the device or when.
#[test]
fn the_block_cache_changes_no_outcome() {
    trials(300, |d| BlockCache::new(d, 8), BlockCache::into_inner);
}
