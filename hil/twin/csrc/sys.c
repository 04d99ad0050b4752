/*
 * sys.c - the FR5994 system blocks the firmware touches: SFRs, PMM, FRAM controller (wait states),
 * WDT_A, clock system (MCLK/SMCLK from DCO and dividers), SYS, digital I/O ports P1-P8 and PJ, and the
 * MPU/RC registers as plain storage. Register addresses and reset values: datasheet SLASE54 and user's
 * guide SLAU367 (PMM, FRCTL_A, WDT_A, CS, SYS, Digital I/O chapters).
 *
 * Passwords: a word write of PMMCTL0, FRCTL0 or WDTCTL without its password is a PUC, as on silicon.
 * The watchdog counts MCLK-derived cycles when not held (SMCLK source only) and issues a PUC at expiry.
 * The chip select of the external FRAM (P5.3) calls extfram_select on each edge.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

typedef struct {
    uint16_t sfr[3];
    uint16_t pmmctl0, pmmifg, pm5ctl0;
    uint8_t frctl0_lo;
    uint16_t gcctl0, gcctl1;
    uint16_t rcctl0;
    uint8_t wdt_lo;
    uint64_t wdt_start;
    uint16_t cs[7];
    int cs_unlocked;
    uint16_t sysregs[16];
    uint8_t port[5][0x20];          /* PA, PB, PC, PD, PJ: 0x20-byte blocks */
    uint16_t mpu[8];
    uint8_t p5cs_level;             /* P5.3 level as the external FRAM sees it */
} sys_state;

static sys_state *S(twin_t *m) { return (sys_state *)m->sys; }

/* ---- clock ---- */
static const double DCO_MHZ[2][8] = {
    {1.0, 2.67, 3.5, 4.0, 5.33, 7.0, 8.0, 8.0},      /* DCORSEL = 0 (datasheet DCO table) */
    {1.0, 5.33, 7.0, 8.0, 16.0, 21.0, 24.0, 24.0},   /* DCORSEL = 1 */
};
static const uint32_t DIVS[8] = {1, 2, 4, 8, 16, 32, 32, 32};

static double dco_hz(sys_state *s)
{
    return DCO_MHZ[(s->cs[1] >> 6) & 1][(s->cs[1] >> 1) & 7] * 1e6;
}

double sys_mclk_hz(twin_t *m)
{
    sys_state *s = S(m);
    if (!s) return 0;
    return dco_hz(s) / DIVS[s->cs[3] & 7];
}

void sys_smclk_ratio(twin_t *m, uint32_t *num, uint32_t *den)
{
    sys_state *s = S(m);
    *num = DIVS[s->cs[3] & 7];        /* SMCLK/MCLK = DIVM / DIVS (both from the DCO) */
    *den = DIVS[(s->cs[3] >> 4) & 7];
}

static void clock_check(twin_t *m)
{
    sys_state *s = S(m);
    unsigned selm = s->cs[2] & 7, sels = (s->cs[2] >> 4) & 7;
    if (selm != 3 || sels != 3)
        twin_fault(m, "clock system: MCLK/SMCLK source other than DCOCLK not modelled (CSCTL2=0x%04x)", s->cs[2]);
    if (sys_mclk_hz(m) > 8e6 && CORE(m)->nwaits == 0)
        twin_fault(m, "MCLK %.2f MHz with FRAM NWAITS=0: FRAM needs wait states above 8 MHz (UG FRCTL_A)",
                   sys_mclk_hz(m) / 1e6);
}

/* ---- watchdog ---- */
static uint64_t wdt_interval_cycles(twin_t *m)
{
    sys_state *s = S(m);
    static const uint32_t log2n[8] = {31, 27, 23, 19, 15, 13, 9, 6};
    uint32_t num, den;
    sys_smclk_ratio(m, &num, &den);
    /* SMCLK source assumed (WDTSSEL=0); ticks of SMCLK -> MCLK cycles */
    return ((1ull << log2n[s->wdt_lo & 7]) * den) / num;
}

static void wdt_schedule(twin_t *m)
{
    sys_state *s = S(m);
    if (s->wdt_lo & 0x80) return;                  /* WDTHOLD */
    if (s->wdt_lo & 0x10) return;                  /* interval timer mode: no PUC */
    twin_schedule(m, s->wdt_start + wdt_interval_cycles(m));
}

/* ---- ports ---- */
static unsigned port_block(uint32_t a) { return a >= 0x320 ? 4 : (a - 0x200) >> 5; }

static void pins_update(twin_t *m)
{
    sys_state *s = S(m);
    for (unsigned p = 0; p < 9; p++) {
        unsigned blk = p == 8 ? 4 : p / 2, odd = p == 8 ? 0 : p & 1;
        uint8_t out = s->port[blk][0x02 + odd], dir = s->port[blk][0x04 + odd];
        uint8_t old = m->pout[p] & m->pdir[p];
        m->pout[p] = out;
        m->pdir[p] = dir;
        uint8_t now = out & dir;
        uint8_t changed = (uint8_t)(old ^ now);
        /* twin.h's watch mask has 32 bits: P1-P4 can be watched (DONE/YIELD end in a halt anyway) */
        if (changed && p < 4 && ((m->watch_pins >> (p * 8)) & 0xFFu & changed)) m->stop = TWIN_STOP_PIN;
    }
    /* P5.3 = chip select of the external FRAM; an input (no driver) reads high through the board pull-up */
    uint8_t lvl = (s->port[2][0x04] & 0x08) ? ((s->port[2][0x02] >> 3) & 1) : 1;
    if (lvl != s->p5cs_level) {
        s->p5cs_level = lvl;
        extfram_select(m, lvl == 0);
    }
}

static uint16_t port_read(twin_t *m, uint32_t a, int word)
{
    sys_state *s = S(m);
    unsigned blk = port_block(a), off = a & 0x1F;
    uint8_t *b = s->port[blk];
    if (off == 0x00 || off == 0x01) { /* PxIN: outputs read back their level, inputs read 0 */
        uint8_t lo = b[2] & b[4], hi = b[3] & b[5];
        return word ? (uint16_t)(lo | (hi << 8)) : (off ? hi : lo);
    }
    if (off == 0x0E || off == 0x1E) return 0; /* PxIV: no port interrupts modelled */
    return word ? (uint16_t)(b[off] | (b[off + 1] << 8)) : b[off];
}

static void port_write(twin_t *m, uint32_t a, uint16_t v, int word)
{
    sys_state *s = S(m);
    unsigned blk = port_block(a), off = a & 0x1F;
    uint8_t *b = s->port[blk];
    if (off <= 1 || off == 0x0E || off == 0x0F || off == 0x1E || off == 0x1F) return; /* read-only */
    if ((off & ~1u) == 0x1A && v) {
        twin_fault(m, "port interrupt enable (P%sIE) not modelled", blk == 4 ? "J" : "x");
        return;
    }
    if ((off & ~1u) == 0x16) { /* PxSELC: complement both selects */
        for (int k = 0; k < (word ? 2 : 1); k++) {
            uint8_t bits = (uint8_t)(v >> (8 * k));
            b[0x0A + off - 0x16 + k] ^= bits;
            b[0x0C + off - 0x16 + k] ^= bits;
        }
        return;
    }
    b[off] = (uint8_t)v;
    if (word) b[off + 1] = (uint8_t)(v >> 8);
    pins_update(m);
}

/* ---- register blocks ---- */
static uint16_t sys_read(twin_t *m, uint32_t a, int word)
{
    sys_state *s = S(m);
    uint32_t wa = a & ~1u;
    uint16_t v;
    if (wa >= 0x100 && wa < 0x106) v = s->sfr[(wa - 0x100) / 2];
    else if (wa == 0x120) v = s->pmmctl0;
    else if (wa >= 0x122 && wa < 0x12A) v = 0;
    else if (wa == 0x12A) v = s->pmmifg;
    else if (wa == 0x130) v = s->pm5ctl0;
    else if (wa == 0x140) v = (uint16_t)(0x9600 | s->frctl0_lo);
    else if (wa == 0x144) v = s->gcctl0;
    else if (wa == 0x146) v = s->gcctl1;
    else if (wa == 0x158) v = s->rcctl0;
    else if (wa == 0x15C) {
        v = (uint16_t)(0x6900 | s->wdt_lo);
    } else if (wa >= 0x160 && wa < 0x16E) {
        unsigned i = (wa - 0x160) / 2;
        v = i == 0 ? (uint16_t)(0x9600 | (s->cs[0] & 0xFF)) : s->cs[i];
    } else if (wa >= 0x180 && wa < 0x1A0) {
        v = s->sysregs[(wa - 0x180) / 2];
    } else if (wa >= 0x5A0 && wa < 0x5B0) {
        v = s->mpu[(wa - 0x5A0) / 2];
    } else {
        twin_fault(m, "read of unmodelled system register 0x%04x", a);
        return 0;
    }
    if (word) return v;
    return (a & 1) ? (uint8_t)(v >> 8) : (uint8_t)v;
}

/* merge a byte write into the current word value */
static uint16_t merge(uint16_t cur, uint32_t a, uint16_t v, int word)
{
    if (word) return v;
    return (a & 1) ? (uint16_t)((cur & 0x00FF) | (v << 8)) : (uint16_t)((cur & 0xFF00) | (v & 0xFF));
}

static void sys_write(twin_t *m, uint32_t a, uint16_t v, int word)
{
    sys_state *s = S(m);
    core *c = CORE(m);
    uint32_t wa = a & ~1u;
    if (wa >= 0x100 && wa < 0x106) {
        unsigned i = (wa - 0x100) / 2;
        uint16_t nv = merge(s->sfr[i], a, v, word);
        if (i == 0 && nv) { twin_fault(m, "SFRIE1 interrupts (0x%04x) not modelled", nv); return; }
        s->sfr[i] = nv;
    } else if (wa == 0x120) {
        uint16_t nv = merge(s->pmmctl0, a, v, word);
        if ((nv >> 8) != 0xA5) { core_puc(m, "PMMCTL0 password violation"); return; }
        if (nv & 0x000C) { core_puc(m, (nv & 4) ? "software BOR" : "software POR"); return; }
        s->pmmctl0 = (uint16_t)(0x9600 | (nv & 0xFF));
    } else if (wa >= 0x122 && wa < 0x12A) {
        /* PMMCTL1/2 reserved on this device: accepted, no effect */
    } else if (wa == 0x12A) {
        s->pmmifg = merge(s->pmmifg, a, v, word);
    } else if (wa == 0x130) {
        s->pm5ctl0 = merge(s->pm5ctl0, a, v, word) & 0x0001;
    } else if (wa == 0x140) {
        uint16_t nv = merge((uint16_t)(0x9600 | s->frctl0_lo), a, v, word);
        if (!(a & 1) && !word) { twin_fault(m, "byte write to FRCTL0 low byte without the password"); return; }
        if ((nv >> 8) != 0xA5) { core_puc(m, "FRCTL0 password violation"); return; }
        s->frctl0_lo = (uint8_t)nv;
        c->nwaits = (s->frctl0_lo >> 4) & 15;
        clock_check(m);
    } else if (wa == 0x144) {
        s->gcctl0 = merge(s->gcctl0, a, v, word);
    } else if (wa == 0x146) {
        s->gcctl1 = merge(s->gcctl1, a, v, word);
    } else if (wa == 0x158) {
        s->rcctl0 = merge(s->rcctl0, a, v, word);
    } else if (wa == 0x15C) {
        uint16_t nv = merge((uint16_t)(0x6900 | s->wdt_lo), a, v, word);
        if ((nv >> 8) != 0x5A) { core_puc(m, "WDTCTL password violation"); return; }
        s->wdt_lo = (uint8_t)(nv & 0xF7);
        if (nv & 0x08) s->wdt_start = m->cycle;      /* WDTCNTCL */
        if (((nv >> 5) & 3) != 0 && !(nv & 0x80))
            twin_fault(m, "watchdog running from ACLK/VLO not modelled (WDTCTL=0x%04x)", nv);
        wdt_schedule(m);
    } else if (wa >= 0x160 && wa < 0x16E) {
        unsigned i = (wa - 0x160) / 2;
        if (i == 0) {
            uint16_t nv = merge((uint16_t)(s->cs_unlocked ? 0xA500 : 0x9600) | (s->cs[0] & 0xFF), a, v, word);
            int was = s->cs_unlocked;
            s->cs_unlocked = (nv >> 8) == 0xA5;
            s->cs[0] = (uint16_t)(nv & 0xFF);
            if (was && !s->cs_unlocked && sys_mclk_hz(m) != m->cfg.mclk_hz)
                twin_fault(m, "firmware locked the clock system at MCLK %.3f MHz; the device table says %.3f MHz",
                           sys_mclk_hz(m) / 1e6, m->cfg.mclk_hz / 1e6);
            else if (was && !s->cs_unlocked && CORE(m)->nwaits != m->cfg.fram_wait_states)
                twin_fault(m, "firmware runs with FRAM NWAITS=%u; the device table says %u wait states",
                           CORE(m)->nwaits, m->cfg.fram_wait_states);
            return;
        }
        if (!s->cs_unlocked) return; /* UG: writes to locked CS registers are ignored */
        timer_clock_changed(m);
        s->cs[i] = merge(s->cs[i], a, v, word);
        timer_clock_changed(m);
        clock_check(m);
    } else if (wa >= 0x180 && wa < 0x1A0) {
        s->sysregs[(wa - 0x180) / 2] = merge(s->sysregs[(wa - 0x180) / 2], a, v, word);
    } else if (wa >= 0x5A0 && wa < 0x5B0) {
        s->mpu[(wa - 0x5A0) / 2] = merge(s->mpu[(wa - 0x5A0) / 2], a, v, word);
    } else {
        twin_fault(m, "write of unmodelled system register 0x%04x", a);
    }
}

const twin_region sys_regions[] = {
    {0x0100, 0x0105, sys_read, sys_write, "SFR"},
    {0x0120, 0x012B, sys_read, sys_write, "PMM"},
    {0x0130, 0x0131, sys_read, sys_write, "PM5CTL0"},
    {0x0140, 0x0147, sys_read, sys_write, "FRCTL"},
    {0x0158, 0x0159, sys_read, sys_write, "RCCTL0"},
    {0x015C, 0x015D, sys_read, sys_write, "WDT_A"},
    {0x0160, 0x016D, sys_read, sys_write, "CS"},
    {0x0180, 0x019F, sys_read, sys_write, "SYS"},
    {0x0200, 0x027F, port_read, port_write, "PORT P1-P8"},
    {0x0320, 0x033F, port_read, port_write, "PORT PJ"},
    {0x05A0, 0x05AF, sys_read, sys_write, "MPU"},
};
const unsigned sys_nregions = sizeof sys_regions / sizeof sys_regions[0];

void sys_reset(twin_t *m)
{
    int had_cs_low = 0;
    if (!m->sys) m->sys = calloc(1, sizeof(sys_state));
    else had_cs_low = S(m)->p5cs_level == 0;
    sys_state *s = S(m);
    memset(s, 0, sizeof *s);
    s->pmmctl0 = 0x9640;      /* UG PMMCTL0 reset */
    s->pm5ctl0 = 0x0001;      /* LOCKLPM5 set after a BOR */
    s->frctl0_lo = 0x00;      /* NWAITS = 0 */
    CORE(m)->nwaits = 0;
    s->wdt_lo = 0x04;         /* WDTCTL 6904h: running, SMCLK, /32768 */
    s->wdt_start = m->cycle;
    s->cs[1] = 0x000C;        /* DCORSEL=0, DCOFSEL=6: 8 MHz */
    s->cs[2] = 0x0033;        /* SMCLK, MCLK from DCOCLK */
    s->cs[3] = 0x0033;        /* SMCLK /8, MCLK /8: 1 MHz after reset */
    s->cs[4] = 0xCDC9;
    s->cs[5] = 0x00C0;
    s->cs[6] = 0x0007;
    s->p5cs_level = 1;
    if (had_cs_low) extfram_select(m, 0);
    wdt_schedule(m);
}

void sys_advance(twin_t *m)
{
    sys_state *s = S(m);
    if (!s || (s->wdt_lo & 0x90)) return;
    if (m->cycle >= s->wdt_start + wdt_interval_cycles(m)) {
        core_puc(m, "watchdog expired");
        return;
    }
    wdt_schedule(m);
}
