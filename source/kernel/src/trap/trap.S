# Trap entry and exit. User traps land in __trap_entry with sscratch pointing at the
# current process's TrapFrame (x0..x31, sepc, sstatus). All registers are saved there,
# the kernel stack is taken afresh (the kernel keeps no state on it between traps), and
# trap_handler returns the TrapFrame to resume, which __return_to_user restores.
# While the kernel runs, stvec points at __kernel_trap: a trap in S-mode is a bug.
    .section .text.hot, "ax"
    .globl __trap_entry
    .align 2
__trap_entry:
    csrrw t0, sscratch, t0
    .irp n, 1,2,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, \n*8(t0)
    .endr
    csrr t1, sscratch
    sd t1, 5*8(t0)
    csrr t1, sepc
    sd t1, 32*8(t0)
    csrr t1, sstatus
    sd t1, 33*8(t0)
    la t1, __kernel_trap
    csrw stvec, t1
    la sp, __kernel_stack_top
    li fp, 0
    mv a0, t0
    call trap_handler
    # fall through with a0 = the TrapFrame to resume

    .globl __return_to_user
__return_to_user:
    la t1, __trap_entry
    csrw stvec, t1
    csrw sscratch, a0
    ld t1, 32*8(a0)
    csrw sepc, t1
    ld t1, 33*8(a0)
    csrw sstatus, t1
    .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(a0)
    .endr
    ld a0, 10*8(a0)
    sret

    .globl __kernel_trap
    .align 2
__kernel_trap:
    call kernel_trap_handler
4:
    j 4b
