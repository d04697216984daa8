//! statefsd's request handler, sans-IO: a request and its kernel-stamped sender in, a
//! reply out, over a mounted [`statefs::Store`]. statefsd runs it on its disk (through
//! blkd); host tests run it on a store in memory.
//!
//! Every request is checked before the store is touched: the op and argument layout, the
//! path (`statefs::check_path`), then the sender's grant for that path
//! ([`crate::access`]). A refused request changes nothing. A write is held in memory from
//! `Create` to `Commit` (at most [`MAX_WRITE`] bytes, [`MAX_PENDING`] callers at once)
//! and put in the store by one `Store::write`, so it is replaced whole or not at all
//! whatever the caller does in between, even if it ends.

use abi::rpc;
use abi::{ServiceId, SysError};
use alloc::string::String;
use alloc::vec::Vec;
use statefs::{BlockDevice, Kind, Store};

use crate::access::{allows, Access, Grant};
use crate::{Error, Op, StoreCode, MAX_CHUNK, MAX_PENDING, MAX_WRITE};

/// A write in progress.
struct Pending {
    sender: ServiceId,
    path: String,
    size: u64,
    data: Vec<u8>,
}

/// The handler's state: the store, the grants, the writes in progress.
pub struct Server<D: BlockDevice> {
    store: Store<D>,
    grants: &'static [Grant],
    /// Oldest first.
    pending: Vec<Pending>,
}

fn bad() -> Error {
    Error::Sys(SysError::BadLength)
}

fn store_err(e: statefs::Error) -> Error {
    Error::Service(StoreCode::of(&e))
}

/// A path argument: UTF-8, checked by the store's rules; returned without a leading `/`.
fn path_arg(bytes: &[u8]) -> Result<String, Error> {
    let text = core::str::from_utf8(bytes).map_err(|_| Error::Service(StoreCode::BadPath))?;
    statefs::check_path(text)
        .map(String::from)
        .map_err(store_err)
}

impl<D: BlockDevice> Server<D> {
    /// A handler over `store` with `grants` (statefsd: [`crate::access::ACCESS`]).
    pub fn new(store: Store<D>, grants: &'static [Grant]) -> Self {
        Server {
            store,
            grants,
            pending: Vec::new(),
        }
    }

    /// The store (statefsd's own start-up checks).
    pub fn store(&mut self) -> &mut Store<D> {
        &mut self.store
    }

    /// The reply to `request` from `sender`, whose boot-manifest program is `program`
    /// (`None` for a program that is not in the manifest).
    pub fn handle(&mut self, sender: ServiceId, program: Option<&str>, request: &[u8]) -> Vec<u8> {
        let result = match request.split_first() {
            None => Err(bad()),
            Some((op, arg)) => match Op::from_byte(*op) {
                None => Err(Error::Sys(SysError::BadSyscall)),
                Some(op) => self.dispatch(op, sender, program, arg),
            },
        };
        match result {
            Ok(body) => {
                let mut reply = Vec::with_capacity(1 + body.len());
                reply.push(0);
                reply.extend_from_slice(&body);
                reply
            }
            Err(e) => alloc::vec![e.byte()],
        }
    }

    fn check(&self, program: Option<&str>, path: &str, want: Access) -> Result<(), Error> {
        if allows(self.grants, program, path, want) {
            Ok(())
        } else {
            Err(Error::Sys(SysError::Denied))
        }
    }

    fn dispatch(
        &mut self,
        op: Op,
        sender: ServiceId,
        program: Option<&str>,
        arg: &[u8],
    ) -> Result<Vec<u8>, Error> {
        match op {
            Op::Stat => {
                let path = path_arg(arg)?;
                self.check(program, &path, Access::Read)?;
                let e = self.store.stat(&path).map_err(store_err)?;
                let mut b = alloc::vec![if e.kind == Kind::Dir { 2 } else { 1 }];
                b.extend_from_slice(&e.size.to_le_bytes());
                Ok(b)
            }
            Op::Read => {
                let offset = rpc::u64_at(arg, 0)?;
                let path = path_arg(&arg[8..])?;
                self.check(program, &path, Access::Read)?;
                let mut buf = alloc::vec![0u8; MAX_CHUNK];
                let n = self
                    .store
                    .read_at(&path, offset, &mut buf)
                    .map_err(store_err)?;
                buf.truncate(n);
                Ok(buf)
            }
            Op::List => {
                let skip = rpc::u32_at(arg, 0)? as usize;
                let path = path_arg(&arg[4..])?;
                self.check(program, &path, Access::Read)?;
                let entries = self.store.list(&path).map_err(store_err)?;
                let mut b = (entries.len() as u32).to_le_bytes().to_vec();
                for e in entries.iter().skip(skip) {
                    let name = e.path.rsplit('/').next().unwrap_or_default();
                    if b.len() + 10 + name.len() > MAX_CHUNK {
                        break;
                    }
                    b.push(if e.kind == Kind::Dir { 2 } else { 1 });
                    b.extend_from_slice(&e.size.to_le_bytes());
                    b.push(name.len() as u8);
                    b.extend_from_slice(name.as_bytes());
                }
                Ok(b)
            }
            Op::Create => {
                let size = rpc::u64_at(arg, 0)?;
                let path = path_arg(&arg[8..])?;
                self.check(program, &path, Access::ReadWrite)?;
                if size > MAX_WRITE {
                    return Err(Error::Sys(SysError::NoMemory));
                }
                self.pending.retain(|p| p.sender != sender);
                if self.pending.len() >= MAX_PENDING {
                    self.pending.remove(0);
                }
                self.pending.push(Pending {
                    sender,
                    path,
                    size,
                    data: Vec::with_capacity(size as usize),
                });
                Ok(Vec::new())
            }
            Op::Append => {
                if arg.is_empty() || arg.len() > MAX_CHUNK {
                    return Err(bad());
                }
                let p = self
                    .pending
                    .iter_mut()
                    .find(|p| p.sender == sender)
                    .ok_or(Error::Sys(SysError::NotPermitted))?;
                if p.data.len() as u64 + arg.len() as u64 > p.size {
                    return Err(Error::Sys(SysError::NotPermitted));
                }
                p.data.extend_from_slice(arg);
                Ok((p.data.len() as u64).to_le_bytes().to_vec())
            }
            Op::Commit => {
                if !arg.is_empty() {
                    return Err(bad());
                }
                let at = self
                    .pending
                    .iter()
                    .position(|p| p.sender == sender)
                    .ok_or(Error::Sys(SysError::NotPermitted))?;
                let p = self.pending.remove(at);
                if p.data.len() as u64 != p.size {
                    return Err(Error::Sys(SysError::NotPermitted));
                }
                self.store.write(&p.path, &p.data).map_err(store_err)?;
                Ok(Vec::new())
            }
            Op::Remove => {
                let path = path_arg(arg)?;
                self.check(program, &path, Access::ReadWrite)?;
                self.store.remove(&path).map_err(store_err)?;
                Ok(Vec::new())
            }
            Op::Rename => {
                let len = usize::from(u16::from_le_bytes(
                    arg.get(..2)
                        .ok_or_else(bad)?
                        .try_into()
                        .map_err(|_| bad())?,
                ));
                let from = path_arg(arg.get(2..2 + len).ok_or_else(bad)?)?;
                let to = path_arg(&arg[2 + len..])?;
                self.check(program, &from, Access::ReadWrite)?;
                self.check(program, &to, Access::ReadWrite)?;
                self.store.rename(&from, &to).map_err(store_err)?;
                Ok(Vec::new())
            }
            Op::Usage => {
                if !arg.is_empty() {
                    return Err(bad());
                }
                if !self.grants.iter().any(|g| Some(g.program) == program) {
                    return Err(Error::Sys(SysError::Denied));
                }
                let u = self.store.usage().map_err(store_err)?;
                let mut b = u.block_size.to_le_bytes().to_vec();
                b.extend_from_slice(&u.blocks.to_le_bytes());
                b.extend_from_slice(&u.used.to_le_bytes());
                b.extend_from_slice(&self.store.header().generation.to_le_bytes());
                Ok(b)
            }
        }
    }
}
