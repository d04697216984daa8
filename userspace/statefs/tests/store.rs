//! The store's operations on an in-memory partition: format, the atomic write, listing,
//! the bounds and the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use image::state::StateHeader;
use statefs::{Entry, Error, Kind, MemDevice, Opened, Store, MAX_FILE};

/// A new image's state partition: its header, then zeros.
fn fresh(size: usize) -> MemDevice {
    MemDevice::new_state_partition(size)
}

#[test]
fn a_new_partition_is_not_formatted_until_opened_for_the_device() {
    let err = Store::mount(fresh(256 << 10)).unwrap_err();
    assert_eq!(err, Error::NotFormatted);
    let (mut store, opened) = Store::open_or_format(fresh(256 << 10)).unwrap();
    assert_eq!(opened, Opened::Formatted);
    assert_eq!(store.header().generation, 1);
    assert_eq!(store.list("").unwrap(), vec![]);
    // An empty store takes its two superblock blocks only.
    assert_eq!(store.usage().unwrap().used, 2);
    store.write("boot/bootctl", b"a").unwrap();
    let dev = store.into_device();
    let (store, opened) = Store::open_or_format(dev).unwrap();
    assert_eq!(opened, Opened::Mounted);
    assert_eq!(store.header().generation, 1);
}

#[test]
fn files_are_written_replaced_listed_renamed_and_removed() {
    let mut store = Store::format(fresh(256 << 10)).unwrap();
    store.write("crash/a.nxcd", b"first").unwrap();
    store.write("/crash/a.nxcd", b"second, longer").unwrap();
    store.write("settings/net/eth0", &[7u8; 10_000]).unwrap();
    assert_eq!(store.read("crash/a.nxcd").unwrap(), b"second, longer");
    assert_eq!(store.read("settings/net/eth0").unwrap(), vec![7u8; 10_000]);
    assert_eq!(
        store.stat("settings/net").unwrap(),
        Entry {
            path: "settings/net".into(),
            kind: Kind::Dir,
            size: 0
        }
    );
    let crash = store.list("crash").unwrap();
    assert_eq!(
        crash,
        vec![Entry {
            path: "crash/a.nxcd".into(),
            kind: Kind::File,
            size: 14
        }]
    );
    store.rename("crash/a.nxcd", "crash/b.nxcd").unwrap();
    assert_eq!(
        store.read("crash/a.nxcd").unwrap_err(),
        Error::NotFound {
            path: "crash/a.nxcd".into()
        }
    );
    assert_eq!(store.read("crash/b.nxcd").unwrap(), b"second, longer");
    assert_eq!(
        store.remove("settings/net").unwrap_err(),
        Error::NotEmpty {
            path: "settings/net".into()
        }
    );
    store.remove("settings/net/eth0").unwrap();
    store.remove("settings/net").unwrap();
    let all: Vec<String> = store
        .walk("")
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert!(all.contains(&"crash/b.nxcd".to_string()), "{all:?}");
    assert!(!all.iter().any(|p| p.starts_with("settings/")), "{all:?}");
    let usage = store.usage().unwrap();
    assert_eq!(usage.blocks, 63);
    assert!(usage.used >= 2 && usage.used < usage.blocks, "{usage:?}");
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let mut store = Store::format(fresh(256 << 10)).unwrap();
    store.write("boot/ctl", b"slot=a").unwrap();
    assert!(matches!(
        store.write("boot/../x", b"y"),
        Err(Error::BadPath { .. })
    ));
    assert!(matches!(
        store.write("crash/.statefs-new", b"y"),
        Err(Error::BadPath { .. })
    ));
    assert_eq!(
        store.write("boot/ctl/inner", b"y").unwrap_err(),
        Error::NotDir {
            path: "boot/ctl".into()
        }
    );
    assert_eq!(
        store.write("boot", b"y").unwrap_err(),
        Error::IsDir {
            path: "boot".into()
        }
    );
    let big = vec![0u8; MAX_FILE as usize + 1];
    assert!(matches!(
        store.write("content/big", &big),
        Err(Error::TooLarge { .. })
    ));
    // More than the store holds: refused as no space, and the old file is intact.
    store.write("content/f", b"old").unwrap();
    let err = store.write("content/f", &vec![1u8; 400 << 10]).unwrap_err();
    assert_eq!(
        err,
        Error::NoSpace {
            path: "content/f".into()
        }
    );
    assert_eq!(store.read("content/f").unwrap(), b"old");
    assert_eq!(store.read("boot/ctl").unwrap(), b"slot=a");
    // The failed write left no temporary file behind, and a later write has room.
    store.write("content/g", &vec![2u8; 100 << 10]).unwrap();
    assert_eq!(store.read("content/g").unwrap().len(), 100 << 10);
}

#[test]
fn a_damaged_header_or_geometry_is_named() {
    let mut dev = fresh(256 << 10);
    dev.bytes[20] ^= 1;
    assert_eq!(
        Store::mount(dev).unwrap_err(),
        Error::Header {
            what: "CRC32 mismatch"
        }
    );
    // A header that says another size than the partition has.
    let mut dev = fresh(256 << 10);
    let header = StateHeader {
        size: 128 << 10,
        generation: 0,
    };
    dev.bytes[..512].copy_from_slice(&header.encode());
    assert!(matches!(Store::mount(dev), Err(Error::Geometry { .. })));
    // Too small for a store.
    assert!(matches!(
        Store::format(fresh(32 << 10)),
        Err(Error::Geometry { .. })
    ));
    // A store whose superblock is damaged is not formatted over.
    let store = Store::format(fresh(256 << 10)).unwrap();
    let mut dev = store.into_device();
    for b in &mut dev.bytes[4096..4096 * 3] {
        *b ^= 0x5a;
    }
    let err = Store::open_or_format(dev.clone()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
}

#[test]
fn a_file_is_read_in_ranges() {
    let mut store = Store::format(fresh(256 << 10)).unwrap();
    let body: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    store.write("crash/r", &body).unwrap();
    let mut buf = [0u8; 4095];
    let mut got = Vec::new();
    loop {
        let n = store
            .read_at("crash/r", got.len() as u64, &mut buf)
            .unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, body);
    assert_eq!(store.read_at("crash/r", 1 << 30, &mut buf).unwrap(), 0);
    assert!(matches!(
        store.read_at("crash", 0, &mut buf),
        Err(Error::IsDir { .. })
    ));
}
