# Every program's first instruction. The kernel enters here in U-mode with sp at the
# stack top and all other registers zero; zero fp and ra again so frame-pointer unwinds
# end here, then run the program.
    .section .text.entry
    .globl _start
_start:
    li fp, 0
    li ra, 0
    call nexus_rt_start
1:
    j 1b
