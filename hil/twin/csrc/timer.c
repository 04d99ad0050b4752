/*
 * timer.c - Timer_A0 as the firmware's cycle counter (UG SLAU367 Timer_A chapter): TASSEL = SMCLK,
 * dividers ID and TAIDEX, stop/up/continuous modes, TACLR, TAIFG set when TA0R wraps (continuous: at
 * 0xFFFF -> 0; up: at TA0CCR0 -> 0, which also sets CCIFG of CCR0). The count is computed lazily from
 * the global cycle counter, so a running timer costs nothing per instruction. Timer interrupts, capture,
 * up/down mode and the other timers (TA1-TA4, TB0) are not modelled: using them stops the run.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

typedef struct {
    uint16_t ctl, cctl[3], ccr[3], ex0;
    uint64_t base_cycle;   /* cycle at which count was base_count */
    uint64_t base_ticks;   /* timer input ticks (after dividers) at base_cycle since the last TACLR */
    uint64_t wraps_seen;   /* wraps already folded into TAIFG */
    uint64_t frac;         /* MCLK cycles x num not yet worth a tick, carried across rebases */
    uint32_t num, den;     /* ticks per MCLK cycle = num / den */
} ta_state;

static ta_state *T(twin_t *m) { return (ta_state *)m->timer; }

static void ratio(twin_t *m, ta_state *t)
{
    uint32_t n, d;
    sys_smclk_ratio(m, &n, &d);
    uint32_t id = 1u << ((t->ctl >> 6) & 3), idex = (t->ex0 & 7) + 1;
    t->num = n;
    t->den = d * id * idex;
}

static int counting(ta_state *t) { return ((t->ctl >> 4) & 3) != 0; }

static uint64_t ticks_now(twin_t *m, ta_state *t)
{
    if (!counting(t)) return t->base_ticks;
    uint64_t d = (m->cycle - t->base_cycle) * t->num + t->frac;
    return t->base_ticks + d / t->den;
}

/* fold the elapsed time into the base (before any change of mode, divider or clock) */
static void rebase(twin_t *m, ta_state *t)
{
    if (counting(t)) {
        uint64_t d = (m->cycle - t->base_cycle) * t->num + t->frac;
        t->base_ticks += d / t->den;
        t->frac = d % t->den;
    }
    t->base_cycle = m->cycle;
}

static uint32_t period(ta_state *t)
{
    return ((t->ctl >> 4) & 3) == 1 ? (uint32_t)t->ccr[0] + 1u : 0x10000u;
}

static void fold_flags(twin_t *m, ta_state *t)
{
    uint64_t wraps = ticks_now(m, t) / period(t);
    if (wraps > t->wraps_seen) {
        t->ctl |= 0x0001;                                 /* TAIFG */
        if (((t->ctl >> 4) & 3) == 1) t->cctl[0] |= 0x0001; /* CCIFG of CCR0 in up mode */
        t->wraps_seen = wraps;
    }
}

void timer_clock_changed(twin_t *m)
{
    ta_state *t = T(m);
    if (!t) return;
    fold_flags(m, t);
    rebase(m, t);
    ratio(m, t);
}

static uint16_t ta_read(twin_t *m, uint32_t a, int word)
{
    ta_state *t = T(m);
    uint32_t wa = a & ~1u;
    uint16_t v;
    fold_flags(m, t);
    switch (wa) {
    case 0x340: v = t->ctl; break;
    case 0x342: case 0x344: case 0x346: v = t->cctl[(wa - 0x342) / 2]; break;
    case 0x350: v = (uint16_t)(ticks_now(m, t) % period(t)); break;
    case 0x352: case 0x354: case 0x356: v = t->ccr[(wa - 0x352) / 2]; break;
    case 0x360: v = t->ex0; break;
    case 0x36E: v = 0; twin_fault(m, "TA0IV read: timer interrupts are not modelled"); break;
    default: twin_fault(m, "read of unmodelled Timer_A0 register 0x%04x", a); return 0;
    }
    if (word) return v;
    return (a & 1) ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static uint16_t merge(uint16_t cur, uint32_t a, uint16_t v, int word)
{
    if (word) return v;
    return (a & 1) ? (uint16_t)((cur & 0x00FF) | (v << 8)) : (uint16_t)((cur & 0xFF00) | (v & 0xFF));
}

static void ta_write(twin_t *m, uint32_t a, uint16_t v, int word)
{
    ta_state *t = T(m);
    uint32_t wa = a & ~1u;
    fold_flags(m, t);
    rebase(m, t);
    switch (wa) {
    case 0x340: {
        uint16_t nv = merge(t->ctl, a, v, word);
        unsigned tassel = (nv >> 8) & 3, mc = (nv >> 4) & 3;
        if (mc != 0 && tassel != 2) { twin_fault(m, "Timer_A0 clock other than SMCLK not modelled (TA0CTL=0x%04x)", nv); return; }
        if (mc == 3) { twin_fault(m, "Timer_A0 up/down mode not modelled"); return; }
        if (nv & 0x0002) { twin_fault(m, "Timer_A0 interrupt (TAIE) not modelled"); return; }
        if (nv & 0x0004) { t->base_ticks = 0; t->frac = 0; t->wraps_seen = 0; } /* TACLR */
        t->ctl = (uint16_t)(nv & ~0x0004u);
        break;
    }
    case 0x342: case 0x344: case 0x346: {
        uint16_t nv = merge(t->cctl[(wa - 0x342) / 2], a, v, word);
        if (nv & 0x0110) { twin_fault(m, "Timer_A0 capture/compare interrupt or capture mode not modelled (0x%04x)", nv); return; }
        t->cctl[(wa - 0x342) / 2] = nv;
        break;
    }
    case 0x350: {
        uint16_t nv = merge((uint16_t)(ticks_now(m, t) % period(t)), a, v, word);
        uint64_t p = period(t);
        t->base_ticks = (ticks_now(m, t) / p) * p + nv; /* TA0R written: count continues from nv */
        break;
    }
    case 0x352: case 0x354: case 0x356:
        t->ccr[(wa - 0x352) / 2] = merge(t->ccr[(wa - 0x352) / 2], a, v, word);
        if (wa == 0x352 && ((t->ctl >> 4) & 3) == 1) t->wraps_seen = ticks_now(m, t) / period(t);
        break;
    case 0x360: t->ex0 = merge(t->ex0, a, v, word) & 7; break;
    default: twin_fault(m, "write of unmodelled Timer_A0 register 0x%04x", a); return;
    }
    ratio(m, t);
}

const twin_region timer_regions[] = {
    {0x0340, 0x036F, ta_read, ta_write, "Timer_A0"},
};
const unsigned timer_nregions = 1;

void timer_reset(twin_t *m)
{
    if (!m->timer) m->timer = calloc(1, sizeof(ta_state));
    ta_state *t = T(m);
    memset(t, 0, sizeof *t);
    t->base_cycle = m->cycle;
    ratio(m, t);
}

void timer_advance(twin_t *m) { (void)m; }
