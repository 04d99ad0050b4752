/*
 * lea.c - the Low-Energy Accelerator (LEA) of the MSP430FR5994, as far as the TiNAS runtime uses it: the
 * DSPLib-style command interface and the vector MAC command (LEACMD__MAC = 0x54).
 *
 * Sources: register map and bits from TI's msp430fr5994.h (LEA block at 0x0A80, 32-bit registers with L/H
 * halves); command protocol from TI DSPLib 1.30 (msp_lea_init, msp_lea_invokeCommand, msp_mac_q15 and the
 * MSP_LEA_MAC_PARAMS block); numerics and timing from docs/fr5994-port.md:
 *   - the parameter block is at LEAPMS1 << 2: {vectorSize N, input2 >> 2, output >> 2, reserved}; input1 is
 *     LEAPMS0 << 2 (LEA addresses are 32-bit word indices);
 *   - result = saturate_int32(2 * sum(a[i] * b[i])), the sum exact (64-bit), stored as int32 (Q31) at output.
 *     LEA silicon's overflow behaviour is not documented where we looked [UNSURE]: this is DSPLib's MPY32
 *     fallback (MPYFRAC | MPYSAT), which saturates only the final read, as the model does;
 *   - timing: cfg.lea_mac_cycles_fixed + ceil(N * cfg.lea_mac_cycles_per_elem) MCLK cycles from the LEAPMCB
 *     write to LEAPMCMDIFG (device table; inferred from TiNAS's board fit, not from a TI figure) [UNSURE].
 * Operand checks (as DSPLib's MSP_LEA_VALID_ADDRESS and the vectorSize rule): every operand inside
 * [LEAMB, LEAMT), N even and >= 2. An out-of-range operand sets LEAOORIFG (interrupt if LEAOORIE) and stops the
 * twin with an error, since the firmware would then wait forever for LEAPMCMDIFG; an odd or zero N stops it too.
 * LEACNF1.LEABUSY (bit 0) and LEAMODE (bits 7:4: 1 Ready, 4 RunA) read the state; while the command runs the LEA load is active, and
 * bus.c stops the twin on a CPU or DMA access to LEA RAM (docs/fr5994-port.md). Completion sets LEAPMCMDIFG; LEAIFG is write-1-to-
 * clear, LEAIFGSET sets flags, LEAIV returns the highest pending source (2 COVL, 4 TIMER, 6 OOR, 8 SDI,
 * 10 PMCMD) and clears it. The interrupt request level is (LEAIE & LEAIFG) != 0 on the LEA vector.
 * Not modelled (error): any other command code, LEASWRST, a command issued while busy or with LEACMDEN clear.
 * LEACAP reads 0 [UNSURE: its reset value was not found]; LEACMA, LEACMCTL, the status registers read as stored
 * or 0.
 */
#include <math.h>
#include <string.h>
#include "periph.h"

#define LEA_VEC 26                      /* LEA vector 0xFFB4 */
#define LEA_MB 0x2C00u                  /* LEAMB: bottom of LEA RAM (datasheet memory map) */
#define LEA_MT 0x3C00u                  /* LEAMT: top (exclusive) */
#define LEACMDEN 0x0001u
#define LEAPMCMDIFG 0x0010u
#define LEAOORIFG 0x0004u

typedef struct {
    uint32_t cnf0, cnf1_w, cnf2, cma, cmctl, pmctl, pmdst, pms0, pms1, pmcb, ie, ifg;
    int busy;
    uint64_t done_at;
    uint32_t out_addr, a_addr, b_addr, n;
    uint64_t commands;
} lea_state;

static lea_state *ls(twin_t *m) { return (lea_state *)periph_state(&m->lea, sizeof(lea_state)); }

static void lea_update_irq(twin_t *m)
{
    lea_state *s = ls(m);
    twin_irq(m, LEA_VEC, (s->ie & s->ifg & 0x1Fu) != 0);
}

static int32_t lea_sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static void lea_complete(twin_t *m)
{
    lea_state *s = ls(m);
    int64_t acc = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        int16_t a = (int16_t)(m->mem[s->a_addr + 2 * i] | (m->mem[s->a_addr + 2 * i + 1] << 8));
        int16_t b = (int16_t)(m->mem[s->b_addr + 2 * i] | (m->mem[s->b_addr + 2 * i + 1] << 8));
        acc += (int32_t)a * b;
    }
    uint32_t r = (uint32_t)lea_sat32(2 * acc);
    for (unsigned k = 0; k < 4; k++)
        m->mem[s->out_addr + k] = (uint8_t)(r >> (8 * k));
    s->busy = 0;
    s->ifg |= LEAPMCMDIFG;
    s->commands++;
    twin_set_active(m, TWIN_LOAD_LEA, 0);
    lea_update_irq(m);
    dma_trigger(m, TWIN_DMA_SRC_LEA);
}

void lea_advance(twin_t *m)
{
    lea_state *s = ls(m);
    if (!s->busy)
        return;
    if (m->cycle >= s->done_at)
        lea_complete(m);
    else
        twin_schedule(m, s->done_at);
}

/* Operand [addr, addr + len) inside LEA RAM? */
static int lea_in_ram(uint32_t addr, uint32_t len)
{
    return addr >= LEA_MB && addr + len <= LEA_MT && len <= LEA_MT - LEA_MB;
}

static void lea_oor(twin_t *m, const char *what, uint32_t addr, uint32_t len)
{
    lea_state *s = ls(m);
    s->ifg |= LEAOORIFG;
    lea_update_irq(m);
    twin_fault(m, "LEA MAC: %s 0x%05X..0x%05X is outside LEA RAM 0x%04X-0x%04X (LEAOORIFG set; PC 0x%04X)", what,
               (unsigned)addr, (unsigned)(addr + len - 1), LEA_MB, LEA_MT - 1, PERIPH_PC(m));
}

static uint16_t lea_rd16(twin_t *m, uint32_t a) { return (uint16_t)(m->mem[a] | (m->mem[a + 1] << 8)); }

static void lea_command(twin_t *m, uint32_t cmd)
{
    lea_state *s = ls(m);
    unsigned code = cmd & 0xFFFCu; /* bits 1:0 are flags (LEAITFLG1 = 0x2); codes are multiples of 4 */
    if (!(s->pmctl & LEACMDEN)) {
        twin_fault(m, "LEA command 0x%02X issued with LEACMDEN clear (PC 0x%04X)", code, PERIPH_PC(m));
        return;
    }
    if (s->busy) {
        twin_fault(m, "LEA command 0x%02X issued while LEA is busy (PC 0x%04X)", code, PERIPH_PC(m));
        return;
    }
    if (code != 0x54) {
        twin_fault(m, "LEA command 0x%02X not modelled (only MAC 0x54 is; PC 0x%04X)", code, PERIPH_PC(m));
        return;
    }
    uint32_t blk = (s->pms1 & 0xFFFFu) << 2;
    if (!lea_in_ram(blk, 8)) {
        lea_oor(m, "parameter block", blk, 8);
        return;
    }
    uint32_t n = lea_rd16(m, blk), a = (s->pms0 & 0xFFFFu) << 2, b = (uint32_t)lea_rd16(m, blk + 2) << 2,
             out = (uint32_t)lea_rd16(m, blk + 4) << 2;
    if (n < 2 || (n & 1u)) {
        twin_fault(m, "LEA MAC: vector length %u must be even and >= 2 (DSPLib MSP_SIZE_ERROR; PC 0x%04X)", n, PERIPH_PC(m));
        return;
    }
    if (!lea_in_ram(a, 2 * n)) { lea_oor(m, "input 1", a, 2 * n); return; }
    if (!lea_in_ram(b, 2 * n)) { lea_oor(m, "input 2", b, 2 * n); return; }
    if (!lea_in_ram(out, 4)) { lea_oor(m, "output", out, 4); return; }
    s->a_addr = a;
    s->b_addr = b;
    s->out_addr = out;
    s->n = n;
    s->busy = 1;
    s->done_at = m->cycle + m->cfg.lea_mac_cycles_fixed + (uint64_t)ceil((double)n * m->cfg.lea_mac_cycles_per_elem - 1e-9);
    twin_set_active(m, TWIN_LOAD_LEA, 1);
    twin_schedule(m, s->done_at);
}

/* 32-bit register halves: the low half at +0, the high half at +2. */
static uint32_t *lea_reg(lea_state *s, unsigned off)
{
    switch (off) {
    case 0x04: return &s->cnf0;
    case 0x0C: return &s->cnf2;
    case 0x18: return &s->cma;
    case 0x1C: return &s->cmctl;
    case 0x40: return &s->pmctl;
    case 0x44: return &s->pmdst;
    case 0x48: return &s->pms1;
    case 0x4C: return &s->pms0;
    case 0x50: return &s->pmcb;
    case 0x74: return &s->ie;
    default: return NULL;
    }
}

static uint32_t lea_iv(twin_t *m)
{
    lea_state *s = ls(m);
    uint32_t p = s->ifg & s->ie;
    for (unsigned k = 0; k < 5; k++) {
        if (p & (1u << k)) {
            s->ifg &= ~(1u << k);
            lea_update_irq(m);
            return 2u * (k + 1u);
        }
    }
    return 0;
}

static uint16_t lea_read(twin_t *m, uint32_t addr, int word)
{
    lea_state *s = ls(m);
    lea_advance(m);
    unsigned off = (addr - 0x0A80u) & ~3u, hi = (addr & 2u) != 0;
    uint32_t v;
    uint32_t *r = lea_reg(s, off);
    if (r) v = *r;
    else switch (off) {
    case 0x00: v = 0; break;                                          /* LEACAP [UNSURE] */
    case 0x08: v = s->busy ? 0x41u : 0x10u; break;                    /* LEACNF1: LEABUSY | LEAMODE RunA / Ready */
    case 0x10: v = LEA_MB; break;                                     /* LEAMB */
    case 0x14: v = LEA_MT; break;                                     /* LEAMT */
    case 0x28: case 0x2C: case 0x30: case 0x34: v = 0; break;         /* command/source/destination status */
    case 0x70: v = 0; break;                                          /* LEAIFGSET reads 0 */
    case 0x78: v = s->ifg; break;
    case 0x7C: v = hi ? 0 : lea_iv(m); break;
    default:
        twin_fault(m, "LEA: read of unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
        return 0;
    }
    uint16_t h = (uint16_t)(hi ? v >> 16 : v);
    return periph_pick_byte(h, addr, word);
}

static void lea_write(twin_t *m, uint32_t addr, uint16_t value, int word)
{
    lea_state *s = ls(m);
    lea_advance(m);
    unsigned off = (addr - 0x0A80u) & ~3u, hi = (addr & 2u) != 0;
    uint32_t *r = lea_reg(s, off);
    uint32_t cur;
    if (r) cur = *r;
    else if (off == 0x78 || off == 0x70) cur = 0;
    else if (off == 0x08 || off == 0x00 || off == 0x10 || off == 0x14 || off == 0x7C || (off >= 0x28 && off <= 0x34))
        cur = 0;
    else {
        twin_fault(m, "LEA: write to unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
        return;
    }
    uint16_t half = (uint16_t)(hi ? cur >> 16 : cur);
    half = word ? value : periph_merge_byte(half, addr, value);
    uint32_t nv = hi ? (cur & 0xFFFFu) | ((uint32_t)half << 16) : (cur & 0xFFFF0000u) | half;
    uint32_t written = hi ? (uint32_t)half << 16 : half; /* bits this access wrote */
    switch (off) {
    case 0x04: /* LEACNF0 */
        if (nv & 1u)
            twin_fault(m, "LEA: LEASWRST (software reset) is not modelled (PC 0x%04X)", PERIPH_PC(m));
        *r = nv;
        return;
    case 0x08: /* LEACNF1: the firmware writes 0 at init; the busy/mode bits are read-only */
        return;
    case 0x50: /* LEAPMCB: the low-half write starts the command */
        *r = nv;
        if (!hi)
            lea_command(m, nv);
        return;
    case 0x70: /* LEAIFGSET */
        s->ifg |= written & 0x1Fu;
        lea_update_irq(m);
        return;
    case 0x78: /* LEAIFG: write 1 to clear */
        s->ifg &= ~(written & 0x1Fu);
        lea_update_irq(m);
        return;
    case 0x74:
        *r = nv;
        lea_update_irq(m);
        return;
    case 0x00: case 0x10: case 0x14: case 0x7C: case 0x28: case 0x2C: case 0x30: case 0x34:
        return; /* read-only */
    default:
        *r = nv;
        return;
    }
}

void lea_reset(twin_t *m)
{
    lea_state *s = ls(m);
    memset(s, 0, sizeof *s);
    twin_set_active(m, TWIN_LOAD_LEA, 0);
    twin_irq(m, LEA_VEC, 0);
}


const twin_region lea_regions[] = {{0x0A80, 0x0AFF, lea_read, lea_write, "LEA"}};
const unsigned lea_nregions = 1;
