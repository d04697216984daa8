# The first instructions: OpenSBI enters here in S-mode with a0 = hartid, a1 = dtb.
# Set up the boot stack (also the trap stack later), clear .bss, call rust_main.
    .section .text.entry
    .globl _start
_start:
    la sp, __kernel_stack_top
    la t0, __bss_start
    la t1, __bss_end
1:
    bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:
    li fp, 0
    call rust_main
3:
    wfi
    j 3b

    .section .bss.stack
    .align 12
    .globl __kernel_stack
__kernel_stack:
    .space 65536
    .globl __kernel_stack_top
__kernel_stack_top:
