//! statefsd's handler and client stubs on a store in memory: each program reaches only
//! its subtrees, a refused request changes nothing, writes are whole or nothing, and
//! malformed requests are errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use abi::rpc::Caller;
use abi::{ServiceId, SysError};
use statefs::{MemDevice, Store};
use statefsd_api::access::ACCESS;
use statefsd_api::server::Server;
use statefsd_api::{Client, Error, Op, StoreCode, MAX_WRITE};

const STATEFSD: ServiceId = 9;

fn server() -> Server<MemDevice> {
    let dev = MemDevice::new_state_partition(512 << 10);
    Server::new(Store::format(dev).unwrap(), ACCESS)
}

/// A caller as the kernel would deliver it: the sender id and its program are the
/// server's to know, not the request's.
struct As<'s> {
    server: &'s mut Server<MemDevice>,
    sender: ServiceId,
    program: Option<&'static str>,
}

impl Caller for As<'_> {
    fn call(
        &mut self,
        dst: ServiceId,
        request: &[u8],
        reply: &mut [u8],
    ) -> Result<usize, SysError> {
        assert_eq!(dst, STATEFSD);
        let r = self.server.handle(self.sender, self.program, request);
        reply[..r.len()].copy_from_slice(&r);
        Ok(r.len())
    }
}

fn as_<'s>(server: &'s mut Server<MemDevice>, sender: ServiceId, program: &'static str) -> As<'s> {
    As {
        server,
        sender,
        program: Some(program),
    }
}

#[test]
fn each_program_reaches_its_subtrees_only() {
    let mut s = server();
    let dump: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    {
        let mut crashd = as_(&mut s, 5, "crashd");
        let mut c = Client::new(&mut crashd, STATEFSD);
        c.write_file("crash/1.nxcd", &dump).unwrap();
        assert_eq!(c.read_file("crash/1.nxcd", 1 << 20).unwrap(), dump);
        let listed = c.list("crash").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "1.nxcd");
        assert_eq!(listed[0].size, 10_000);
        // Outside its subtree: refused, and nothing is written.
        assert_eq!(
            c.write_file("boot/bootctl", b"slot=b"),
            Err(Error::Sys(SysError::Denied))
        );
        assert_eq!(c.stat("boot"), Err(Error::Sys(SysError::Denied)));
        assert_eq!(c.list(""), Err(Error::Sys(SysError::Denied)));
        assert_eq!(
            c.rename("crash/1.nxcd", "boot/1.nxcd"),
            Err(Error::Sys(SysError::Denied))
        );
    }
    assert!(s.store().stat("boot").is_err());
    {
        let mut updated = as_(&mut s, 6, "updated");
        let mut u = Client::new(&mut updated, STATEFSD);
        u.write_file("boot/bootctl", b"slot=a").unwrap();
        assert_eq!(u.read_file("boot/bootctl", 64).unwrap(), b"slot=a");
        // trust/ is readable but not writable for updated.
        assert_eq!(
            u.write_file("trust/k.pub", b"k"),
            Err(Error::Sys(SysError::Denied))
        );
        assert_eq!(u.stat("trust"), Err(Error::Service(StoreCode::NotFound)));
        assert_eq!(
            u.read_file("crash/1.nxcd", 1 << 20),
            Err(Error::Sys(SysError::Denied))
        );
    }
    // A program outside the manifest (started from memory) has no grants.
    let mut stranger = As {
        server: &mut s,
        sender: 40,
        program: None,
    };
    let mut x = Client::new(&mut stranger, STATEFSD);
    assert_eq!(x.stat("crash"), Err(Error::Sys(SysError::Denied)));
    assert_eq!(x.usage(), Err(Error::Sys(SysError::Denied)));
}

#[test]
fn writes_are_whole_or_nothing_and_per_caller() {
    let mut s = server();
    let old = b"old contents".to_vec();
    {
        let mut a = as_(&mut s, 5, "crashd");
        Client::new(&mut a, STATEFSD)
            .write_file("crash/f", &old)
            .unwrap();
    }
    // A write that never commits (its caller ended) leaves the file as it was.
    let mut create = (100u64).to_le_bytes().to_vec();
    create.extend_from_slice(b"crash/f");
    assert_eq!(
        s.handle(
            5,
            Some("crashd"),
            &[&[Op::Create as u8][..], &create].concat()
        ),
        [0]
    );
    assert_eq!(s.handle(5, Some("crashd"), &[Op::Append as u8, 1, 2, 3]), {
        let mut r = vec![0];
        r.extend_from_slice(&3u64.to_le_bytes());
        r
    });
    assert_eq!(s.store().read("crash/f").unwrap(), old);
    // A commit short of the announced size is refused, and the file is unchanged.
    assert_eq!(
        s.handle(5, Some("crashd"), &[Op::Commit as u8]),
        [SysError::NotPermitted as u8]
    );
    assert_eq!(s.store().read("crash/f").unwrap(), old);
    // Another caller's commit does not take this caller's write.
    assert_eq!(
        s.handle(7, Some("crashd"), &[Op::Commit as u8]),
        [SysError::NotPermitted as u8]
    );
    // Over the in-memory limit: refused at Create.
    let mut big = (MAX_WRITE + 1).to_le_bytes().to_vec();
    big.extend_from_slice(b"crash/big");
    assert_eq!(
        s.handle(5, Some("crashd"), &[&[Op::Create as u8][..], &big].concat()),
        [SysError::NoMemory as u8]
    );
}

#[test]
fn malformed_requests_are_errors() {
    let mut s = server();
    let p = Some("crashd");
    assert_eq!(s.handle(5, p, &[]), [SysError::BadLength as u8]);
    assert_eq!(s.handle(5, p, &[200]), [SysError::BadSyscall as u8]);
    assert_eq!(
        s.handle(5, p, &[Op::Read as u8, 1, 2]),
        [SysError::BadLength as u8]
    );
    assert_eq!(
        s.handle(5, p, &[Op::Stat as u8, b'c', 0xff]),
        [StoreCode::BadPath as u8]
    );
    assert_eq!(
        s.handle(5, p, b"\x01crash/../boot"),
        [StoreCode::BadPath as u8]
    );
    assert_eq!(
        s.handle(5, p, &[Op::Rename as u8, 200, 0, b'a']),
        [SysError::BadLength as u8]
    );
    assert_eq!(
        s.handle(5, p, &[Op::Append as u8]),
        [SysError::BadLength as u8]
    );
    assert_eq!(
        s.handle(5, p, &[Op::Usage as u8, 1]),
        [SysError::BadLength as u8]
    );
}

#[test]
fn long_listings_come_in_pages() {
    let mut s = server();
    let mut a = as_(&mut s, 5, "crashd");
    let mut c = Client::new(&mut a, STATEFSD);
    let names: Vec<String> = (0..300)
        .map(|i| format!("dump-{i:04}-with-a-long-name.nxcd"))
        .collect();
    for n in &names {
        c.write_file(&format!("crash/{n}"), b"x").unwrap();
    }
    let listed: Vec<String> = c
        .list("crash")
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(listed, names);
    let u = c.usage().unwrap();
    assert_eq!(u.generation, 1);
    assert!(u.used > 2 && u.used < u.blocks);
}
