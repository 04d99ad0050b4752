; 32-bit variable shifts clang emits calls to (value in r12:r13, count in r14, result in r12:r13).
    .text
    .global __mspabi_slll
    .type __mspabi_slll,@function
__mspabi_slll:
    tst r14
    jz 2f
1:  rla r12
    rlc r13
    dec r14
    jnz 1b
2:  ret

    .global __mspabi_srll
    .type __mspabi_srll,@function
__mspabi_srll:
    tst r14
    jz 2f
1:  clrc
    rrc r13
    rrc r12
    dec r14
    jnz 1b
2:  ret

    .global __mspabi_sral
    .type __mspabi_sral,@function
__mspabi_sral:
    tst r14
    jz 2f
1:  rra r13
    rrc r12
    dec r14
    jnz 1b
2:  ret
