//! IPC: send, call, receive and reply on endpoints named by service id.
//!
//! Rendezvous with kernel buffering: a sender's message (at most 4 KiB) is copied into
//! the kernel at once; if the receiver is not in `recv`, the sender blocks in the
//! receiver's FIFO inbox until it is. The receiver learns the sender's id from the
//! kernel. A `call` then waits for the receiver's `reply`.

use super::Outcome;
use crate::task::{Kernel, RecvBuf, State};
use abi::ipc::MAX_MSG;
use abi::{MsgKind, RecvHeader, ServiceId, SysError};
use alloc::vec::Vec;

fn live(k: &mut Kernel, id: ServiceId) -> bool {
    k.task(id).is_some_and(|t| t.state != State::Zombie)
}

/// `send(dst, ptr, len)` and, with `reply = Some((buf, cap))`, `call`.
#[link_section = ".text.hot"]
pub fn send(
    k: &mut Kernel,
    dst: usize,
    ptr: usize,
    len: usize,
    reply: Option<(usize, usize)>,
) -> Outcome {
    let me = k.current;
    if len > MAX_MSG {
        return Outcome::Done(Err(SysError::BadLength));
    }
    let dst = u32::try_from(dst).unwrap_or(u32::MAX);
    if dst == me {
        return Outcome::Done(Err(SysError::NotPermitted));
    }
    if !live(k, dst) {
        return Outcome::Done(Err(SysError::NoSuchService));
    }
    let Some(space) = k.cur().and_then(|t| t.space.as_ref()) else {
        return Outcome::Switch;
    };
    if let Err(e) = space.check(ptr, len, false) {
        return Outcome::Done(Err(e));
    }
    if let Some((buf, cap)) = reply {
        if let Err(e) = space.check(buf, cap.min(MAX_MSG), true) {
            return Outcome::Done(Err(e));
        }
    }
    let kind = if reply.is_some() {
        MsgKind::Call
    } else {
        MsgKind::Send
    };
    let receiving = k.task(dst).map(|t| t.state);
    if let Some(State::Receiving(to)) = receiving {
        // The receiver waits: the message goes straight from the sender's frames to the
        // receiver's, without a kernel copy.
        let delivered = deliver(k, dst, me, kind, Payload::User { ptr, len }, to);
        return match (delivered, reply) {
            (Err(e), _) => Outcome::Done(Err(e)),
            (Ok(()), None) => Outcome::Done(Ok(0)),
            (Ok(()), Some((buf, cap))) => {
                if let Some(t) = k.cur() {
                    t.state = State::AwaitingReply {
                        from: dst,
                        buf,
                        cap,
                    };
                }
                // The caller blocks and its receiver just woke: run it next.
                k.hand_off(dst);
                Outcome::Blocked
            }
        };
    }
    // The receiver is busy: the sender's own kernel buffer (kept between sends, no
    // allocation once grown) holds the message until the receiver's `recv`.
    let Some(task) = k.cur() else {
        return Outcome::Switch;
    };
    let mut msg = core::mem::take(&mut task.outgoing);
    msg.clear();
    msg.resize(len, 0);
    let read = match task.space.as_ref() {
        Some(space) => space.read_user(ptr, &mut msg),
        None => Err(SysError::BadAddress),
    };
    task.outgoing = msg;
    if let Err(e) = read {
        return Outcome::Done(Err(e));
    }
    task.state = State::Sending { to: dst, reply };
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
    /// The sender's memory at `ptr` (already checked readable), copied frame to frame.
    User { ptr: usize, len: usize },
}

impl Payload<'_> {
    fn len(&self) -> usize {
        match self {
            Payload::Kernel(msg) => msg.len(),
            Payload::User { len, .. } => *len,
        }
    }
}

/// Copies `len` bytes from `from`'s memory at `src` to `to`'s memory at `dst`, frame to
/// frame; `None` when either process has no memory (it ended).
#[inline(always)]
fn copy_user(
    k: &Kernel,
    from: ServiceId,
    src: usize,
    to: ServiceId,
    dst: usize,
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
    if msg.len() > slot.cap {
        k.complete(to, Err(SysError::Truncated));
        return Err(SysError::Truncated);
    }
    let header = RecvHeader {
        sender: from,
        kind,
        len: msg.len() as u32,
    };
    let copied = match msg {
        Payload::Kernel(bytes) => k
            .task(to)
            .and_then(|t| t.space.as_ref())
            .map(|space| space.write_user(slot.buf, bytes)),
        Payload::User { ptr, len } => copy_user(k, from, ptr, to, slot.buf, len),
    };
    let written = match (copied, k.task(to).and_then(|t| t.space.as_ref())) {
        (Some(copied), Some(space)) => {
            copied.and_then(|()| space.write_user(slot.hdr, &header.to_bytes()))
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

/// `recv(buf, cap, hdr) -> len`.
#[link_section = ".text.hot"]
pub fn recv(k: &mut Kernel, buf: usize, cap: usize, hdr: usize) -> Outcome {
    let me = k.current;
    let Some(task) = k.cur() else {
        return Outcome::Switch;
    };
    let Some(space) = task.space.as_ref() else {
        return Outcome::Switch;
    };
    if let Err(e) = space
        .check(buf, cap.min(MAX_MSG), true)
        .and_then(|()| space.check(hdr, RecvHeader::LEN, true))
    {
        return Outcome::Done(Err(e));
    }
    let slot = RecvBuf { buf, cap, hdr };
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
            Some((buf, cap)) => {
                if let Some(s) = k.task(sender) {
                    s.state = State::AwaitingReply { from: me, buf, cap };
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
pub fn reply(k: &mut Kernel, dst: usize, ptr: usize, len: usize) -> Result<usize, SysError> {
    let me = k.current;
    if len > MAX_MSG {
        return Err(SysError::BadLength);
    }
    k.cur()
        .and_then(|t| t.space.as_ref())
        .ok_or(SysError::BadAddress)?
        .check(ptr, len, false)?;
    let dst = u32::try_from(dst).map_err(|_| SysError::NoSuchService)?;
    let (buf, cap) = match k.task(dst).map(|t| t.state) {
        Some(State::AwaitingReply { from, buf, cap }) if from == me => (buf, cap),
        _ => return Err(SysError::NotPermitted),
    };
    let written = if len > cap {
        Some(Err(SysError::Truncated))
    } else {
        copy_user(k, me, ptr, dst, buf, len)
    };
    match written {
        Some(Ok(())) => k.complete(dst, Ok(len)),
        Some(Err(e)) => k.complete(dst, Err(e)),
        None => return Err(SysError::PeerGone),
    }
    Ok(0)
}

/// `reply_recv(dst, ptr, len, buf, cap, hdr)`: `reply` (unless `dst` is 0), then `recv`.
/// Every argument of both halves is checked before either takes effect. When the
/// receive blocks, the hart goes straight to the caller just answered.
#[link_section = ".text.hot"]
pub fn reply_recv(k: &mut Kernel, a: [usize; 6]) -> Outcome {
    // The receive's arguments first: an error means nothing happened, reply included.
    let Some(space) = k.cur().and_then(|t| t.space.as_ref()) else {
        return Outcome::Switch;
    };
    if let Err(e) = space
        .check(a[3], a[4].min(MAX_MSG), true)
        .and_then(|()| space.check(a[5], RecvHeader::LEN, true))
    {
        return Outcome::Done(Err(e));
    }
    let answered = if a[0] == 0 {
        None
    } else {
        match reply(k, a[0], a[1], a[2]) {
            Ok(_) => Some(a[0] as ServiceId),
            // The reply's own arguments are wrong: the caller's bug, reported at once.
            Err(e @ (SysError::BadLength | SysError::BadAddress)) => {
                return Outcome::Done(Err(e));
            }
            // The peer cannot take it (gone, or not waiting on this process): dropped.
            Err(_) => None,
        }
    };
    let outcome = recv(k, a[3], a[4], a[5]);
    if let (Outcome::Blocked, Some(to)) = (&outcome, answered) {
        k.hand_off(to);
    }
    outcome
}
