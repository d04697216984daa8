//! Misbehaves on purpose: passes bad pointers to syscalls (the kernel's image, an
//! unmapped user page, its own read-only text, ranges running past the stack), the
//! server's `reply_recv` included; each must come back as `BadAddress`. Then it makes
//! `RANDOM_CALLS` seeded random syscalls, each with at least one argument that must be
//! refused (a pointer the kernel may not read or write for it, an unknown number), and
//! every one must return an error: none may succeed, block, or bring the kernel down.
//! It also asks for what it holds no right to (a device, DMA memory, a spawn from
//! memory), each of which must be refused with its error. Exits 0 when all behaved, 1
//! otherwise.
#![no_std]
#![no_main]

use nexus_rt::abi::layout::{
    HEAP_BASE, HEAP_MAX, KERNEL_BASE, STACK_SIZE, STACK_TOP, USER_END, USER_START,
};
use nexus_rt::abi::{SysError, Sysnum};
use nexus_rt::{println, sys};

nexus_rt::entry!(main);

fn main() -> i32 {
    let text = main as *const () as usize;
    let cases: [(&str, Sysnum, [usize; 6]); 8] = [
        (
            "debug_write running past the stack's top",
            Sysnum::DebugWrite,
            [STACK_TOP - 8, 16, 0, 0, 0, 0],
        ),
        (
            "recv header running past the stack's top",
            Sysnum::Recv,
            [STACK_TOP - 64, 8, STACK_TOP - 8, 0, 0, 0],
        ),
        (
            "debug_write from the kernel",
            Sysnum::DebugWrite,
            [KERNEL_BASE, 16, 0, 0, 0, 0],
        ),
        (
            "debug_write from an unmapped page",
            Sysnum::DebugWrite,
            [USER_START, 16, 0, 0, 0, 0],
        ),
        (
            "recv into read-only text",
            Sysnum::Recv,
            [text, 64, text, 0, 0, 0],
        ),
        (
            "send from the kernel",
            Sysnum::Send,
            [1, KERNEL_BASE, 8, 0, 0, 0],
        ),
        (
            "reply_recv replying from the kernel",
            Sysnum::ReplyRecv,
            [1, KERNEL_BASE, 8, USER_START, 64, USER_START],
        ),
        (
            "reply_recv into read-only text",
            Sysnum::ReplyRecv,
            [0, 0, 0, text, 64, text],
        ),
    ];
    let mut bad = 0;
    for (what, num, args) in cases {
        // SAFETY: every pointer here is invalid or read-only for this process; the kernel
        // checks them against the page table and must refuse before touching memory.
        let result = unsafe { sys::raw(num, args) };
        if result != Err(SysError::BadAddress) {
            println!("badptr: FAIL: {what}: {result:?}");
            bad += 1;
        }
    }
    // The switch benchmark is for `runner` programs; this one is not.
    let bench = sys::bench_switch(10);
    if bench != Err(SysError::NotPermitted) {
        println!("badptr: FAIL: bench_switch from a non-runner: {bench:?}");
        bad += 1;
    }
    bad += refused_rights();
    bad += random_calls(text);
    i32::from(bad != 0)
}

/// The rights this program lacks: a device grant (for `device_info`, `mmio_map` and
/// `dma_alloc`), `exec` (for `spawn_image`), being init (for `reboot`) and being the
/// `final` program (for init's `Reboot`). Each request must be refused with its
/// error; returns how many were not.
fn refused_rights() -> i32 {
    let mut bad = 0;
    let mut expect = |what: &str, got: Result<usize, SysError>, want: SysError| {
        if got != Err(want) {
            println!("badptr: FAIL: {what}: {got:?}, expected {want:?}");
            bad += 1;
        }
    };
    expect(
        "device_info without a grant",
        sys::device_info(0).map(|i| i.pa as usize),
        SysError::NoDevice,
    );
    // Every virtio-mmio slot of the virt machine is a device window, none of them ours.
    for slot in 1..=8usize {
        expect(
            "mmio_map of an ungranted virtio window",
            sys::mmio_map(0x1000_0000 + slot * 0x1000, 4),
            SysError::Denied,
        );
    }
    expect(
        "mmio_map of the UART",
        sys::mmio_map(0x1000_0000, 4),
        SysError::BadAddress,
    );
    expect(
        "dma_alloc without a grant",
        sys::dma_alloc(1).map(|r| r.va as usize),
        SysError::Denied,
    );
    expect(
        "spawn_image without the exec right",
        sys::spawn_image(&[0x7f; 64], "stolen").map(|id| id as usize),
        SysError::Denied,
    );
    expect(
        "reboot from a program that is not init",
        Err(sys::reboot()),
        SysError::NotPermitted,
    );
    expect(
        "init's Reboot from a program that is not final",
        Err(init_api::Client::new(sys::Ipc).reboot()),
        SysError::NotPermitted,
    );
    if bad == 0 {
        println!(
            "badptr: device, DMA, spawn-from-memory and reboot requests without the right, each refused"
        );
    }
    bad
}

/// How many random refused syscalls to make.
const RANDOM_CALLS: u32 = 10_000;

/// Addresses no read of at least one byte may pass: not user memory, or user addresses
/// this process has not mapped (below the image, the stack's guard pages, the heap's
/// far end), or a range that runs out of the user half.
const BAD_READ: [usize; 12] = [
    0,
    8,
    0x1000_0000,
    USER_START,
    USER_START + 0x8000,
    HEAP_BASE + HEAP_MAX - 8,
    STACK_TOP,
    STACK_TOP - STACK_SIZE - 8,
    USER_END - 1,
    KERNEL_BASE,
    KERNEL_BASE + 0x1234,
    usize::MAX - 7,
];

/// Lengths for a bad pointer: never 0 (an empty range needs no memory).
const LENGTHS: [usize; 8] = [1, 7, 16, 64, 4096, 4097, 1 << 20, usize::MAX];

/// xorshift64: a fixed seed, so every boot makes the same calls.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Makes `RANDOM_CALLS` refused syscalls; returns how many were not refused.
fn random_calls(text: usize) -> i32 {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let me = sys::self_id() as usize;
    let mut bad = 0;
    for i in 0..RANDOM_CALLS {
        // A bad read pointer, a bad write pointer (read-only text also counts), a length
        // the bad pointer is used with, any length, and any service id.
        let read = if rng.below(4) == 0 {
            rng.next() as usize | (1 << 63)
        } else {
            rng.pick(&BAD_READ)
        };
        let write = if rng.below(4) == 0 {
            text + rng.below(64) * 8
        } else {
            rng.pick(&BAD_READ)
        };
        let len = rng.pick(&LENGTHS);
        let any_len = rng.below(5000);
        let any_id = rng.next() as usize;
        let dst = rng.pick(&[0, 1, 2, 3, me, 99, any_id]);
        let (num, args) = match rng.below(10) {
            0 => (Sysnum::DebugWrite as usize, [read, len, 0, 0, 0, 0]),
            1 => (Sysnum::Spawn as usize, [read, any_len, 0, 0, 0, 0]),
            2 => (Sysnum::Wait as usize, [dst, write, any_len, 0, 0, 0]),
            3 => (Sysnum::Send as usize, [dst, read, len, 0, 0, 0]),
            4 => (Sysnum::Recv as usize, [write, any_len, write, 0, 0, 0]),
            5 => (Sysnum::Call as usize, [dst, read, len, write, any_len, 0]),
            6 => (Sysnum::Reply as usize, [dst, read, len, 0, 0, 0]),
            7 => (
                Sysnum::ReplyRecv as usize,
                [dst, read, any_len, write, any_len, write],
            ),
            8 => (
                Sysnum::BenchSwitch as usize + 1 + rng.below(1 << 20),
                [read, len, write, any_len, dst, 0],
            ),
            _ => (rng.next() as usize | (1 << 40), [0; 6]),
        };
        // SAFETY: every call carries an argument the kernel must refuse before it touches
        // memory: a read pointer it may not read, a write pointer into kernel memory,
        // unmapped pages or this program's read-only text, or an unknown number.
        let result = unsafe { sys::raw_number(num, args) };
        if let Ok(v) = result {
            println!("badptr: FAIL: random call {i}: syscall {num} {args:x?} gave Ok({v})");
            bad += 1;
        }
    }
    if bad == 0 {
        println!("badptr: {RANDOM_CALLS} random syscalls with a bad argument, each refused");
    }
    bad
}
