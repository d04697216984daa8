//! The service identity where the OS joins the kernel and the journal: the OS logd
//! stamps the kernel's IPC sender id (`abi::ServiceId`) into a record as logd's
//! `ServiceId`, and a crash dump's `logs.jsonl` carries it unchanged. This suite fails to
//! compile if the two stop fitting together losslessly.
#![allow(clippy::unwrap_used)]

/// How the OS logd turns the kernel's sender id into a record's origin.
const STAMP: fn(abi::ServiceId) -> logd::ServiceId = logd::ServiceId::from_kernel;

#[test]
fn every_kernel_sender_id_widens_into_a_record_origin_and_back() {
    for id in [abi::ipc::KERNEL_ID, 1, 2, 42, abi::ServiceId::MAX] {
        let origin = STAMP(id);
        assert_eq!(origin.0, u64::from(id));
        assert_eq!(origin.kernel_id(), Some(id));
    }
}

#[test]
fn the_host_identity_keeps_uid_and_pid_apart_from_kernel_ids() {
    let origin = logd::ServiceId::from_uid_pid(1000, 7);
    assert_eq!((origin.uid(), origin.pid()), (1000, 7));
    assert_eq!(origin.kernel_id(), None);
}
