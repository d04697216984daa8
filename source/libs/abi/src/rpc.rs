//! The request convention every os-lite service speaks over `call`: a request is an op
//! byte then an argument; a reply is a status byte (0, or a [`SysError`] code, or from
//! [`FIRST_SERVICE_CODE`] a code of the service's own, [`ServiceCode`]) then a body.
//! Integers in bodies are little-endian.
//!
//! Each service's `-api` crate (`samgrd-api`, `init-api`) defines its ops, errors and
//! client stubs on top of this, over a [`Caller`] the user runtime implements with the
//! `call` syscall (and a host test with a fake server), so the service and its clients
//! share one definition.

use crate::ipc::{ServiceId, MAX_MSG};
use crate::syscall::SysError;
use alloc::vec::Vec;

/// A synchronous IPC call: what client stubs need from the runtime.
pub trait Caller {
    /// Sends `request` to `dst` and waits for the reply in `reply`; returns its length.
    fn call(&mut self, dst: ServiceId, request: &[u8], reply: &mut [u8])
        -> Result<usize, SysError>;
}

/// A request: `op` then `arg`.
pub fn request(op: u8, arg: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(1 + arg.len());
    m.push(op);
    m.extend_from_slice(arg);
    m
}

/// A reply: status 0 and `body`, or the error's code alone.
pub fn status(result: Result<&[u8], SysError>) -> Vec<u8> {
    match result {
        Ok(body) => request(0, body),
        Err(e) => alloc::vec![e as u8],
    }
}

/// The body of a reply, or the error its status byte carries (`BadLength` for an empty
/// reply, `BadSyscall` for an unknown code).
pub fn reply_body(reply: &[u8]) -> Result<&[u8], SysError> {
    match reply.split_first() {
        Some((0, body)) => Ok(body),
        Some((code, _)) => {
            Err(SysError::from_code(usize::from(*code)).unwrap_or(SysError::BadSyscall))
        }
        None => Err(SysError::BadLength),
    }
}

/// Calls `dst` with `op arg` and returns the reply's body (or the error it carries).
pub fn rpc<C: Caller + ?Sized>(
    caller: &mut C,
    dst: ServiceId,
    op: u8,
    arg: &[u8],
) -> Result<Vec<u8>, SysError> {
    let mut reply = alloc::vec![0u8; MAX_MSG];
    let n = caller.call(dst, &request(op, arg), &mut reply)?;
    reply.truncate(n);
    reply_body(&reply).map(<[u8]>::to_vec)
}

/// The first status code a service may give its own meaning (below it: the
/// [`SysError`] codes, whose meaning is the ABI's).
pub const FIRST_SERVICE_CODE: u8 = 64;

/// A service's own status codes (from [`FIRST_SERVICE_CODE`]), defined in its `-api`
/// crate beside its ops.
pub trait ServiceCode: Copy {
    /// The code with status byte `b`, if the service defines one.
    fn from_byte(b: u8) -> Option<Self>;
    /// The status byte.
    fn byte(self) -> u8;
}

/// Why a request to a service with its own codes failed: the request or the IPC (a
/// [`SysError`]), or the service's own reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceError<C> {
    /// The request itself, or the IPC.
    Sys(SysError),
    /// The service's own.
    Service(C),
}

impl<C> From<SysError> for ServiceError<C> {
    fn from(e: SysError) -> Self {
        ServiceError::Sys(e)
    }
}

impl<C: core::fmt::Debug> core::fmt::Display for ServiceError<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ServiceError::Sys(e) => write!(f, "{e}"),
            ServiceError::Service(c) => write!(f, "{c:?}"),
        }
    }
}

impl<C: ServiceCode> ServiceError<C> {
    /// The status byte of the error.
    pub fn byte(self) -> u8 {
        match self {
            ServiceError::Sys(s) => s as u8,
            ServiceError::Service(c) => c.byte(),
        }
    }
}

/// A reply: status 0 and `body`, or the error's status byte alone.
pub fn service_status<C: ServiceCode>(result: Result<&[u8], ServiceError<C>>) -> Vec<u8> {
    match result {
        Ok(body) => request(0, body),
        Err(e) => alloc::vec![e.byte()],
    }
}

/// The body of a reply, or the error its status byte carries (the service's own code,
/// else a [`SysError`]; `BadLength` for an empty reply, `BadSyscall` for an unknown code).
pub fn service_body<C: ServiceCode>(reply: &[u8]) -> Result<&[u8], ServiceError<C>> {
    match reply.split_first() {
        Some((0, body)) => Ok(body),
        Some((code, _)) => Err(match C::from_byte(*code) {
            Some(c) => ServiceError::Service(c),
            None => ServiceError::Sys(
                SysError::from_code(usize::from(*code)).unwrap_or(SysError::BadSyscall),
            ),
        }),
        None => Err(ServiceError::Sys(SysError::BadLength)),
    }
}

/// Calls `dst` with `op arg` and returns the reply's body, or the error it carries, for a
/// service with its own codes.
pub fn service_rpc<R: Caller + ?Sized, C: ServiceCode>(
    caller: &mut R,
    dst: ServiceId,
    op: u8,
    arg: &[u8],
) -> Result<Vec<u8>, ServiceError<C>> {
    let mut reply = alloc::vec![0u8; MAX_MSG];
    let n = caller.call(dst, &request(op, arg), &mut reply)?;
    reply.truncate(n);
    service_body(&reply).map(<[u8]>::to_vec)
}

/// A little-endian `u32` at byte `at` of `body` (`BadLength` when it does not fit).
pub fn u32_at(body: &[u8], at: usize) -> Result<u32, SysError> {
    u32_of(body.get(at..).ok_or(SysError::BadLength)?)
}

/// A little-endian `u64` at byte `at` of `body` (`BadLength` when it does not fit).
pub fn u64_at(body: &[u8], at: usize) -> Result<u64, SysError> {
    u64_of(body.get(at..).ok_or(SysError::BadLength)?)
}

/// A little-endian `u32` at the start of `body`.
pub fn u32_of(body: &[u8]) -> Result<u32, SysError> {
    let b = body.get(..4).ok_or(SysError::BadLength)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A little-endian `u64` at the start of `body`.
pub fn u64_of(body: &[u8]) -> Result<u64, SysError> {
    let b: [u8; 8] = body
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or(SysError::BadLength)?;
    Ok(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers every call with a fixed reply, recording the request.
    struct Canned(Vec<u8>, Vec<u8>);

    impl Caller for Canned {
        fn call(&mut self, _: ServiceId, req: &[u8], reply: &mut [u8]) -> Result<usize, SysError> {
            self.1 = req.to_vec();
            reply[..self.0.len()].copy_from_slice(&self.0);
            Ok(self.0.len())
        }
    }

    #[test]
    fn a_request_is_the_op_then_the_argument() {
        assert_eq!(request(3, b"ab"), [3, b'a', b'b']);
        let mut c = Canned(alloc::vec![0, 7, 0, 0, 0], Vec::new());
        assert_eq!(rpc(&mut c, 2, 9, b"x"), Ok(alloc::vec![7, 0, 0, 0]));
        assert_eq!(c.1, [9, b'x']);
    }

    #[test]
    fn a_reply_status_is_the_error_code() {
        assert_eq!(status(Err(SysError::Denied)), [5]);
        assert_eq!(status(Ok(b"z")), [0, b'z']);
        assert_eq!(reply_body(&[5]), Err(SysError::Denied));
        assert_eq!(reply_body(&[200]), Err(SysError::BadSyscall));
        assert_eq!(reply_body(&[]), Err(SysError::BadLength));
        assert_eq!(reply_body(&[0]), Ok(&[][..]));
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Full;

    impl ServiceCode for Full {
        fn from_byte(b: u8) -> Option<Self> {
            (b == 64).then_some(Full)
        }
        fn byte(self) -> u8 {
            64
        }
    }

    #[test]
    fn a_service_status_is_its_own_code_or_a_sys_error() {
        assert_eq!(
            service_status::<Full>(Err(ServiceError::Service(Full))),
            [64]
        );
        assert_eq!(service_status::<Full>(Err(SysError::Denied.into())), [5]);
        assert_eq!(
            service_body::<Full>(&[64]),
            Err(ServiceError::Service(Full))
        );
        assert_eq!(
            service_body::<Full>(&[5]),
            Err(ServiceError::Sys(SysError::Denied))
        );
        assert_eq!(
            service_body::<Full>(&[65]),
            Err(ServiceError::Sys(SysError::BadSyscall))
        );
        assert_eq!(
            service_body::<Full>(&[]),
            Err(ServiceError::Sys(SysError::BadLength))
        );
        assert_eq!(service_body::<Full>(&[0, 1]), Ok(&[1][..]));
        let mut c = Canned(alloc::vec![64], Vec::new());
        assert_eq!(
            service_rpc::<_, Full>(&mut c, 2, 9, b"x"),
            Err(ServiceError::Service(Full))
        );
    }

    #[test]
    fn integers_are_little_endian_and_bounded() {
        assert_eq!(u32_of(&[1, 2, 0, 0, 9]), Ok(0x0201));
        assert_eq!(u32_of(&[1, 2, 3]), Err(SysError::BadLength));
        assert_eq!(u64_of(&7u64.to_le_bytes()), Ok(7));
        assert_eq!(u64_of(&[0; 7]), Err(SysError::BadLength));
        assert_eq!(u32_at(&[9, 1, 2, 0, 0], 1), Ok(0x0201));
        assert_eq!(u32_at(&[1, 2], 5), Err(SysError::BadLength));
        assert_eq!(u64_at(&[0; 12], 4), Ok(0));
        assert_eq!(u64_at(&[0; 11], 4), Err(SysError::BadLength));
    }
}
