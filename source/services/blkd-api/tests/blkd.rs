//! blkd's interface as a specification: the wire layout, the access rule and the bound
//! check, driven through the client stubs against the handler blkd runs, over a disk in
//! memory that records every sector it is asked for.
#![allow(clippy::unwrap_used)]

use abi::rpc::Caller;
use abi::{ServiceId, SysError};
use blkd_api::access::{may_open, Grant, ACCESS};
use blkd_api::server::{Disk, PartitionEntry, SetupError, Volumes};
use blkd_api::volume::Extent;
use blkd_api::{Client, Op, Opened, Request, Target, MAX_SECTORS, SECTOR};

/// A disk in memory; `touched` counts the requests that reached it.
struct RamDisk {
    bytes: Vec<u8>,
    touched: usize,
    flushed: usize,
}

impl RamDisk {
    fn new(sectors: u64) -> RamDisk {
        RamDisk {
            bytes: vec![0; sectors as usize * SECTOR],
            touched: 0,
            flushed: 0,
        }
    }

    /// The bytes of `len` from sector `lba`; the handler must never ask for a sector
    /// off the disk, so that is a test failure.
    fn range(&self, lba: u64, len: usize) -> core::ops::Range<usize> {
        let start = lba as usize * SECTOR;
        assert!(
            start + len <= self.bytes.len(),
            "disk access past its end: lba {lba}, {len} bytes"
        );
        start..start + len
    }
}

impl Disk for RamDisk {
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), SysError> {
        self.touched += 1;
        let r = self.range(lba, buf.len());
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn write(&mut self, lba: u64, data: &[u8]) -> Result<(), SysError> {
        self.touched += 1;
        let r = self.range(lba, data.len());
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SysError> {
        self.flushed += 1;
        Ok(())
    }
}

/// blkd behind a fake `call`: the sender's program is fixed, as the kernel stamps it.
struct Fake {
    program: Option<&'static str>,
    grants: &'static [Grant],
    volumes: Volumes,
    disk: RamDisk,
}

impl Caller for &mut Fake {
    fn call(&mut self, dst: ServiceId, req: &[u8], reply: &mut [u8]) -> Result<usize, SysError> {
        assert_eq!(dst, 3);
        let out = self.volumes.handle(
            self.grants,
            self.program,
            req,
            std::slice::from_mut(&mut self.disk),
        );
        assert!(out.len() <= abi::ipc::MAX_MSG, "reply over one message");
        reply[..out.len()].copy_from_slice(&out);
        Ok(out.len())
    }
}

const GRANTS: &[Grant] = &[
    Grant {
        program: "client",
        volume: Target::Partition("scratch"),
    },
    Grant {
        program: "flasher",
        volume: Target::Disk("disk0"),
    },
];

/// A 4096-sector disk: `scratch` at 2048..=3071, `private` at 3072..=3583.
fn partitions() -> Vec<PartitionEntry> {
    vec![
        PartitionEntry {
            name: "scratch".into(),
            first_lba: 2048,
            last_lba: 3071,
        },
        PartitionEntry {
            name: "private".into(),
            first_lba: 3072,
            last_lba: 3583,
        },
    ]
}

fn fake(program: Option<&'static str>) -> Fake {
    Fake {
        program,
        grants: GRANTS,
        volumes: Volumes::new("disk0", 4096, false, &partitions()).unwrap(),
        disk: RamDisk::new(4096),
    }
}

fn pattern(sectors: usize, seed: u8) -> Vec<u8> {
    (0..sectors * SECTOR)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn ops_roundtrip_through_their_bytes() {
    for op in [Op::Open, Op::Read, Op::Write, Op::Flush, Op::Size] {
        assert_eq!(Op::from_byte(op as u8), Some(op));
    }
    assert_eq!(Op::from_byte(0), None);
    assert_eq!(Op::from_byte(6), None);
}

#[test]
fn requests_have_the_documented_layout_and_roundtrip() {
    let data = pattern(2, 1);
    let cases: Vec<(Request<'_>, Vec<u8>)> = vec![
        (
            Request::Open(Target::Partition("ab")),
            vec![1, 0, b'a', b'b'],
        ),
        (Request::Open(Target::Disk("d")), vec![1, 1, b'd']),
        (
            Request::Read {
                handle: 2,
                lba: 0x0102,
                sectors: 3,
            },
            vec![2, 2, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0],
        ),
        (
            Request::Write {
                handle: 1,
                lba: 5,
                data: &data,
            },
            [&[3u8, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0][..], &data].concat(),
        ),
        (Request::Flush { handle: 7 }, vec![4, 7, 0, 0, 0]),
        (Request::Size { handle: 7 }, vec![5, 7, 0, 0, 0]),
    ];
    for (req, bytes) in cases {
        assert_eq!(req.encode(), bytes, "{req:?}");
        assert_eq!(Request::decode(&bytes), Ok(req));
    }
}

#[test]
fn rejects_malformed_requests() {
    let too_many = pattern(MAX_SECTORS as usize + 1, 0);
    let read = |sectors: u32| {
        let mut m = vec![2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&sectors.to_le_bytes());
        m
    };
    let cases: Vec<(&str, Vec<u8>, SysError)> = vec![
        ("empty request", vec![], SysError::BadLength),
        ("unknown op", vec![9, 0, 0, 0, 0], SysError::BadSyscall),
        ("open without a name", vec![1, 0], SysError::BadLength),
        (
            "open of an unknown kind",
            vec![1, 2, b'a'],
            SysError::BadLength,
        ),
        (
            "open of a name over 36 bytes",
            [&[1u8, 0][..], &[b'a'; 37]].concat(),
            SysError::BadLength,
        ),
        (
            "open of a name that is not UTF-8",
            vec![1, 0, 0xff],
            SysError::BadLength,
        ),
        ("read of 0 sectors", read(0), SysError::BadLength),
        (
            "read over the sector limit",
            read(MAX_SECTORS + 1),
            SysError::BadLength,
        ),
        (
            "read with a short argument",
            read(1)[..16].to_vec(),
            SysError::BadLength,
        ),
        (
            "read with a long argument",
            [read(1), vec![0]].concat(),
            SysError::BadLength,
        ),
        (
            "write of no data",
            vec![3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            SysError::BadLength,
        ),
        (
            "write of a part sector",
            [&[3u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..], &[0; 100]].concat(),
            SysError::BadLength,
        ),
        (
            "write over the sector limit",
            [&[3u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..], &too_many].concat(),
            SysError::BadLength,
        ),
        (
            "flush with a short handle",
            vec![4, 1, 0],
            SysError::BadLength,
        ),
        (
            "size with trailing bytes",
            vec![5, 1, 0, 0, 0, 0],
            SysError::BadLength,
        ),
    ];
    let mut f = fake(Some("client"));
    for (what, req, want) in cases {
        assert_eq!(Request::decode(&req), Err(want), "{what}");
        let reply = f
            .volumes
            .handle(f.grants, f.program, &req, std::slice::from_mut(&mut f.disk));
        assert_eq!(reply, [want as u8], "{what}");
    }
    assert_eq!(f.disk.touched, 0);
}

#[test]
fn the_sector_limit_fills_one_message() {
    assert_eq!(MAX_SECTORS, 7);
    let data = pattern(MAX_SECTORS as usize, 0);
    let write = Request::Write {
        handle: 1,
        lba: 0,
        data: &data,
    };
    assert!(write.encode().len() <= abi::ipc::MAX_MSG);
    assert!(MAX_SECTORS as usize * SECTOR < abi::ipc::MAX_MSG);
}

#[test]
fn a_granted_partition_opens_and_reads_back_what_was_written() {
    let mut f = fake(Some("client"));
    let mut c = Client::new(&mut f, 3);
    let opened = c.open(Target::Partition("scratch")).unwrap();
    assert_eq!(
        opened,
        Opened {
            handle: 1,
            sectors: 1024
        }
    );
    assert_eq!(c.size(1), Ok(1024));
    let data = pattern(MAX_SECTORS as usize, 7);
    c.write(1, 0, &data).unwrap();
    let last = pattern(1, 9);
    c.write(1, 1023, &last).unwrap();
    let mut back = vec![0u8; data.len()];
    c.read(1, 0, &mut back).unwrap();
    assert_eq!(back, data);
    let mut one = vec![0u8; SECTOR];
    c.read(1, 1023, &mut one).unwrap();
    assert_eq!(one, last);
    c.flush(1).unwrap();
    // The bytes went to the partition's sectors of the disk, and nowhere else.
    assert_eq!(
        f.disk.bytes[2048 * SECTOR..2048 * SECTOR + data.len()],
        data[..]
    );
    assert_eq!(f.disk.bytes[3071 * SECTOR..3072 * SECTOR], last[..]);
    assert!(f.disk.bytes[3072 * SECTOR..].iter().all(|b| *b == 0));
    assert_eq!(f.disk.flushed, 1);
}

#[test]
fn sectors_outside_the_partition_are_refused_before_the_disk() {
    let mut f = fake(Some("client"));
    let mut c = Client::new(&mut f, 3);
    let h = c.open(Target::Partition("scratch")).unwrap().handle;
    let mut one = vec![0u8; SECTOR];
    let mut two = vec![0u8; 2 * SECTOR];
    assert_eq!(c.read(h, 1024, &mut one), Err(SysError::BadAddress));
    assert_eq!(c.read(h, 1023, &mut two), Err(SysError::BadAddress));
    assert_eq!(c.read(h, u64::MAX, &mut one), Err(SysError::BadAddress));
    assert_eq!(c.write(h, 1024, &one), Err(SysError::BadAddress));
    assert_eq!(c.write(h, u64::MAX - 1, &two), Err(SysError::BadAddress));
    assert_eq!(f.disk.touched, 0);
}

#[test]
fn what_the_table_does_not_grant_is_denied() {
    let mut f = fake(Some("client"));
    let mut c = Client::new(&mut f, 3);
    assert_eq!(c.open(Target::Partition("private")), Err(SysError::Denied));
    assert_eq!(c.open(Target::Disk("disk0")), Err(SysError::Denied));
    // A handle that was never opened is checked all the same: guessing gains nothing.
    let mut one = vec![0u8; SECTOR];
    for h in [0, 2] {
        assert_eq!(c.read(h, 0, &mut one), Err(SysError::Denied), "handle {h}");
        assert_eq!(c.write(h, 0, &one), Err(SysError::Denied), "handle {h}");
        assert_eq!(c.flush(h), Err(SysError::Denied), "handle {h}");
        assert_eq!(c.size(h), Err(SysError::Denied), "handle {h}");
    }
    assert_eq!(c.read(3, 0, &mut one), Err(SysError::NoDevice));
    assert_eq!(
        c.open(Target::Partition("nothing")),
        Err(SysError::NoDevice)
    );
    // The name is a partition's, not a disk's: the kind is part of the name.
    assert_eq!(c.open(Target::Disk("scratch")), Err(SysError::NoDevice));
    assert_eq!(f.disk.touched, 0);
    assert_eq!(f.disk.flushed, 0);
}

#[test]
fn grants_follow_the_sender_not_the_payload() {
    // A sender that is no manifest program (started from memory) has no grants.
    let mut nobody = fake(None);
    let mut c = Client::new(&mut nobody, 3);
    assert_eq!(c.open(Target::Partition("scratch")), Err(SysError::Denied));
    let mut one = vec![0u8; SECTOR];
    assert_eq!(c.read(1, 0, &mut one), Err(SysError::Denied));
    // The whole disk, granted by its serial, spans every sector.
    let mut flasher = fake(Some("flasher"));
    let mut c = Client::new(&mut flasher, 3);
    assert_eq!(
        c.open(Target::Disk("disk0")),
        Ok(Opened {
            handle: 0,
            sectors: 4096
        })
    );
    assert_eq!(c.open(Target::Partition("scratch")), Err(SysError::Denied));
    c.read(0, 4095, &mut one).unwrap();
    assert_eq!(c.read(0, 4096, &mut one), Err(SysError::BadAddress));
}

#[test]
fn the_access_rule_matches_program_and_volume_exactly() {
    assert!(may_open(
        GRANTS,
        Some("client"),
        Target::Partition("scratch")
    ));
    assert!(!may_open(GRANTS, Some("client"), Target::Disk("scratch")));
    assert!(!may_open(
        GRANTS,
        Some("client"),
        Target::Partition("Scratch")
    ));
    assert!(!may_open(
        GRANTS,
        Some("clients"),
        Target::Partition("scratch")
    ));
    assert!(!may_open(GRANTS, None, Target::Partition("scratch")));
    assert!(!may_open(&[], Some("client"), Target::Partition("scratch")));
}

#[test]
fn a_read_only_disk_refuses_writes_after_the_bound_check() {
    let mut f = fake(Some("client"));
    f.volumes = Volumes::new("disk0", 4096, true, &partitions()).unwrap();
    let mut c = Client::new(&mut f, 3);
    let one = vec![0u8; SECTOR];
    assert_eq!(c.write(1, 0, &one), Err(SysError::NotPermitted));
    assert_eq!(c.write(1, 1024, &one), Err(SysError::BadAddress));
    assert_eq!(f.disk.touched, 0);
}

#[test]
fn device_errors_reach_the_client() {
    struct Broken;
    impl Disk for Broken {
        fn read(&mut self, _: u64, _: &mut [u8]) -> Result<(), SysError> {
            Err(SysError::Io)
        }
        fn write(&mut self, _: u64, _: &[u8]) -> Result<(), SysError> {
            Err(SysError::Io)
        }
        fn flush(&mut self) -> Result<(), SysError> {
            Err(SysError::Io)
        }
    }
    let v = Volumes::new("disk0", 4096, false, &partitions()).unwrap();
    let read = Request::Read {
        handle: 1,
        lba: 0,
        sectors: 1,
    }
    .encode();
    assert_eq!(
        v.handle(GRANTS, Some("client"), &read, &mut [Broken]),
        [SysError::Io as u8]
    );
    let flush = Request::Flush { handle: 1 }.encode();
    assert_eq!(
        v.handle(GRANTS, Some("client"), &flush, &mut [Broken]),
        [SysError::Io as u8]
    );
}

#[test]
fn a_disk_whose_partitions_cannot_be_served_is_refused() {
    let p = |name: &str, first, last| PartitionEntry {
        name: name.into(),
        first_lba: first,
        last_lba: last,
    };
    let cases = [
        (vec![p("", 34, 40)], SetupError::BadName(0)),
        (
            vec![p("a", 34, 40), p(&"x".repeat(37), 41, 50)],
            SetupError::BadName(1),
        ),
        (vec![p("a", 34, 4096)], SetupError::OutsideDisk("a".into())),
        (vec![p("a", 40, 39)], SetupError::OutsideDisk("a".into())),
        (
            vec![p("a", 34, 40), p("a", 41, 50)],
            SetupError::DuplicateName("a".into()),
        ),
    ];
    for (parts, want) in cases {
        assert_eq!(Volumes::new("disk0", 4096, false, &parts), Err(want));
    }
    let v = Volumes::new("disk0", 4096, false, &partitions()).unwrap();
    assert_eq!(v.capacity(), 4096);
    assert_eq!(
        v.partition_names().collect::<Vec<_>>(),
        ["scratch", "private"]
    );
}

#[test]
fn extents_locate_sectors_only_inside_the_volume() {
    let e = Extent::partition(100, 199, 1000).unwrap();
    assert_eq!((e.first(), e.sectors()), (100, 100));
    let cases = [
        (0, 1, Ok(100)),
        (99, 1, Ok(199)),
        (0, 100, Ok(100)),
        (99, 2, Err(SysError::BadAddress)),
        (100, 1, Err(SysError::BadAddress)),
        (u64::MAX, 1, Err(SysError::BadAddress)),
        (1, u64::MAX, Err(SysError::BadAddress)),
    ];
    for (lba, count, want) in cases {
        assert_eq!(e.locate(lba, count), want, "lba {lba} count {count}");
    }
    assert_eq!(
        Extent::partition(0, 999, 1000).map(|e| e.sectors()),
        Some(1000)
    );
    assert_eq!(Extent::partition(0, 1000, 1000), None);
    assert_eq!(Extent::disk(8).locate(7, 1), Ok(7));
}

#[test]
fn the_access_table_names_programs_of_the_boot_manifest() {
    let text = include_bytes!("../../../apps/init/boot.manifest");
    let manifest = initrd::manifest::Manifest::parse(text).unwrap();
    assert!(!ACCESS.is_empty());
    for g in ACCESS {
        assert!(
            manifest.by_name(g.program).is_some(),
            "{} is no program of the boot manifest",
            g.program
        );
        assert!(blkd_api::name_of(g.volume.name().as_bytes()).is_ok());
    }
    // blkd itself runs from the manifest with the virtio-blk grant.
    let blkd = manifest.by_name(blkd_api::SERVICE_NAME).unwrap();
    assert!(blkd.boot);
    // Two disks: the image (serial `os`) and the scratch disk (`disk0`).
    assert_eq!(blkd.granted().collect::<Vec<_>>(), [2, 2]);
}

/// Two disks as blkd serves them: the harness's scratch disk, then an image disk.
fn two_disks() -> Volumes {
    let p = |name: &str, first, last| PartitionEntry {
        name: name.into(),
        first_lba: first,
        last_lba: last,
    };
    let mut v = Volumes::new("disk0", 4096, false, &partitions()).unwrap();
    v.add_disk(
        "os",
        8192,
        false,
        &[p("kernel", 2048, 4095), p("state", 4096, 6143)],
    )
    .unwrap();
    v
}

/// `client` may use a partition on each of the two disks.
const BOTH: &[Grant] = &[
    Grant {
        program: "client",
        volume: Target::Partition("scratch"),
    },
    Grant {
        program: "client",
        volume: Target::Partition("state"),
    },
];

#[test]
fn every_disk_is_served_each_request_on_its_own_device() {
    let v = two_disks();
    assert_eq!(v.disks(), 2);
    assert_eq!((v.serial(1), v.disk_capacity(1)), ("os", 8192));
    assert_eq!(
        v.disk_partition_names(1).collect::<Vec<_>>(),
        ["kernel", "state"]
    );
    let mut disks = [RamDisk::new(4096), RamDisk::new(8192)];
    let mut call = |req: Request<'_>| v.handle(BOTH, Some("client"), &req.encode(), &mut disks);
    // Handles run on across the disks: disk0 0..=2, os 3..=5.
    let open = call(Request::Open(Target::Partition("state")));
    assert_eq!(open[..5], [0, 5, 0, 0, 0], "state is handle 5");
    assert_eq!(open[5..], 2048u64.to_le_bytes());
    let sector = [0x5au8; SECTOR];
    for handle in [1, 5] {
        let reply = call(Request::Write {
            handle,
            lba: 3,
            data: &sector,
        });
        assert_eq!(reply, [0], "write through handle {handle}");
        assert_eq!(call(Request::Flush { handle }), [0]);
    }
    // Each write landed on its own disk at its partition's place, and nowhere else.
    assert_eq!(disks[0].bytes[(2048 + 3) * SECTOR], 0x5a);
    assert_eq!(disks[1].bytes[(4096 + 3) * SECTOR], 0x5a);
    assert_eq!(disks[0].bytes.iter().filter(|&&b| b != 0).count(), SECTOR);
    assert_eq!(disks[1].bytes.iter().filter(|&&b| b != 0).count(), SECTOR);
    assert_eq!((disks[0].flushed, disks[1].flushed), (1, 1));
    // What is not granted on the second disk is refused as on the first.
    let mut call = |req: Request<'_>| v.handle(BOTH, Some("client"), &req.encode(), &mut disks);
    assert_eq!(
        call(Request::Open(Target::Partition("kernel"))),
        [SysError::Denied as u8]
    );
    assert_eq!(
        call(Request::Open(Target::Disk("os"))),
        [SysError::Denied as u8]
    );
    assert_eq!(
        call(Request::Size { handle: 6 }),
        [SysError::NoDevice as u8]
    );
}

#[test]
fn a_volume_whose_device_is_missing_is_no_device() {
    let v = two_disks();
    let grants: &[Grant] = &[Grant {
        program: "client",
        volume: Target::Partition("state"),
    }];
    let read = Request::Read {
        handle: 5,
        lba: 0,
        sectors: 1,
    }
    .encode();
    let mut one = [RamDisk::new(4096)];
    assert_eq!(
        v.handle(grants, Some("client"), &read, &mut one),
        [SysError::NoDevice as u8]
    );
    assert_eq!(one[0].touched, 0);
}

#[test]
fn names_and_serials_are_unique_across_disks() {
    let p = |name: &str| PartitionEntry {
        name: name.into(),
        first_lba: 2048,
        last_lba: 2100,
    };
    let mut v = Volumes::new("disk0", 4096, false, &partitions()).unwrap();
    let before = v.clone();
    assert_eq!(
        v.add_disk("os", 4096, false, &[p("state"), p("scratch")]),
        Err(SetupError::NameOnTwoDisks("scratch".into(), "disk0".into()))
    );
    assert_eq!(
        v.add_disk("disk0", 4096, false, &[p("state")]),
        Err(SetupError::DuplicateSerial("disk0".into()))
    );
    assert_eq!(v, before, "a refused disk adds nothing");
    assert_eq!(
        SetupError::NameOnTwoDisks("scratch".into(), "disk0".into()).to_string(),
        "GPT partition name scratch is also a partition of disk disk0: names must be unique across disks"
    );
    // Two disks without a serial are fine: neither can be opened whole.
    let mut v = Volumes::new("", 4096, false, &[]).unwrap();
    v.add_disk("", 4096, false, &[p("state")]).unwrap();
    assert_eq!(v.disks(), 2);
}

#[test]
fn read_only_is_per_disk() {
    let mut v = Volumes::new("disk0", 4096, false, &partitions()).unwrap();
    v.add_disk(
        "ro",
        4096,
        true,
        &[PartitionEntry {
            name: "state".into(),
            first_lba: 2048,
            last_lba: 2100,
        }],
    )
    .unwrap();
    let mut disks = [RamDisk::new(4096), RamDisk::new(4096)];
    let sector = [1u8; SECTOR];
    let write = |handle| {
        Request::Write {
            handle,
            lba: 0,
            data: &sector,
        }
        .encode()
    };
    assert_eq!(v.handle(BOTH, Some("client"), &write(1), &mut disks), [0]);
    assert_eq!(
        v.handle(BOTH, Some("client"), &write(4), &mut disks),
        [SysError::NotPermitted as u8]
    );
}
