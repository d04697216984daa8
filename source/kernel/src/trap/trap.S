# Trap entry and exit. One vector for every trap. While a process runs, sscratch points
# at its TrapFrame (x0..x31, sepc); while the kernel runs, sscratch is 0, which is how
# the entry tells a trap taken in the kernel (a bug: it panics) from a user trap.
# A user trap saves every register in the frame, takes the kernel stack afresh (the
# kernel keeps no state on it between traps) and calls trap_handler, which returns the
# TrapFrame to resume; __return_to_user restores it.
# sstatus is not saved: after a trap from U-mode and after sret, SPP is U, SPIE set and
# FS off (trap::init sets them once), the same for every process.
# Each CSR access costs the emulator a return to its dispatcher, so the path holds the
# minimum: sscratch twice and sepc once on the way in, sepc and sscratch on the way out.
    .section .text.hot, "ax"
    .globl __trap_entry
    .align 2
__trap_entry:
    csrrw t0, sscratch, t0
    beqz t0, __kernel_trap
    .irp n, 1,2,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, \n*8(t0)
    .endr
    csrrw t1, sscratch, zero
    sd t1, 5*8(t0)
    csrr t1, sepc
    sd t1, 32*8(t0)
    la sp, __kernel_stack_top
    li fp, 0
    mv a0, t0
    call trap_handler
    # fall through with a0 = the TrapFrame to resume

    .globl __return_to_user
__return_to_user:
    ld t1, 32*8(a0)
    csrw sepc, t1
    .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(a0)
    .endr
    # sscratch becomes the frame as late as possible: until here a trap is the kernel's.
    csrw sscratch, a0
    ld a0, 10*8(a0)
    sret

# A trap in the kernel (a bug). sscratch holds the kernel's t0 now: zero it again so a
# trap while reporting this one is recognised too, and take the stack afresh (the
# fault may have been the stack itself); the handler never returns.
__kernel_trap:
    csrw sscratch, zero
    la sp, __kernel_stack_top
    li fp, 0
    call kernel_trap_handler
4:
    j 4b
