//! The service identity where the OS joins the kernel and the journal: the OS logd
//! stamps the kernel's IPC sender id and incarnation (`abi::RecvHeader`) into a record as
//! logd's `ServiceId`, and a crash dump's `logs.jsonl` carries it unchanged. This suite
//! fails to compile if the two stop fitting together losslessly.
#![allow(clippy::unwrap_used)]

/// How the OS logd turns the kernel's header into a record's origin.
fn stamp(h: &abi::RecvHeader) -> logd::ServiceId {
    logd::ServiceId::from_kernel(h.sender, h.incarnation)
}

#[test]
fn every_kernel_sender_widens_into_a_record_origin_and_back() {
    for id in [abi::ipc::KERNEL_ID, 1, 2, 42, abi::ServiceId::MAX] {
        for incarnation in [0, 1, 2, u32::MAX] {
            let h = abi::RecvHeader {
                sender: id,
                kind: abi::MsgKind::Call,
                len: 0,
                incarnation,
            };
            let h = abi::RecvHeader::from_bytes(&h.to_bytes()).unwrap();
            let origin = stamp(&h);
            assert_eq!(
                (origin.kernel_id(), origin.incarnation()),
                (id, incarnation)
            );
        }
    }
}

#[test]
fn the_host_identity_uses_the_same_halves() {
    let origin = logd::ServiceId::from_uid_pid(1000, 7);
    assert_eq!((origin.uid(), origin.pid()), (1000, 7));
    assert_eq!((origin.incarnation(), origin.kernel_id()), (1000, 7));
}
