//! The fault exit code, end to end: the kernel ends a faulting process with the exit code
//! `abi` computes from `scause` and hands its supervisor the fault record; the crash
//! service writes both into a `.nxcd`; `nxcd` reads the cause back. For every exception
//! cause the two sides agree, and an interrupt cause is an error on both.
#![allow(clippy::unwrap_used)]

use nxcd::{BuildId, Dump, DumpId, Frame, Header, MapEntry, Registers};

/// Every cause this suite checks: all of the low range (where a mask would show), each
/// power of two, and the largest exception cause.
fn exception_causes() -> Vec<u64> {
    let mut causes: Vec<u64> = (0..=0x2000).collect();
    causes.extend((0..63).map(|bit| 1u64 << bit));
    causes.push(abi::SCAUSE_INTERRUPT - 1);
    causes
}

/// The fault record the kernel would hand over for `scause`, as bytes and decoded again.
fn kernel_record(scause: u64) -> abi::FaultRecord {
    let mut regs = [0u64; abi::fault::REG_COUNT];
    regs[abi::fault::REG_PC] = 0x4000_1234;
    regs[abi::fault::REG_SCAUSE] = scause;
    regs[abi::fault::REG_STVAL] = 0x10;
    let record = abi::FaultRecord::new(regs);
    let mut bytes = vec![0u8; record.encoded_len()];
    let len = record.encode(&mut bytes).unwrap();
    abi::FaultRecord::decode(&bytes[..len]).unwrap()
}

/// The dump a crash service writes for a process that ended with `exit_code` and
/// `record`.
fn dump_for(exit_code: i64, record: &abi::FaultRecord) -> Dump {
    let build_id = BuildId::new(&[0xab; 20]).unwrap();
    Dump {
        header: Header {
            arch: "riscv64".into(),
            build_id: build_id.clone(),
            created_ns: 1,
            dump_id: DumpId::new("fault-1").unwrap(),
            exit_code,
            logs_error: None,
            os_version: None,
            redacted: None,
            repeats: None,
            seq: None,
            pc: record.pc(),
            pid: 7,
            process: "fault".into(),
            scause: record.scause(),
            stval: record.stval(),
        },
        frames: vec![Frame::at(record.pc())],
        maps: vec![MapEntry {
            build_id,
            end: 0x4001_0000,
            link_base: 0x4000_0000,
            name: "fault".into(),
            start: 0x4000_0000,
        }],
        logs: None,
        spans: None,
        regs: Some(Registers::from_array(&record.regs)),
    }
}

#[test]
fn every_exception_cause_reads_back_from_the_exit_code_the_kernel_sets() {
    for scause in exception_causes() {
        let code = abi::fault_exit_code(scause).unwrap();
        assert!(code < 0, "scause {scause:#x}: exit code {code}");
        let record = kernel_record(scause);
        let back = Dump::decode(&dump_for(code, &record).encode().unwrap()).unwrap();
        assert_eq!(back.header.exit_code, code);
        assert_eq!(nxcd::fault_cause(back.header.exit_code), Some(scause));
        assert_eq!(back.header.scause, scause);
        assert_eq!(back.regs.map(|r| r.scause), Some(scause));
    }
}

#[test]
fn an_interrupt_cause_is_an_error_in_abi_and_in_nxcd() {
    for scause in [
        abi::SCAUSE_INTERRUPT,
        abi::SCAUSE_INTERRUPT | 5,
        abi::SCAUSE_INTERRUPT | 13,
        u64::MAX,
    ] {
        assert_eq!(
            abi::fault_exit_code(scause),
            Err(abi::InterruptCause(scause))
        );
        let record = kernel_record(scause);
        let err = dump_for(-1, &record).encode().unwrap_err();
        assert!(
            matches!(
                err,
                nxcd::Error::InvalidValue {
                    field: "scause",
                    ..
                }
            ),
            "{err}"
        );
    }
    // No exit code reads back as an interrupt cause.
    for code in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX] {
        assert!(nxcd::fault_cause(code).is_none_or(|c| c & abi::SCAUSE_INTERRUPT == 0));
    }
}
