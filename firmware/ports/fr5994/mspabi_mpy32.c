/*
 * mspabi_mpy32.c - the compiler's 16- and 32-bit multiplication helpers on the FR5994's MPY32 (UG SLAU367
 * "32-Bit Hardware Multiplier"), replacing the weak shift-and-add versions of toolchain/mspabi.c: the
 * runtime's address arithmetic multiplies 32-bit values, and the original TiNAS firmware was built with
 * the hardware multiplier too. Unsigned modes (MPY, MPY32L/H): the low half of a product is the same for
 * signed operands. Results are read after the UG's result-availability delay (16x16: RESLO after 1 cycle;
 * 32x32: RES0/RES1 3 cycles after the OP2H write); the NOPs make room for it. Interrupts are never enabled,
 * so nothing can use the multiplier between the operand writes and the reads.
 */
#include <stdint.h>
#include "fr5994_regs.h"

uint16_t __mspabi_mpyi(uint16_t a, uint16_t b)
{
    MPY = a;
    OP2 = b;
    __asm__ volatile("nop");
    return RESLO;
}

uint32_t __mspabi_mpyl(uint32_t a, uint32_t b)
{
    MPY32L = (uint16_t)a;
    MPY32H = (uint16_t)(a >> 16);
    OP2L = (uint16_t)b;
    OP2H = (uint16_t)(b >> 16);
    __asm__ volatile("nop\n\tnop\n\tnop");
    uint16_t lo = RES0;
    return ((uint32_t)RES1 << 16) | lo;
}
