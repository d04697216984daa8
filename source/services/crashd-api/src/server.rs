//! crashd's request handler, sans-IO: the service gives it the request, the sender's
//! boot-manifest line (from the kernel-stamped id) and the store (statefsd in the OS, a
//! map in host tests), and gets back the reply and the line to print, so the host tests
//! drive the code crashd runs.
//!
//! Invariant: the line `crashd: dump written (id=<id> bytes=<n>)` is returned only after
//! [`DumpStore::write`] returned ok (statefsd's `Commit`), and the reply names that dump.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Debug;

use abi::{FaultRecord, SysError};
use initrd::manifest::Program;

use crate::{dump, dump_path, may_submit, reply, CrashCode, Error, Op, Stored, Submission};

/// Where dumps are stored: files of `state:`, each written whole or not at all.
pub trait DumpStore {
    /// Why a store request failed (printed, never sent).
    type Error: Debug;
    /// Replaces (or creates) the file at `path` with `bytes`, whole or not at all.
    fn write(&mut self, path: &str, bytes: &[u8]) -> Result<(), Self::Error>;
    /// The size of the file at `path`; `None` when there is no such file.
    fn size(&mut self, path: &str) -> Result<Option<u64>, Self::Error>;
}

/// What handling one request gives: the reply, and the line crashd prints, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The reply to send.
    pub reply: Vec<u8>,
    /// The UART line: the dump written, or why a submission was refused.
    pub line: Option<String>,
}

impl Handled {
    fn quiet(result: Result<Vec<u8>, Error>) -> Handled {
        Handled {
            reply: reply(result.as_deref().map_err(|e| *e)),
            line: None,
        }
    }

    fn refused(e: Error, line: String) -> Handled {
        Handled {
            reply: reply(Err(e)),
            line: Some(line),
        }
    }
}

/// Answers the request `req` from a sender whose manifest line is `program`.
pub fn handle<S: DumpStore>(store: &mut S, program: Option<&Program<'_>>, req: &[u8]) -> Handled {
    let Some((&op, arg)) = req.split_first() else {
        return Handled::quiet(Err(Error::Sys(SysError::BadLength)));
    };
    match Op::from_byte(op) {
        Some(Op::Submit) if may_submit(program) => submit(store, arg),
        Some(Op::Stat) if may_submit(program) => Handled::quiet(stat(store, arg)),
        Some(Op::Submit | Op::Stat) => Handled::quiet(Err(Error::Sys(SysError::Denied))),
        None => Handled::quiet(Err(Error::Sys(SysError::BadSyscall))),
    }
}

fn submit<S: DumpStore>(store: &mut S, arg: &[u8]) -> Handled {
    let sub = match Submission::decode(arg) {
        Ok(sub) => sub,
        Err(e) => return Handled::quiet(Err(Error::Sys(e))),
    };
    let record = match FaultRecord::decode(sub.record) {
        Ok(r) => r,
        Err(e) => {
            return Handled::refused(
                Error::Service(CrashCode::BadRecord),
                format!("crashd: refused a record of {}: {e}", sub.program),
            )
        }
    };
    let (id, bytes) = match dump::encode(&sub, &record) {
        Ok(d) => d,
        Err(e) => {
            return Handled::refused(
                Error::Service(CrashCode::BadDump),
                format!("crashd: refused a record of {}: {e}", sub.program),
            )
        }
    };
    let path = dump_path(id.as_str());
    if let Err(e) = store.write(&path, &bytes) {
        return Handled::refused(
            Error::Service(CrashCode::Store),
            format!("crashd: cannot write {path}: {e:?}"),
        );
    }
    let stored = Stored {
        id: String::from(id.as_str()),
        size: bytes.len() as u64,
    };
    Handled {
        reply: reply(Ok(&stored.encode())),
        line: Some(format!(
            "crashd: dump written (id={} bytes={})",
            stored.id, stored.size
        )),
    }
}

fn stat<S: DumpStore>(store: &mut S, arg: &[u8]) -> Result<Vec<u8>, Error> {
    let id = core::str::from_utf8(arg)
        .ok()
        .filter(|id| dump::valid_id(id))
        .ok_or(Error::Sys(SysError::BadLength))?;
    match store.size(&dump_path(id)) {
        Ok(Some(size)) => Ok(size.to_le_bytes().to_vec()),
        Ok(None) => Err(Error::Service(CrashCode::NotFound)),
        Err(_) => Err(Error::Service(CrashCode::Store)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CrashCode;

    fn body(reply: &[u8]) -> Result<&[u8], crate::Error> {
        abi::rpc::service_body::<CrashCode>(reply)
    }
    use abi::fault::{ModuleEntry, REG_COUNT, REG_FP, REG_PC, REG_SCAUSE, REG_SP, REG_STVAL};
    use alloc::collections::BTreeMap;
    use alloc::vec;
    use initrd::manifest::Manifest;

    /// Files in memory; `fail` makes every write fail (a full or broken store).
    #[derive(Default)]
    struct Files {
        files: BTreeMap<String, Vec<u8>>,
        fail: bool,
    }

    impl DumpStore for Files {
        type Error = &'static str;
        fn write(&mut self, path: &str, bytes: &[u8]) -> Result<(), &'static str> {
            if self.fail {
                return Err("no space");
            }
            self.files.insert(String::from(path), bytes.to_vec());
            Ok(())
        }
        fn size(&mut self, path: &str) -> Result<Option<u64>, &'static str> {
            Ok(self.files.get(path).map(|f| f.len() as u64))
        }
    }

    const MANIFEST: &[u8] =
        b"init spawn\nsamgrd boot\nselftest-client boot runner final\ncrash-demo ondemand\n";

    fn record_bytes() -> Vec<u8> {
        let mut regs = [0u64; REG_COUNT];
        regs[REG_PC] = 0x4001_0020;
        regs[REG_SCAUSE] = 15;
        regs[REG_STVAL] = 0x10;
        regs[REG_SP] = 0x7fff_ef80;
        regs[REG_FP] = 0x7fff_efa0;
        let mut rec = FaultRecord::new(regs);
        rec.stack_len = 64;
        rec.modules[0] = ModuleEntry::new(
            b"crash-demo",
            0x4001_0000,
            0x4001_3000,
            0x4001_0000,
            &[0x68; 20],
        );
        rec.module_count = 1;
        let mut raw = vec![0u8; FaultRecord::MAX_LEN];
        let n = rec.encode(&mut raw).unwrap();
        raw.truncate(n);
        raw
    }

    fn submit_request(record: &[u8]) -> Vec<u8> {
        let sub = Submission {
            pid: 13,
            time_ns: 375_319_100,
            program: "crash-demo",
            record,
        };
        abi::rpc::request(Op::Submit as u8, &sub.encode().unwrap())
    }

    #[test]
    fn a_supervisors_record_is_written_then_announced_and_stat_finds_it() {
        let m = Manifest::parse(MANIFEST).unwrap();
        let mut store = Files::default();
        let h = handle(
            &mut store,
            m.by_name("selftest-client"),
            &submit_request(&record_bytes()),
        );
        let stored = Stored::decode(body(&h.reply).unwrap()).unwrap();
        assert_eq!(stored.id, "375319100-crash-demo-13");
        let file = &store.files["crash/375319100-crash-demo-13.nxcd"];
        assert_eq!(file.len() as u64, stored.size);
        let dump = nxcd::Dump::decode(file).unwrap();
        assert_eq!(dump.header.process, "crash-demo");
        assert_eq!(
            h.line.as_deref(),
            Some(
                alloc::format!(
                    "crashd: dump written (id=375319100-crash-demo-13 bytes={})",
                    stored.size
                )
                .as_str()
            )
        );
        let supervisor = m.by_name("selftest-client");
        let stat = abi::rpc::request(Op::Stat as u8, stored.id.as_bytes());
        let h = handle(&mut store, supervisor, &stat);
        assert_eq!(body(&h.reply), Ok(&stored.size.to_le_bytes()[..]));
        for who in [m.by_name("crash-demo"), None] {
            assert_eq!(
                body(&handle(&mut store, who, &stat).reply),
                Err(Error::Sys(SysError::Denied))
            );
        }
        let missing = abi::rpc::request(Op::Stat as u8, b"1-x-2");
        assert_eq!(
            body(&handle(&mut store, supervisor, &missing).reply),
            Err(Error::Service(CrashCode::NotFound))
        );
        let escape = abi::rpc::request(Op::Stat as u8, b"../boot/bootctl");
        assert_eq!(
            body(&handle(&mut store, supervisor, &escape).reply),
            Err(Error::Sys(SysError::BadLength))
        );
    }

    #[test]
    fn only_a_supervisor_may_submit_and_nothing_is_written_otherwise() {
        let m = Manifest::parse(MANIFEST).unwrap();
        let mut store = Files::default();
        let req = submit_request(&record_bytes());
        for who in [m.by_name("samgrd"), m.by_name("crash-demo"), None] {
            let h = handle(&mut store, who, &req);
            assert_eq!(body(&h.reply), Err(Error::Sys(SysError::Denied)));
            assert_eq!(h.line, None);
        }
        assert!(store.files.is_empty());
        let h = handle(&mut store, m.by_name("init"), &req);
        assert!(body(&h.reply).is_ok());
    }

    #[test]
    fn a_failed_write_is_a_store_error_never_announced_as_written() {
        let m = Manifest::parse(MANIFEST).unwrap();
        let mut store = Files {
            fail: true,
            ..Files::default()
        };
        let h = handle(
            &mut store,
            m.by_name("init"),
            &submit_request(&record_bytes()),
        );
        assert_eq!(body(&h.reply), Err(Error::Service(CrashCode::Store)));
        let line = h.line.unwrap();
        assert!(line.starts_with("crashd: cannot write crash/375319100-crash-demo-13.nxcd"));
        assert!(!line.contains("dump written"));
    }

    #[test]
    fn malformed_requests_are_refused_by_kind() {
        let m = Manifest::parse(MANIFEST).unwrap();
        let init = m.by_name("init");
        let mut store = Files::default();
        let mut damaged = record_bytes();
        damaged[0] ^= 0xff;
        let cases: [(Vec<u8>, Error); 5] = [
            (vec![], Error::Sys(SysError::BadLength)),
            (vec![9], Error::Sys(SysError::BadSyscall)),
            (
                vec![Op::Submit as u8, 1, 2],
                Error::Sys(SysError::BadLength),
            ),
            (
                submit_request(&damaged),
                Error::Service(CrashCode::BadRecord),
            ),
            (submit_request(&[]), Error::Service(CrashCode::BadRecord)),
        ];
        for (req, want) in cases {
            assert_eq!(body(&handle(&mut store, init, &req).reply), Err(want));
        }
        // A record of another program than the one named.
        let mut other = record_bytes();
        other[320 + 64 + 64] = b'x';
        let h = handle(&mut store, init, &submit_request(&other));
        assert_eq!(body(&h.reply), Err(Error::Service(CrashCode::BadDump)));
        assert!(store.files.is_empty());
        // Every truncation of a good request: an error reply, never a panic.
        let good = submit_request(&record_bytes());
        for len in 0..good.len() {
            assert!(body(&handle(&mut store, init, &good[..len]).reply).is_err());
        }
        assert!(store.files.is_empty());
    }
}
