//! init: the first program. Starts the boot manifest's `boot` programs in order, each
//! after the previous reported ready, and prints `init: ready` when all are up. Its
//! children are the boot programs only (execd, one of them, starts and supervises the
//! `app` and `ondemand` programs): the end of one is a failure of the boot, except the
//! `final` program's, with whose status init ends, and the kernel stops the machine.
//! The `final` program alone may ask init to reboot (`init_api::Op::Reboot`); init then
//! has the kernel reset the machine.
//!
//! It reads the same `boot.manifest` the kernel reads from the initrd (compiled in).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use init_api::Op;
use initrd::manifest::{Manifest, Program};
use nexus_rt::abi::ipc::KERNEL_ID;
use nexus_rt::abi::{FaultRecord, MsgKind, ServiceId, SysError};
use nexus_rt::proto::{self, status};
use nexus_rt::{log, println, sys};

nexus_rt::entry!(main);

const MANIFEST: &[u8] = include_bytes!("../boot.manifest");

struct Init<'a> {
    manifest: Manifest<'a>,
    boot: Vec<Program<'a>>,
    next_boot: usize,
    awaiting_ready: Option<ServiceId>,
    /// Records for logd, held until logd is up and then sent after each reply (init
    /// never calls logd while logd may be calling it).
    pending: Vec<String>,
    log: Option<log::Logger<log::Backend>>,
}

/// Most records init holds for logd before it is up.
const MAX_PENDING: usize = 16;

fn main() -> i32 {
    let manifest = match Manifest::parse(MANIFEST) {
        Ok(m) => m,
        Err(e) => {
            println!("init: FAIL: {e}");
            return 2;
        }
    };
    let boot = manifest
        .programs()
        .iter()
        .filter(|p| p.boot)
        .copied()
        .collect();
    let mut init = Init {
        manifest,
        boot,
        next_boot: 0,
        awaiting_ready: None,
        pending: Vec::new(),
        log: None,
    };
    if let Err(code) = init.start_next() {
        return code;
    }
    let mut buf = alloc::vec![0u8; nexus_rt::abi::ipc::MAX_MSG];
    loop {
        let hdr = match sys::recv(&mut buf) {
            Ok(h) => h,
            Err(e) => {
                println!("init: recv: {e}");
                continue;
            }
        };
        let msg = &buf[..hdr.len as usize];
        if hdr.sender == KERNEL_ID && hdr.kind == MsgKind::ChildExited {
            if let Some(code) = init.child_ended(msg) {
                return code;
            }
        } else if hdr.kind == MsgKind::Call {
            let reply = init.request(hdr.sender, msg);
            if let Some(reply) = reply {
                let _ = sys::reply(hdr.sender, &reply);
            }
            init.flush_log();
        }
    }
}

impl Init<'_> {
    /// Holds a record for logd; past [`MAX_PENDING`] held ones it is dropped, and said
    /// so on the UART.
    fn note(&mut self, message: String) {
        if self.pending.len() < MAX_PENDING {
            self.pending.push(message);
        } else {
            println!("init: log: not sent (logd not up): {message}");
        }
    }

    /// Sends the held records once logd is up.
    fn flush_log(&mut self) {
        let Some(log) = self.log.as_mut() else { return };
        for message in self.pending.drain(..) {
            log::send(log, log::Level::Info, &message, &log::Fields::new());
        }
    }

    /// Starts the next boot program, or announces readiness when all are up.
    fn start_next(&mut self) -> Result<(), i32> {
        let Some(p) = self.boot.get(self.next_boot).copied() else {
            println!("init: ready");
            println!(
                "bench: kernel start to init: ready {} us",
                sys::time_ns() / 1000
            );
            self.note(String::from("ready"));
            return Ok(());
        };
        match sys::spawn(p.name) {
            Ok(id) => {
                self.awaiting_ready = Some(id);
                Ok(())
            }
            Err(e) => {
                println!("init: FAIL: cannot start {}: {e}", p.name);
                Err(1)
            }
        }
    }

    /// Handles a call; `None` for a message too short to be a request.
    fn request(&mut self, sender: ServiceId, msg: &[u8]) -> Option<Vec<u8>> {
        let (op, arg) = msg.split_first()?;
        let caller = self.manifest.by_id(sender).copied();
        match Op::from_byte(*op) {
            Some(Op::Ready) if self.awaiting_ready == Some(sender) => {
                self.awaiting_ready = None;
                self.next_boot += 1;
                if let Some(p) = caller {
                    self.note(format!("{} ready", p.name));
                    if p.name == log::LOGD_NAME {
                        self.log = log::connect(Ok(sender), "init");
                    }
                }
                if let Err(code) = self.start_next() {
                    sys::exit(code);
                }
                Some(status(Ok(&[])))
            }
            Some(Op::Locate) => {
                let name = core::str::from_utf8(arg).unwrap_or("");
                let found = self.manifest.by_name(name).map(|p| p.id.to_le_bytes());
                Some(match found {
                    Some(id) => status(Ok(&id)),
                    None => status(Err(SysError::NoSuchProgram)),
                })
            }
            Some(Op::Reboot) if caller.is_some_and(|p| p.is_final) => {
                println!(
                    "init: reboot requested by {}",
                    caller.map_or("", |p| p.name)
                );
                // Returns only with the kernel's refusal.
                let refused = sys::reboot();
                println!("init: FAIL: reboot: {refused}");
                Some(status(Err(refused)))
            }
            _ => Some(status(Err(SysError::NotPermitted))),
        }
    }

    /// Collects a child's end (a boot program's). Returns init's own exit code when the
    /// system must stop: the `final` program ended, or another boot program did.
    fn child_ended(&mut self, msg: &[u8]) -> Option<i32> {
        let child = proto::u32_of(msg).ok()?;
        let mut record = [0u8; FaultRecord::MAX_LEN];
        let code = match sys::wait(child, &mut record) {
            Ok(code) => code,
            Err(e) => {
                println!("init: wait {child}: {e}");
                return None;
            }
        };
        let program = self.manifest.by_id(child).copied()?;
        if program.is_final {
            println!("init: {} exited with {code}; stopping", program.name);
            return Some(if code == 0 { 0 } else { 1 });
        }
        println!(
            "init: FAIL: boot program {} ended with {code}",
            program.name
        );
        Some(1)
    }
}
