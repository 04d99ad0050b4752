; crt0.S - startup for the MSP430FR5994 small memory model (no TI files): stack, watchdog off,
; .bss cleared, .data copied from FRAM, main(), then a low-power halt the harness breakpoints.
    .section .text.crt0,"ax",@progbits
    .global _start
    .type _start,@function
_start:
    mov #__stack_top, r1
    mov #0x5a80, &0x015c            ; WDTCTL = WDTPW | WDTHOLD
    mov #__bss_start, r12
1:  cmp #__bss_end, r12
    jhs 2f
    mov #0, 0(r12)
    add #2, r12
    jmp 1b
2:  mov #__data_load, r12
    mov #__data_start, r13
3:  cmp #__data_end, r13
    jhs 4f
    mov @r12, r14
    add #2, r12
    mov r14, 0(r13)
    add #2, r13
    jmp 3b
4:  call #main
    mov r12, &__exit_code
    .global __halt
    .type __halt,@function
__halt:
    bis #0x10, r2                   ; CPUOFF
    jmp __halt

    .section .noinit.exit,"aw",@nobits
    .global __exit_code
    .type __exit_code,@object
__exit_code:
    .skip 2

    .section .vectors.reset,"a",@progbits
    .word _start
