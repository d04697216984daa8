//! IPC: send, call, receive and reply on endpoints named by service id.
//!
//! Rendezvous with kernel buffering: a sender's message (at most 4 KiB) is copied into
//! the kernel at once; if the receiver is not in `recv`, the sender blocks in the
//! receiver's FIFO inbox until it is (or, for `send_timeout`, until its deadline, when the
//! message is withdrawn). The receiver learns the sender's id from the kernel. A `call`
//! then waits for the receiver's `reply`.

use super::Outcome;
use crate::kernel::Kernel;
use crate::mm::space::{Access, USlice};
use crate::task::{RecvBuf, State};
use abi::args::{CallArgs, CallTimeoutArgs, RecvArgs, RecvTimeoutArgs, ReplyRecvArgs, SendArgs};
use abi::ipc::MAX_MSG;
use abi::{MsgKind, RecvHeader, ServiceId, SysError, UserRange};
use alloc::vec::Vec;

fn live(k: &mut Kernel, id: ServiceId) -> bool {
    k.task(id).is_some_and(|t| t.state != State::Zombie)
}

/// `call(dst, ptr, len, rbuf, rcap)`: a send that waits for the reply.
#[link_section = ".text.hot"]
#[inline(always)]
pub fn call(k: &mut Kernel, args: CallArgs) -> Outcome {
    send_inner(k, args.send, Some(args.reply), None)
}

/// `call_timeout(dst, ptr, len, rbuf, rcap, timeout_ns)`: a call whose request waits to
/// be taken at most `timeout_ns` (0: a try); once taken, it waits for the reply.
pub fn call_timeout(k: &mut Kernel, args: CallTimeoutArgs) -> Outcome {
    send_inner(
        k,
        args.call.send,
        Some(args.call.reply),
        Some(args.timeout_ns),
    )
}

/// `send(dst, ptr, len)` and, with a `timeout_ns`, `send_timeout` (0: a try).
#[link_section = ".text.hot"]
pub fn send(k: &mut Kernel, args: SendArgs, timeout_ns: Option<u64>) -> Outcome {
    send_inner(k, args, None, timeout_ns)
}

#[inline(always)]
fn send_inner(
    k: &mut Kernel,
    args: SendArgs,
    reply: Option<UserRange>,
    timeout_ns: Option<u64>,
) -> Outcome {
    let me = k.current;
    let msg = match args.msg() {
        Ok(msg) => msg,
        Err(e) => return Outcome::Done(Err(e)),
    };
    let dst = args.dst;
    if dst == me {
        return Outcome::Done(Err(SysError::NotPermitted));
    }
    if !live(k, dst) {
        return Outcome::Done(Err(SysError::NoSuchService));
    }
    let Some(space) = k.cur().and_then(|t| t.space.as_ref()) else {
        return Outcome::Switch;
    };
    let msg = match space.check(msg, Access::Read) {
        Ok(m) => m,
        Err(e) => return Outcome::Done(Err(e)),
    };
    let reply = match reply.map(|r| space.check(r.clamped(MAX_MSG), Access::Write)) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(e)) => return Outcome::Done(Err(e)),
    };
    let kind = if reply.is_some() {
        MsgKind::Call
    } else {
        MsgKind::Send
    };
    let receiving = k.task(dst).map(|t| t.state);
    if let Some(State::Receiving(to)) = receiving {
        // The receiver waits: the message goes straight from the sender's frames to the
        // receiver's, without a kernel copy.
        let delivered = deliver(k, dst, me, kind, Payload::User(msg), to);
        return match (delivered, reply) {
            (Err(e), _) => Outcome::Done(Err(e)),
            (Ok(()), None) => Outcome::Done(Ok(0)),
            (Ok(()), Some(buf)) => {
                if let Some(t) = k.cur() {
                    t.state = State::AwaitingReply { from: dst, buf };
                }
                // The caller blocks and its receiver just woke: run it next.
                k.hand_off(dst);
                Outcome::Blocked
            }
        };
    }
    // The receiver is busy. A try does not wait; a deadline bounds the wait.
    let deadline = match timeout_ns {
        None => u64::MAX,
        Some(0) => return Outcome::Done(Err(SysError::TimedOut)),
        Some(ns) => k.deadline_in(ns),
    };
    // The sender's own kernel buffer (kept between sends, no allocation once grown)
    // holds the message until the receiver's `recv`.
    let Some(task) = k.cur() else {
        return Outcome::Switch;
    };
    let mut bytes = core::mem::take(&mut task.outgoing);
    bytes.clear();
    bytes.resize(msg.len(), 0);
    let read = match task.space.as_ref() {
        Some(space) => space.read_user(&msg, &mut bytes),
        None => Err(SysError::BadAddress),
    };
    task.outgoing = bytes;
    if let Err(e) = read {
        return Outcome::Done(Err(e));
    }
    task.state = State::Sending {
        to: dst,
        reply,
        deadline,
    };
    if deadline != u64::MAX {
        k.wake_by(deadline);
    }
    if let Some(t) = k.task(dst) {
        t.inbox.push_back(me);
    }
    Outcome::Blocked
}

/// Where a delivered message comes from.
#[derive(Clone, Copy)]
enum Payload<'a> {
    /// A kernel buffer (a queued message).
    Kernel(&'a [u8]),
    /// The sender's memory (checked readable), copied frame to frame.
    User(USlice),
}

impl Payload<'_> {
    fn len(&self) -> usize {
        match self {
            Payload::Kernel(msg) => msg.len(),
            Payload::User(slice) => slice.len(),
        }
    }
}

/// Copies `len` bytes from `from`'s checked `src` to `to`'s checked `dst`, frame to
/// frame; `None` when either process has no memory (it ended).
#[inline(always)]
fn copy_user(
    k: &Kernel,
    from: ServiceId,
    src: &USlice,
    to: ServiceId,
    dst: &USlice,
    len: usize,
) -> Option<Result<(), SysError>> {
    let space = |id: ServiceId| {
        k.tasks
            .get(id as usize)
            .and_then(Option::as_ref)
            .and_then(|t| t.space.as_ref())
    };
    Some(space(from)?.copy_to(src, space(to)?, dst, len))
}

/// Copies a message into receiver `to`, blocked in `recv`, and wakes it. On a too-small
/// buffer both sides get `Truncated`.
#[inline(always)]
fn deliver(
    k: &mut Kernel,
    to: ServiceId,
    from: ServiceId,
    kind: MsgKind,
    msg: Payload<'_>,
    slot: RecvBuf,
) -> Result<(), SysError> {
    if msg.len() > slot.buf.len() {
        k.complete(to, Err(SysError::Truncated));
        return Err(SysError::Truncated);
    }
    let header = RecvHeader {
        sender: from,
        kind,
        len: msg.len() as u32,
        incarnation: k.task(from).map_or(0, |t| t.incarnation),
    };
    let copied = match msg {
        Payload::Kernel(bytes) => k
            .task(to)
            .and_then(|t| t.space.as_ref())
            .map(|space| space.write_user(&slot.buf, bytes)),
        Payload::User(src) => copy_user(k, from, &src, to, &slot.buf, src.len()),
    };
    let written = match (copied, k.task(to).and_then(|t| t.space.as_ref())) {
        (Some(copied), Some(space)) => {
            copied.and_then(|()| space.write_user(&slot.hdr, &header.to_bytes()))
        }
        _ => Err(SysError::NoSuchService),
    };
    match written {
        Ok(()) => {
            k.complete(to, Ok(msg.len()));
            Ok(())
        }
        Err(e) => {
            k.complete(to, Err(e));
            Err(SysError::PeerGone)
        }
    }
}

/// Checks a receive's buffer (its usable part) and header, writable.
#[inline(always)]
fn check_recv(k: &mut Kernel, args: &RecvArgs) -> Option<Result<RecvBuf, SysError>> {
    let space = k.cur()?.space.as_ref()?;
    Some(
        space
            .check(args.usable(), Access::Write)
            .and_then(|buf| Ok((buf, space.check(args.header, Access::Write)?)))
            .map(|(buf, hdr)| RecvBuf {
                buf,
                hdr,
                deadline: u64::MAX,
            }),
    )
}

/// `recv_timeout(buf, cap, hdr, timeout_ns) -> len`: a receive that gives up with
/// `TimedOut` after `timeout_ns` (0: only a message or notice already there).
pub fn recv_timeout(k: &mut Kernel, args: RecvTimeoutArgs) -> Outcome {
    let mut slot = match check_recv(k, &args.recv) {
        None => return Outcome::Switch,
        Some(Err(e)) => return Outcome::Done(Err(e)),
        Some(Ok(slot)) => slot,
    };
    slot.deadline = k.deadline_in(args.timeout_ns);
    match recv_checked(k, slot) {
        Outcome::Blocked if args.timeout_ns == 0 => {
            if let Some(t) = k.cur() {
                t.state = crate::task::State::Runnable;
            }
            Outcome::Done(Err(SysError::TimedOut))
        }
        Outcome::Blocked => {
            k.wake_by(slot.deadline);
            Outcome::Blocked
        }
        other => other,
    }
}

/// `recv(buf, cap, hdr) -> len`.
#[link_section = ".text.hot"]
pub fn recv(k: &mut Kernel, args: RecvArgs) -> Outcome {
    match check_recv(k, &args) {
        None => Outcome::Switch,
        Some(Err(e)) => Outcome::Done(Err(e)),
        Some(Ok(slot)) => recv_checked(k, slot),
    }
}

#[inline(always)]
fn recv_checked(k: &mut Kernel, slot: RecvBuf) -> Outcome {
    let me = k.current;
    let Some(task) = k.cur() else {
        return Outcome::Switch;
    };
    task.state = State::Receiving(slot);
    if let Some(child) = task.notices.pop_front() {
        k.deliver_notice(me, child, slot);
        return Outcome::Done(ok_result(k, me));
    }
    let Some(sender) = task.inbox.pop_front() else {
        return Outcome::Blocked;
    };
    let (msg, reply) = match k.task(sender) {
        Some(s) => match s.state {
            State::Sending { reply, .. } => (core::mem::take(&mut s.outgoing), reply),
            _ => (Vec::new(), None),
        },
        None => (Vec::new(), None),
    };
    let kind = if reply.is_some() {
        MsgKind::Call
    } else {
        MsgKind::Send
    };
    let delivered = deliver(k, me, sender, kind, Payload::Kernel(&msg), slot);
    if let Some(s) = k.task(sender) {
        s.outgoing = msg;
    }
    match delivered {
        Err(e) => k.complete(sender, Err(e)),
        Ok(()) => match reply {
            None => k.complete(sender, Ok(0)),
            Some(buf) => {
                if let Some(s) = k.task(sender) {
                    s.state = State::AwaitingReply { from: me, buf };
                }
            }
        },
    }
    Outcome::Done(ok_result(k, me))
}

/// The result `deliver`/`deliver_notice` left in the caller's registers.
fn ok_result(k: &mut Kernel, me: ServiceId) -> Result<usize, SysError> {
    match k.task(me) {
        Some(t) => abi::decode_result(t.frame.x[10] as usize, t.frame.x[11] as usize),
        None => Err(SysError::PeerGone),
    }
}

/// `reply(dst, ptr, len)`.
#[link_section = ".text.hot"]
pub fn reply(k: &mut Kernel, args: SendArgs) -> Result<usize, SysError> {
    let me = k.current;
    let msg = args.msg()?;
    let msg = k
        .cur()
        .and_then(|t| t.space.as_ref())
        .ok_or(SysError::BadAddress)?
        .check(msg, Access::Read)?;
    let dst = args.dst;
    let buf = match k.task(dst).map(|t| t.state) {
        Some(State::AwaitingReply { from, buf }) if from == me => buf,
        _ => return Err(SysError::NotPermitted),
    };
    let written = if msg.len() > buf.len() {
        Some(Err(SysError::Truncated))
    } else {
        copy_user(k, me, &msg, dst, &buf, msg.len())
    };
    match written {
        Some(Ok(())) => k.complete(dst, Ok(msg.len())),
        Some(Err(e)) => k.complete(dst, Err(e)),
        None => return Err(SysError::PeerGone),
    }
    Ok(0)
}

/// `reply_recv(dst, ptr, len, buf, cap, hdr)`: `reply` (unless `dst` is 0), then `recv`.
/// Every argument of both halves is checked before either takes effect. When the
/// receive blocks, the hart goes straight to the caller just answered.
#[link_section = ".text.hot"]
pub fn reply_recv(k: &mut Kernel, args: ReplyRecvArgs) -> Outcome {
    // The receive's arguments first: an error means nothing happened, reply included.
    let slot = match check_recv(k, &args.recv) {
        None => return Outcome::Switch,
        Some(Err(e)) => return Outcome::Done(Err(e)),
        Some(Ok(slot)) => slot,
    };
    let answered = match args.reply {
        None => None,
        Some(r) => match reply(k, r) {
            Ok(_) => Some(r.dst),
            // The reply's own arguments are wrong: the caller's bug, reported at once.
            Err(e @ (SysError::BadLength | SysError::BadAddress)) => {
                return Outcome::Done(Err(e));
            }
            // The peer cannot take it (gone, or not waiting on this process): dropped.
            Err(_) => None,
        },
    };
    let outcome = recv_checked(k, slot);
    if let (Outcome::Blocked, Some(to)) = (&outcome, answered) {
        k.hand_off(to);
    }
    outcome
}
