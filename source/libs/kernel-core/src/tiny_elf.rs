//! A tiny RV64 executable, written from scratch: what a test hands `spawn_image`.
//!
//! An independent writer, not built on the load-plan parser's structures, so a test of
//! one checks the other. The program prints a message with `debug_write` and then
//! stops at an `ebreak` (a breakpoint fault, scause 3), so its supervisor receives a
//! fault record carrying the build-id written into its `PT_NOTE`.
//!
//! Layout: the ELF header (64 bytes), two program headers (`PT_LOAD` of the whole file,
//! read and execute, at `abi::layout::USER_IMAGE_START`; `PT_NOTE`), the GNU build-id
//! note, then the code and the message.

use abi::layout::USER_IMAGE_START;

/// Length of the build-id the note carries.
pub const BUILD_ID_LEN: usize = 20;
/// Longest message the program may print.
pub const MAX_MESSAGE: usize = 1024;

const HEADER: usize = 64;
const PHDR: usize = 56;
const NOTE_AT: usize = HEADER + 2 * PHDR;
const NOTE_LEN: usize = 12 + 4 + BUILD_ID_LEN;
const CODE_AT: usize = (NOTE_AT + NOTE_LEN).next_multiple_of(8);
/// Instructions before the message.
const CODE_LEN: usize = 7 * 4;

/// Bytes of the image for a message of `msg_len` bytes.
pub const fn image_len(msg_len: usize) -> usize {
    CODE_AT + CODE_LEN + msg_len
}

/// `addi rd, rs1, imm` (imm in -2048..2048).
fn addi(rd: u32, rs1: u32, imm: u32) -> u32 {
    ((imm & 0xFFF) << 20) | (rs1 << 15) | (rd << 7) | 0x13
}

fn put(out: &mut [u8], at: usize, bytes: &[u8]) {
    out[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Writes into `out` an image that prints `msg` and then faults with `ebreak`; returns
/// its length, or `None` when the message is longer than [`MAX_MESSAGE`] or `out` is
/// shorter than [`image_len`].
pub fn print_then_break(
    out: &mut [u8],
    msg: &[u8],
    build_id: &[u8; BUILD_ID_LEN],
) -> Option<usize> {
    let len = image_len(msg.len());
    if msg.len() > MAX_MESSAGE || out.len() < len {
        return None;
    }
    let out = &mut out[..len];
    out.fill(0);
    let base = USER_IMAGE_START as u64;
    // ELF header: ELF64, little-endian, version 1, ET_EXEC, EM_RISCV.
    put(out, 0, b"\x7fELF\x02\x01\x01");
    put(out, 16, &2u16.to_le_bytes());
    put(out, 18, &243u16.to_le_bytes());
    put(out, 20, &1u32.to_le_bytes());
    put(out, 24, &(base + CODE_AT as u64).to_le_bytes());
    put(out, 32, &(HEADER as u64).to_le_bytes());
    put(out, 52, &(HEADER as u16).to_le_bytes());
    put(out, 54, &(PHDR as u16).to_le_bytes());
    put(out, 56, &2u16.to_le_bytes());
    // PT_LOAD: the whole file, R+X, at the image window's start.
    let load = HEADER;
    put(out, load, &1u32.to_le_bytes());
    put(out, load + 4, &5u32.to_le_bytes());
    put(out, load + 16, &base.to_le_bytes());
    put(out, load + 24, &base.to_le_bytes());
    put(out, load + 32, &(len as u64).to_le_bytes());
    put(out, load + 40, &(len as u64).to_le_bytes());
    put(out, load + 48, &4096u64.to_le_bytes());
    // PT_NOTE: the build-id note.
    let note = HEADER + PHDR;
    put(out, note, &4u32.to_le_bytes());
    put(out, note + 4, &4u32.to_le_bytes());
    put(out, note + 8, &(NOTE_AT as u64).to_le_bytes());
    put(out, note + 16, &(base + NOTE_AT as u64).to_le_bytes());
    put(out, note + 32, &(NOTE_LEN as u64).to_le_bytes());
    put(out, note + 40, &(NOTE_LEN as u64).to_le_bytes());
    put(out, note + 48, &4u64.to_le_bytes());
    put(out, NOTE_AT, &4u32.to_le_bytes());
    put(out, NOTE_AT + 4, &(BUILD_ID_LEN as u32).to_le_bytes());
    put(out, NOTE_AT + 8, &3u32.to_le_bytes());
    put(out, NOTE_AT + 12, b"GNU\0");
    put(out, NOTE_AT + 16, build_id);
    // addi sp, sp, -16 (a frame, so the fault record holds a stack copy); auipc a0, 0;
    // addi a0, a0, 24 (the message, six instructions past the auipc); addi a1, zero,
    // len; addi a7, zero, 0 (debug_write); ecall; ebreak; then the message.
    let (sp, a0, a1, a7) = (2, 10, 11, 17);
    let code = [
        addi(sp, sp, (-16i32) as u32),
        0x0000_0517,
        addi(a0, a0, (CODE_LEN - 4) as u32),
        addi(a1, 0, msg.len() as u32),
        addi(a7, 0, abi::Sysnum::DebugWrite as u32),
        0x0000_0073,
        0x0010_0073,
    ];
    for (i, word) in code.iter().enumerate() {
        put(out, CODE_AT + 4 * i, &word.to_le_bytes());
    }
    put(out, CODE_AT + CODE_LEN, msg);
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf;

    #[test]
    fn the_tiny_program_passes_the_loaders_checks() {
        let mut out = [0u8; 512];
        let id = [0xAB; BUILD_ID_LEN];
        let n = print_then_break(&mut out, b"hello\n", &id).unwrap();
        assert_eq!(n, image_len(6));
        let plan = elf::plan(&out[..n]).unwrap();
        assert_eq!(plan.build_id(), &id);
        assert_eq!(plan.entry, USER_IMAGE_START + CODE_AT);
        assert_eq!(plan.segments().len(), 1);
        let seg = plan.segments()[0];
        assert!(seg.perms.exec && seg.perms.read && !seg.perms.write);
        assert_eq!(&out[n - 6..n], b"hello\n");
        // The message starts where `addi a0` points: 24 bytes past the auipc.
        assert_eq!(
            &out[CODE_AT + 4..CODE_AT + 8],
            &0x0000_0517u32.to_le_bytes()
        );
        assert_eq!(
            &out[CODE_AT + 8..CODE_AT + 12],
            &addi(10, 10, 24).to_le_bytes()
        );
        assert_eq!(CODE_AT + 4 + 24, n - 6);
        // addi sp, sp, -16 encodes as 0xff010113.
        assert_eq!(&out[CODE_AT..CODE_AT + 4], &0xff01_0113u32.to_le_bytes());
    }

    #[test]
    fn refuses_a_short_buffer_or_a_long_message() {
        let mut out = [0u8; 64];
        assert_eq!(print_then_break(&mut out, b"x", &[0; BUILD_ID_LEN]), None);
        let mut big = [0u8; 2048];
        assert_eq!(
            print_then_break(&mut big, &[b'x'; MAX_MESSAGE + 1], &[0; BUILD_ID_LEN]),
            None
        );
    }

    #[test]
    fn a_damaged_image_is_refused_by_the_loader() {
        let mut out = [0u8; 512];
        let n = print_then_break(&mut out, b"x", &[1; BUILD_ID_LEN]).unwrap();
        let mut bad = out;
        bad[18] = 0;
        assert!(elf::plan(&bad[..n]).is_err());
        assert!(elf::plan(&out[..40]).is_err());
    }
}
