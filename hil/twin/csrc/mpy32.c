/*
 * mpy32.c - the 32-bit hardware multiplier MPY32 (registers 0x04C0-0x04ED).
 *
 * Source: MSP430FR58xx/FR59xx/FR6xx Family User's Guide (TI SLAU367), chapter "32-Bit Hardware Multiplier":
 *   - the operation is chosen by the first-operand register written (MPY, MPYS, MAC, MACS and their 32-bit
 *     forms MPY32L/H ...); writing OP2 (16-bit) or OP2H (32-bit second operand, after OP2L) starts it;
 *     byte writes to the operand registers are sign-extended in signed modes;
 *   - SUMEXT and MPYC: MPY 0000h/0; MPYS sign of the result; MAC carry (0001h)/carry; MACS: SUMEXT is the sign
 *     extension of the stored result, MPYC the carry of the signed addition, i.e. the sign of the exact sum -
 *     "if the carry differs from the sign reflected by SUMEXT, an overflow or underflow occurred";
 *   - MPYFRAC: results read shifted left by one (register contents unchanged); MPYSAT: signed results read
 *     saturated when MPYC differs from the stored sign (the UG's worked examples: 7FFF FA60h + 5A0h reads
 *     7FFF FFFFh), taking the fractional shift into account; the saturated value is also the accumulator
 *     input of the next MAC;
 *   - result availability (MCLK cycles after the OP2/OP2H write), UG tables "Result Availability": 16x16:
 *     RES0 1, RES1..3 2 (MPYFRAC = 0, MPYSAT = 0) [the non-fractional 16x16 row is from memory, UNSURE], 3/3/4/4
 *     in fractional or saturating mode; 32x16 and 16x32: 3/5/6/7; 32x32: -/3/5/6 after OP2H. A read of a result
 *     register earlier than that stops the twin with an error (allowing 2 cycles for the reading instruction's
 *     own fetch and address words, since the twin stamps an access with its instruction's first cycle) [UNSURE].
 * Not modelled (error): MPYDLY32 with delayed writes pending (operands are never written while the twin's
 * multiplier is "busy": results are computed at once), 8-bit result modes are the same as 16-bit here.
 */
#include <string.h>
#include "periph.h"

#define MPYC 0x0001u
#define MPYFRAC 0x0004u
#define MPYSAT 0x0008u
#define MPYM 0x0030u
#define MPYOP1_32 0x0040u
#define MPYOP2_32 0x0080u

typedef __int128 i128;
typedef unsigned __int128 u128;

typedef struct {
    uint32_t op1, op2;
    uint16_t ctl, sumext;
    uint64_t res;           /* RES3:RES2:RES1:RES0 as stored */
    uint64_t op_cycle;      /* cycle of the OP2/OP2H write */
    uint8_t lat[4];         /* result availability of RES0..RES3, cycles after op_cycle */
    int started;
    uint64_t busy_until;
} mpy_state;

static mpy_state *ms(twin_t *m) { return (mpy_state *)periph_state(&m->mpy, sizeof(mpy_state)); }

static unsigned mpy_mode(const mpy_state *s) { return (s->ctl & MPYM) >> 4; } /* 0 MPY 1 MPYS 2 MAC 3 MACS */
static int mpy_signed(const mpy_state *s) { return mpy_mode(s) & 1u; }
static int mpy_wide(const mpy_state *s) { return (s->ctl & (MPYOP1_32 | MPYOP2_32)) != 0; }

/* The exact value the result registers hold, with MPYC as the extra sign/carry bit: 33 bits (16x16) or 65. */
static i128 mpy_exact(const mpy_state *s)
{
    int wide = mpy_wide(s);
    uint64_t r = wide ? s->res : (s->res & 0xFFFFFFFFu);
    unsigned bits = wide ? 64u : 32u;
    i128 v = (i128)(u128)r;
    if (mpy_signed(s) && (s->ctl & MPYC))
        v -= (i128)1 << bits; /* MPYC is the sign of the exact signed value */
    else if (!mpy_signed(s) && (s->ctl & MPYC) && mpy_mode(s) == 2)
        v += (i128)1 << bits; /* MAC: the carry */
    return v;
}

static i128 mpy_clamp(i128 v, unsigned bits)
{
    i128 hi = ((i128)1 << (bits - 1)) - 1, lo = -((i128)1 << (bits - 1));
    return v > hi ? hi : v < lo ? lo : v;
}

/* What software reads from RES0..RES3 now (fractional shift and saturation applied to the read only). */
static uint64_t mpy_read_value(const mpy_state *s)
{
    int wide = mpy_wide(s);
    unsigned bits = wide ? 64u : 32u;
    if (!(s->ctl & (MPYFRAC | MPYSAT)))
        return s->res;
    i128 v = mpy_exact(s);
    if (!mpy_signed(s)) {
        /* saturation is for signed modes only; fractional mode still shifts */
        v = (i128)(u128)(wide ? s->res : (s->res & 0xFFFFFFFFu));
    } else if ((s->ctl & MPYSAT)) {
        v = mpy_clamp(v, bits); /* the overflow the stored sign and MPYC disagree on */
    }
    if (s->ctl & MPYFRAC)
        v *= 2;
    if ((s->ctl & MPYSAT) && mpy_signed(s))
        v = mpy_clamp(v, bits);
    uint64_t out = (uint64_t)(u128)v;
    if (!wide)
        out = (s->res & 0xFFFFFFFF00000000ull) | (out & 0xFFFFFFFFu);
    return out;
}

static void mpy_compute(twin_t *m)
{
    mpy_state *s = ms(m);
    unsigned mode = mpy_mode(s);
    int sgn = mode & 1u, wide = mpy_wide(s);
    unsigned bits = wide ? 64u : 32u;
    i128 a = (s->ctl & MPYOP1_32) ? (sgn ? (i128)(int32_t)s->op1 : (i128)s->op1)
                                  : (sgn ? (i128)(int16_t)s->op1 : (i128)(uint16_t)s->op1);
    i128 b = (s->ctl & MPYOP2_32) ? (sgn ? (i128)(int32_t)s->op2 : (i128)s->op2)
                                  : (sgn ? (i128)(int16_t)s->op2 : (i128)(uint16_t)s->op2);
    i128 p = a * b, acc;
    u128 mask = wide ? (u128)UINT64_MAX : (u128)0xFFFFFFFFu;
    if (mode >= 2) {
        /* accumulate onto the previous result as software would read it without the fractional shift */
        uint16_t keep = s->ctl;
        s->ctl &= (uint16_t)~MPYFRAC;
        i128 prev = sgn ? (i128)(int64_t)0 : 0;
        if (sgn) {
            prev = (s->ctl & MPYSAT) ? mpy_clamp(mpy_exact(s), bits) : mpy_exact(s);
            /* the accumulator is the stored register width, signed */
            prev = wide ? (i128)(int64_t)(uint64_t)(u128)prev : (i128)(int32_t)(uint32_t)(u128)prev;
        } else {
            prev = (i128)(u128)(wide ? s->res : (s->res & 0xFFFFFFFFu));
        }
        s->ctl = keep;
        acc = prev + p;
    } else {
        acc = p;
    }
    u128 stored = (u128)acc & mask;
    int carry;
    if (sgn)
        carry = acc < 0; /* MPYC: sign of the exact result (bit 32 / 64 of the sign-extended sum) */
    else
        carry = mode == 2 ? (((u128)acc >> bits) & 1u) != 0 : 0;
    if (wide) {
        s->res = (uint64_t)stored;
    } else {
        uint64_t hi;
        if (mode >= 2) hi = s->res & 0xFFFFFFFF00000000ull; /* 16x16 MAC leaves RES2/RES3 */
        else hi = (sgn && acc < 0) ? 0xFFFFFFFF00000000ull : 0;
        s->res = hi | (uint64_t)stored;
    }
    int stored_neg = (int)(((uint64_t)stored >> (bits - 1)) & 1u);
    s->ctl = (uint16_t)((s->ctl & ~MPYC) | (carry ? MPYC : 0));
    if (mode == 0) { s->sumext = 0; s->ctl &= (uint16_t)~MPYC; }
    else if (mode == 1) s->sumext = acc < 0 ? 0xFFFFu : 0;
    else if (mode == 2) s->sumext = carry ? 1u : 0u;
    else s->sumext = stored_neg ? 0xFFFFu : 0;
    /* result availability (UG tables) */
    static const uint8_t t16[4] = {1, 2, 2, 2}, t16f[4] = {3, 3, 4, 4}, t32x16[4] = {3, 5, 6, 7}, t32[4] = {0, 3, 5, 6};
    const uint8_t *lat = !wide ? ((s->ctl & (MPYFRAC | MPYSAT)) ? t16f : t16)
                               : ((s->ctl & MPYOP1_32) && (s->ctl & MPYOP2_32)) ? t32 : t32x16;
    memcpy(s->lat, lat, 4);
    s->op_cycle = m->cycle;
    s->started = 1;
    s->busy_until = m->cycle + lat[3];
    twin_set_active(m, TWIN_LOAD_MPY, 1);
    twin_schedule(m, s->busy_until);
    dma_trigger(m, TWIN_DMA_SRC_MPY);
}

static void mpy_check_ready(twin_t *m, unsigned k, uint32_t addr)
{
    mpy_state *s = ms(m);
    if (s->started && m->cycle + 2u < s->op_cycle + s->lat[k])
        twin_fault(m, "MPY32: 0x%04X read %u cycles after the operation started; the UG says RES%u is ready after %u "
                   "(PC 0x%04X)", (unsigned)addr, (unsigned)(m->cycle - s->op_cycle), k, s->lat[k], PERIPH_PC(m));
}

static uint16_t mpy_read(twin_t *m, uint32_t addr, int word)
{
    mpy_state *s = ms(m);
    unsigned off = (addr - 0x04C0u) & ~1u;
    uint16_t v;
    switch (off) {
    case 0x00: case 0x02: case 0x04: case 0x06: case 0x10: case 0x14: case 0x18: case 0x1C:
        v = (uint16_t)s->op1; break;
    case 0x12: case 0x16: case 0x1A: case 0x1E: v = (uint16_t)(s->op1 >> 16); break;
    case 0x08: case 0x20: v = (uint16_t)s->op2; break;
    case 0x22: v = (uint16_t)(s->op2 >> 16); break;
    case 0x0A: case 0x24: mpy_check_ready(m, 0, addr); v = (uint16_t)mpy_read_value(s); break;        /* RESLO/RES0 */
    case 0x0C: case 0x26: mpy_check_ready(m, 1, addr); v = (uint16_t)(mpy_read_value(s) >> 16); break; /* RESHI/RES1 */
    case 0x28: mpy_check_ready(m, 2, addr); v = (uint16_t)(mpy_read_value(s) >> 32); break;
    case 0x2A: mpy_check_ready(m, 3, addr); v = (uint16_t)(mpy_read_value(s) >> 48); break;
    case 0x0E: mpy_check_ready(m, 3, addr); v = s->sumext; break;
    case 0x2C: v = s->ctl; break;
    default:
        twin_fault(m, "MPY32: read of unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
        return 0;
    }
    return periph_pick_byte(v, addr, word);
}

/* Operand value from a word or byte write; byte writes are sign-extended in signed modes (UG). */
static uint16_t mpy_operand(const mpy_state *s, uint32_t addr, uint16_t value, int word, int sgn)
{
    (void)s;
    if (word)
        return value;
    if (addr & 1u)
        return value; /* high byte of an operand register: not used by the firmware; treated as a word write */
    return sgn ? (uint16_t)(int16_t)(int8_t)value : (uint16_t)(value & 0xFFu);
}

static void mpy_write(twin_t *m, uint32_t addr, uint16_t value, int word)
{
    mpy_state *s = ms(m);
    unsigned off = (addr - 0x04C0u) & ~1u;
    if (!word && (addr & 1u) && off != 0x2C) {
        twin_fault(m, "MPY32: byte write to the high byte 0x%04X is not modelled (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
        return;
    }
    switch (off) {
    case 0x00: case 0x02: case 0x04: case 0x06: { /* MPY, MPYS, MAC, MACS: 16-bit first operand */
        unsigned mode = off / 2u;
        s->ctl = (uint16_t)((s->ctl & ~(MPYM | MPYOP1_32)) | (mode << 4));
        uint16_t v = mpy_operand(s, addr, value, word, mode & 1u);
        s->op1 = (mode & 1u) ? (uint32_t)(int32_t)(int16_t)v : v;
        return;
    }
    case 0x10: case 0x14: case 0x18: case 0x1C: { /* MPY32L ...: low word of a 32-bit first operand */
        unsigned mode = (off - 0x10u) / 4u;
        s->ctl = (uint16_t)((s->ctl & ~MPYM) | (mode << 4) | MPYOP1_32);
        s->op1 = (s->op1 & 0xFFFF0000u) | mpy_operand(s, addr, value, word, 0);
        return;
    }
    case 0x12: case 0x16: case 0x1A: case 0x1E: { /* high word */
        uint16_t v = mpy_operand(s, addr, value, word, mpy_signed(s));
        s->op1 = (s->op1 & 0xFFFFu) | ((uint32_t)v << 16);
        return;
    }
    case 0x08: { /* OP2: 16-bit second operand, starts */
        uint16_t v = mpy_operand(s, addr, value, word, mpy_signed(s));
        s->ctl &= (uint16_t)~MPYOP2_32;
        s->op2 = v;
        mpy_compute(m);
        return;
    }
    case 0x20: /* OP2L */
        s->ctl |= MPYOP2_32;
        s->op2 = (s->op2 & 0xFFFF0000u) | mpy_operand(s, addr, value, word, 0);
        return;
    case 0x22: { /* OP2H: starts the 32-bit operation */
        uint16_t v = mpy_operand(s, addr, value, word, mpy_signed(s));
        s->op2 = (s->op2 & 0xFFFFu) | ((uint32_t)v << 16);
        mpy_compute(m);
        return;
    }
    case 0x0A: case 0x24: s->res = (s->res & ~0xFFFFull) | value; s->started = 0; return;
    case 0x0C: case 0x26: s->res = (s->res & ~0xFFFF0000ull) | ((uint64_t)value << 16); s->started = 0; return;
    case 0x28: s->res = (s->res & ~0xFFFF00000000ull) | ((uint64_t)value << 32); s->started = 0; return;
    case 0x2A: s->res = (s->res & ~0xFFFF000000000000ull) | ((uint64_t)value << 48); s->started = 0; return;
    case 0x0E: return; /* SUMEXT is read-only */
    case 0x2C:
        s->ctl = word ? value : periph_merge_byte(s->ctl, addr, value);
        if (s->ctl & 0x0200u)
            twin_fault(m, "MPY32: MPYDLY32 is not modelled (PC 0x%04X)", PERIPH_PC(m));
        return;
    default:
        twin_fault(m, "MPY32: write to unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
    }
}

void mpy_advance(twin_t *m)
{
    mpy_state *s = ms(m);
    if (s->busy_until && m->cycle >= s->busy_until) {
        s->busy_until = 0;
        twin_set_active(m, TWIN_LOAD_MPY, 0);
    } else if (s->busy_until) {
        twin_schedule(m, s->busy_until);
    }
}

void mpy_reset(twin_t *m)
{
    mpy_state *s = ms(m);
    memset(s, 0, sizeof *s);
    twin_set_active(m, TWIN_LOAD_MPY, 0);
}


const twin_region mpy_regions[] = {{0x04C0, 0x04ED, mpy_read, mpy_write, "MPY32"}};
const unsigned mpy_nregions = 1;
