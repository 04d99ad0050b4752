/*
 * mspabi.c - the compiler helper routines clang-14 calls on MSP430 (clang ships no compiler-rt for it).
 * Written with shifts by one, adds and compares only, so the compiler cannot turn them back into calls
 * to themselves. Also memcpy/memset/memmove for the freestanding build. The two multiplications are weak:
 * the fr5994 port replaces them with MPY32 versions (ports/fr5994/mspabi_mpy32.c); these software ones
 * remain for images without the multiplier (mspdebug's simulator).
 */
#include <stddef.h>
#include <stdint.h>

__attribute__((weak)) uint16_t __mspabi_mpyi(uint16_t a, uint16_t b)
{
    uint16_t r = 0;
    if (a < b) { uint16_t t = a; a = b; b = t; }
    while (b) {
        if (b & 1u) r += a;
        a <<= 1;
        b >>= 1;
    }
    return r;
}

__attribute__((weak)) uint32_t __mspabi_mpyl(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    if (a < b) { uint32_t t = a; a = b; b = t; } /* loop over the smaller operand's bits */
    while (b) {
        if (b & 1u) r += a;
        a <<= 1;
        b >>= 1;
    }
    return r;
}

static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0, r = 0;
    for (int16_t i = 31; i >= 0; i--) {
        r = (r << 1) | ((n >> 31) & 1u);
        n <<= 1;
        q <<= 1;
        if (r >= d) { r -= d; q |= 1u; }
    }
    *rem = r;
    return q;
}

uint32_t __mspabi_divul(uint32_t n, uint32_t d) { uint32_t r; return udivmod32(n, d, &r); }
uint32_t __mspabi_remul(uint32_t n, uint32_t d) { uint32_t r; udivmod32(n, d, &r); return r; }

int32_t __mspabi_divli(int32_t n, int32_t d)
{
    uint32_t r, un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n, ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    uint32_t q = udivmod32(un, ud, &r);
    return ((n < 0) != (d < 0)) ? (int32_t)(0u - q) : (int32_t)q;
}

int32_t __mspabi_remli(int32_t n, int32_t d)
{
    uint32_t r, un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n, ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    udivmod32(un, ud, &r);
    return n < 0 ? (int32_t)(0u - r) : (int32_t)r;
}

uint16_t __mspabi_divu(uint16_t n, uint16_t d) { return (uint16_t)__mspabi_divul(n, d); }
uint16_t __mspabi_remu(uint16_t n, uint16_t d) { return (uint16_t)__mspabi_remul(n, d); }
int16_t __mspabi_divi(int16_t n, int16_t d) { return (int16_t)__mspabi_divli(n, d); }
int16_t __mspabi_remi(int16_t n, int16_t d) { return (int16_t)__mspabi_remli(n, d); }

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) while (n--) *d++ = *s++;
    else { d += n; s += n; while (n--) *--d = *--s; }
    return dst;
}

void *memset(void *dst, int v, size_t n)
{
    uint8_t *d = dst;
    while (n--) *d++ = (uint8_t)v;
    return dst;
}
