/* rt_q15.h - the integer arithmetic of docs/q15-arithmetic.md (mirrored by tinas/quant/q15.py). */
#ifndef TINAS_RT_Q15_H
#define TINAS_RT_Q15_H

#include <stdint.h>

/* Round half up, then arithmetic shift right by s (0..31), on int32 with wrap-around. */
static inline int32_t rt_rshift_round(int32_t x, uint8_t s)
{
    if (s == 0) return x;
    uint32_t u = (uint32_t)x + ((uint32_t)1 << (s - 1));
    int32_t w = (int32_t)u;
    /* arithmetic shift written portably: C99 leaves >> of negatives implementation-defined */
    return w >= 0 ? (int32_t)((uint32_t)w >> s) : (int32_t)~((~(uint32_t)w) >> s);
}

static inline int16_t rt_sat16(int32_t x)
{
    return x > 32767 ? (int16_t)32767 : (x < -32768 ? (int16_t)-32768 : (int16_t)x);
}

/* Division rounding half away from zero (C truncating division underneath). */
static inline int32_t rt_div_round(int32_t a, int32_t d)
{
    int32_t q = a / d, r = a % d, h = d / 2; /* truncating; no intermediate can overflow */
    if (r >= d - h) q++;
    else if (-r >= d - h) q--;
    return q;
}

#endif
