//! The store's figures on the host (release build; `scripts/bench/statefs.sh` runs it):
//! the time to write and sync a 64 KiB file, to mount a store holding 1,000 files, and the
//! space 100 dumps of 16 KiB take, each beside its reference measured in the same run (a
//! memcpy of the same bytes; the payload). Writes the store with 1,000 files to the path
//! given as the first argument, for littlefs-python to mount as the peer.

use std::time::{Duration, Instant};

use statefs::{Error, MemDevice, Store, BLOCK_SIZE};

fn partition(size: usize) -> MemDevice {
    MemDevice::new_state_partition(size)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) ^ seed) as u8)
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: measure STORE_FILE")?;

    // Write and sync a 64 KiB file (replacing it, as a settings or bootctl write does).
    let mut store = Store::format(partition(8 << 20))?;
    let body = pattern(64 << 10, 1);
    let mut writes = Vec::new();
    let mut copies = Vec::new();
    let mut sink = vec![0u8; body.len()];
    for i in 0..41 {
        let t = Instant::now();
        store.write("settings/blob", &body)?;
        writes.push(t.elapsed());
        let t = Instant::now();
        sink.copy_from_slice(&body);
        std::hint::black_box(&mut sink);
        copies.push(t.elapsed());
        if i == 0 {
            assert_eq!(store.read("settings/blob")?, body);
        }
    }
    println!(
        "| write + sync 64 KiB | {:.3} ms | memcpy of 64 KiB: {:.4} ms |",
        median(writes).as_secs_f64() * 1e3,
        median(copies).as_secs_f64() * 1e3
    );

    // Mount a store of 1,000 files (in ten directories of crash/).
    let mut store = Store::format(partition(16 << 20))?;
    for i in 0..1000 {
        store.write(&format!("crash/d{}/{i}.nxcd", i % 10), &pattern(512, i))?;
    }
    let mut dev = store.into_device();
    let mut mounts = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let store = Store::mount(dev)?;
        mounts.push(t.elapsed());
        dev = store.into_device();
    }
    std::fs::write(&out, &dev.bytes)?;
    println!(
        "| mount, 1,000 files | {:.3} ms | (littlefs-python below) |",
        median(mounts).as_secs_f64() * 1e3
    );

    // The space of 100 dumps of 16 KiB.
    let mut store = Store::format(partition(8 << 20))?;
    let empty = store.usage()?.used;
    for i in 0..100 {
        store.write(&format!("crash/{i:03}.nxcd"), &pattern(16 << 10, i))?;
    }
    let usage = store.usage()?;
    let used = u64::from(usage.used - empty) * u64::from(BLOCK_SIZE);
    let payload = 100u64 * (16 << 10);
    println!(
        "| 100 dumps of 16 KiB | {} KiB in use | payload {} KiB: overhead {:.1}% |",
        used >> 10,
        payload >> 10,
        (used as f64 / payload as f64 - 1.0) * 100.0
    );
    // A full store refuses the next file and keeps the others.
    let mut full = Store::format(partition(256 << 10))?;
    let mut n = 0;
    let refused = loop {
        match full.write(&format!("crash/{n}.nxcd"), &pattern(16 << 10, n)) {
            Ok(()) => n += 1,
            Err(e @ Error::NoSpace { .. }) => break e,
            Err(e) => return Err(e.into()),
        }
    };
    println!("| 16 KiB dumps in a 256 KiB store | {n} fit | then: {refused} |");
    Ok(())
}
