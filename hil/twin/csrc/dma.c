/*
 * dma.c - the FR5994 DMA controller, 6 channels.
 *
 * Sources: MSP430FR58xx/FR59xx/FR6xx Family User's Guide (TI SLAU367), chapter "Direct Memory Access (DMA)
 * Controller Module" (DMAxCTL fields, transfer modes, DMAxSZ reload, 2 MCLK cycles per transfer with the CPU
 * held, DMAIV); trigger assignments from the MSP430FR599x datasheet (TI SLASE54, "DMA Trigger Assignments"),
 * as encoded in TI's msp430fr5994.h (DMAxTSEL__* names). On this device the trigger numbers 14-25 and 30 mean
 * different sources on channels 0-2 and 3-5: e.g. trigger 18/19 is UCB0 RX/TX on channels 0-2, UCB1 on channel
 * 3, UCB2 on channel 4, UCB3 on channel 5, and UCA2/UCA3 (14-17) exist only on channels 3-5.
 *
 * Modelled: single transfer (DMADT 0), block transfer (1), repeated single (4) and repeated block (5); byte
 * and word at each end (byte -> word clears the high byte, word -> byte takes the low byte); source and
 * destination increment/decrement/fixed; edge-sensitive triggers (DMALEVEL = 0) from enum twin_dma_source and
 * software requests (DMAREQ with trigger 0); DMAxSZ counts down and is reloaded with its initial value at 0;
 * DMAxSA/DMAxDA are read back unchanged (the transfer uses internal copies, as the UG describes); DMAIFG and
 * DMAEN (cleared at the end of non-repeated modes), DMAIE -> interrupt level on the DMA vector, DMAIV
 * (highest pending channel, reading clears that DMAIFG); DMACTL4 bits stored and accepted (docs/fr5994-port.md).
 * Each transfer steals cfg.dma_cycles_per_transfer MCLK cycles from the CPU through m->stall_cycles and
 * draws the DMA current for that long. The transfer happens at the trigger's cycle (its 2 cycles are charged
 * to the CPU, not delaying the data) [simplification].
 * Not modelled (error when enabled): burst-block modes (DMADT 2, 3, 6, 7), level-sensitive triggers
 * (DMALEVEL = 1), a channel enabled with DMAxSZ = 0, triggers whose source no model raises (timers, AES,
 * ADC12, DMAE0), a channel triggered by an eUSCI that is held in reset (the trigger could never come).
 */
#include <string.h>
#include "periph.h"

#define DMA_NCH 6
#define DMA_VEC 50 /* DMA vector 0xFFE4 */

#define DMAREQ 0x0001u
#define DMAABORT 0x0002u
#define DMAIE 0x0004u
#define DMAIFG 0x0008u
#define DMAEN 0x0010u
#define DMALEVEL 0x0020u
#define DMASRCBYTE 0x0040u
#define DMADSTBYTE 0x0080u

typedef struct {
    uint16_t ctl, sz, sz_init, cur_sz;
    uint32_t sa, da, cur_sa, cur_da;
    int running, pending; /* a trigger that arrives during this channel's own transfer waits for its end */
} dma_ch;

typedef struct {
    dma_ch ch[DMA_NCH];
    uint16_t ctl[5];        /* DMACTL0..4 (DMACTL3 unused on this device) */
    uint64_t busy_until;    /* DMA current drawn until this cycle */
    int depth;              /* nested triggers (a transfer that triggers another) */
} dma_state;

static dma_state *ds(twin_t *m) { return (dma_state *)periph_state(&m->dma, sizeof(dma_state)); }

/* Trigger number -> source, per channel (datasheet table; TI msp430fr5994.h DMAxTSEL__ names). */
static unsigned dma_source_of(unsigned ch, unsigned t)
{
    static const unsigned common[14] = {
        TWIN_DMA_SRC_DMAREQ, TWIN_DMA_SRC_TA0CCR0, TWIN_DMA_SRC_TA0CCR2, TWIN_DMA_SRC_TA1CCR0, TWIN_DMA_SRC_TA1CCR2,
        TWIN_DMA_SRC_TA2CCR0, TWIN_DMA_SRC_TA3CCR0, TWIN_DMA_SRC_TB0CCR0, TWIN_DMA_SRC_TB0CCR2, TWIN_DMA_SRC_TA4CCR0,
        TWIN_DMA_SRC_NONE, TWIN_DMA_SRC_AES0, TWIN_DMA_SRC_AES1, TWIN_DMA_SRC_AES2};
    static const unsigned chain[DMA_NCH] = {2, 0, 1, 5, 3, 4}; /* trigger 30: DMA2IFG on ch0, DMA0IFG on ch1, ... */
    if (t < 14)
        return common[t];
    if (t <= 17) /* UCA0/UCA1 on channels 0-2, UCA2/UCA3 on 3-5 */
        return TWIN_DMA_SRC_UCA0RX + (ch >= 3 ? 4u : 0u) + (t - 14u);
    if (t <= 25) /* UCB0 on channels 0-2, UCB1/UCB2/UCB3 on channels 3/4/5 */
        return TWIN_DMA_SRC_UCB0RX0 + 8u * (ch >= 3 ? ch - 2u : 0u) + (t - 18u);
    switch (t) {
    case 26: return TWIN_DMA_SRC_ADC12;
    case 27: return TWIN_DMA_SRC_LEA;
    case 29: return TWIN_DMA_SRC_MPY;
    case 30: return TWIN_DMA_SRC_DMA0IFG + chain[ch];
    case 31: return TWIN_DMA_SRC_DMAE0;
    default: return TWIN_DMA_SRC_NONE;
    }
}

static unsigned dma_tsel(dma_state *s, unsigned ch)
{
    return (s->ctl[ch / 2] >> ((ch & 1u) ? 8 : 0)) & 0x1Fu;
}

static void dma_update_irq(twin_t *m)
{
    dma_state *s = ds(m);
    int level = 0;
    for (unsigned c = 0; c < DMA_NCH; c++)
        level |= (s->ch[c].ctl & DMAIE) && (s->ch[c].ctl & DMAIFG);
    twin_irq(m, DMA_VEC, level);
}

static void dma_draw(twin_t *m, uint32_t transfers)
{
    dma_state *s = ds(m);
    uint32_t cyc = m->cfg.dma_cycles_per_transfer * transfers;
    m->stall_cycles += cyc;
    uint64_t end = (s->busy_until > m->cycle ? s->busy_until : m->cycle) + cyc;
    s->busy_until = end;
    twin_set_active(m, TWIN_LOAD_DMA, 1);
    twin_schedule(m, end);
}

static void dma_step_addr(uint32_t *a, unsigned mode, int byte)
{
    unsigned step = byte ? 1u : 2u;
    if (mode == 2) *a = (*a - step) & 0xFFFFFu;
    else if (mode == 3) *a = (*a + step) & 0xFFFFFu;
}

/* One byte/word move of channel c; returns 1 when its block (DMAxSZ transfers) is complete. */
static int dma_move(twin_t *m, unsigned c)
{
    dma_ch *ch = &ds(m)->ch[c];
    int sbyte = (ch->ctl & DMASRCBYTE) != 0, dbyte = (ch->ctl & DMADSTBYTE) != 0;
    uint32_t src = sbyte ? ch->cur_sa : ch->cur_sa & ~1u, dst = dbyte ? ch->cur_da : ch->cur_da & ~1u;
    dma_step_addr(&ch->cur_sa, (ch->ctl >> 8) & 3u, sbyte);
    dma_step_addr(&ch->cur_da, (ch->ctl >> 10) & 3u, dbyte);
    ch->cur_sz--;
    ch->sz = ch->cur_sz;
    /* the bus accesses come last: a write to a peripheral can raise the next trigger at once */
    uint16_t v = twin_bus_read(m, src, !sbyte);
    if (sbyte)
        v &= 0xFFu; /* byte -> word: high byte cleared */
    twin_bus_write(m, dst, dbyte ? (uint16_t)(v & 0xFFu) : v, !dbyte);
    return ch->cur_sz == 0;
}

static void dma_block_done(twin_t *m, unsigned c)
{
    dma_ch *ch = &ds(m)->ch[c];
    unsigned dt = (ch->ctl >> 12) & 7u;
    ch->sz = ch->sz_init; /* UG: DMAxSZ is reloaded with its initial value when it reaches 0 */
    ch->cur_sz = ch->sz_init;
    ch->cur_sa = ch->sa;
    ch->cur_da = ch->da;
    ch->ctl |= DMAIFG;
    if (dt < 4)
        ch->ctl &= (uint16_t)~DMAEN;
    dma_update_irq(m);
    dma_trigger(m, TWIN_DMA_SRC_DMA0IFG + c);
}

/* Channel c got its trigger: one transfer (single modes) or the whole block (block modes). */
static void dma_run(twin_t *m, unsigned c)
{
    dma_ch *ch = &ds(m)->ch[c];
    if (ch->running) {
        ch->pending = 1;
        return;
    }
    ch->running = 1;
    do {
        unsigned dt = (ch->ctl >> 12) & 7u;
        ch->pending = 0;
        if (dt == 0 || dt == 4) {
            dma_draw(m, 1);
            if (dma_move(m, c))
                dma_block_done(m, c);
        } else {
            uint32_t n = ch->cur_sz;
            dma_draw(m, n);
            while (!dma_move(m, c) && m->stop != TWIN_STOP_ERROR) {}
            dma_block_done(m, c);
        }
    } while (ch->pending && (ch->ctl & DMAEN) && m->stop != TWIN_STOP_ERROR);
    ch->pending = 0;
    ch->running = 0;
}

void dma_trigger(twin_t *m, unsigned source)
{
    dma_state *s = ds(m);
    if (s->depth > 16) {
        twin_fault(m, "DMA: trigger chain deeper than 16 (PC 0x%04X)", PERIPH_PC(m));
        return;
    }
    s->depth++;
    for (unsigned c = 0; c < DMA_NCH && m->stop != TWIN_STOP_ERROR; c++) /* channel 0 has the highest priority */
        if ((s->ch[c].ctl & DMAEN) && dma_source_of(c, dma_tsel(s, c)) == source)
            dma_run(m, c);
    s->depth--;
}

/* Checks when a channel is enabled, so a configuration that can never run stops with a reason. */
static void dma_check_enable(twin_t *m, unsigned c)
{
    dma_state *s = ds(m);
    dma_ch *ch = &s->ch[c];
    unsigned dt = (ch->ctl >> 12) & 7u, t = dma_tsel(s, c), src = dma_source_of(c, t);
    if (dt == 2 || dt == 3 || dt >= 6)
        twin_fault(m, "DMA%u: burst-block transfer mode (DMADT %u) is not modelled (PC 0x%04X)", c, dt, PERIPH_PC(m));
    else if (ch->ctl & DMALEVEL)
        twin_fault(m, "DMA%u: level-sensitive triggers (DMALEVEL) are not modelled (PC 0x%04X)", c, PERIPH_PC(m));
    else if (ch->sz == 0)
        twin_fault(m, "DMA%u enabled with DMA%uSZ = 0 (PC 0x%04X)", c, c, PERIPH_PC(m));
    else if (src == TWIN_DMA_SRC_NONE || (src >= TWIN_DMA_SRC_TA0CCR0 && src <= TWIN_DMA_SRC_AES2) ||
             src == TWIN_DMA_SRC_ADC12 || src == TWIN_DMA_SRC_DMAE0)
        twin_fault(m, "DMA%u: trigger %u (DMA%uTSEL) comes from a source the twin does not model (PC 0x%04X)", c, t, c,
                   PERIPH_PC(m));
    else if (src >= TWIN_DMA_SRC_UCA0RX && src <= TWIN_DMA_SRC_UCB3TX3) {
        /* an eUSCI held in reset never raises the flag: most likely the wrong channel for that eUSCI */
        static const uint32_t ctlw0[8] = {0x05C0, 0x05E0, 0x0600, 0x0620, 0x0640, 0x0680, 0x06C0, 0x0700};
        static const char *const nm[8] = {"UCA0", "UCA1", "UCA2", "UCA3", "UCB0", "UCB1", "UCB2", "UCB3"};
        unsigned k = src - TWIN_DMA_SRC_UCA0RX, mod = k < 8 ? k / 2u : 4u + (k - 8u) / 8u;
        if (twin_bus_read(m, ctlw0[mod], 1) & 1u)
            twin_fault(m, "DMA%u: trigger %u is %s on channel %u (datasheet DMA trigger table), but %s is held in reset: "
                       "it will never fire (UCB1 triggers exist only on channel 3, UCA2/UCA3 only on 3-5) (PC 0x%04X)",
                       c, t, nm[mod], c, nm[mod], PERIPH_PC(m));
    }
    ch->cur_sa = ch->sa;
    ch->cur_da = ch->da;
    ch->cur_sz = ch->sz;
    ch->sz_init = ch->sz;
}

static uint16_t dma_read(twin_t *m, uint32_t addr, int word)
{
    dma_state *s = ds(m);
    uint32_t a = addr & ~1u;
    uint16_t v;
    if (a < 0x0510) {
        switch (a) {
        case 0x0500: case 0x0502: case 0x0504: case 0x0506: case 0x0508: v = s->ctl[(a - 0x0500) / 2]; break;
        case 0x050E: /* DMAIV: highest-priority pending flag with DMAIE; reading clears it */
            v = 0;
            for (unsigned c = 0; c < DMA_NCH; c++) {
                if ((s->ch[c].ctl & DMAIFG) && (s->ch[c].ctl & DMAIE)) {
                    s->ch[c].ctl &= (uint16_t)~DMAIFG;
                    v = (uint16_t)(2u * (c + 1u));
                    dma_update_irq(m);
                    break;
                }
            }
            break;
        default:
            twin_fault(m, "DMA: read of unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
            return 0;
        }
    } else {
        unsigned c = (a - 0x0510) / 0x10, off = (a - 0x0510) % 0x10;
        dma_ch *ch = &s->ch[c];
        switch (off) {
        case 0x0: v = ch->ctl; break;
        case 0x2: v = (uint16_t)ch->sa; break;
        case 0x4: v = (uint16_t)(ch->sa >> 16); break;
        case 0x6: v = (uint16_t)ch->da; break;
        case 0x8: v = (uint16_t)(ch->da >> 16); break;
        case 0xA: v = ch->sz; break;
        default:
            twin_fault(m, "DMA: read of unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
            return 0;
        }
    }
    return periph_pick_byte(v, addr, word);
}

static void dma_write(twin_t *m, uint32_t addr, uint16_t value, int word)
{
    dma_state *s = ds(m);
    uint32_t a = addr & ~1u;
    if (a < 0x0510) {
        switch (a) {
        case 0x0500: case 0x0502: case 0x0504: case 0x0508:
            /* DMACTL4 (DMARMWDIS, ROUNDROBIN, ENNMI) is stored and accepted: the twin has no NMIs and serves
             * triggers in arrival order, so none of its bits changes what the twin does */
            s->ctl[(a - 0x0500) / 2] = word ? value : periph_merge_byte(s->ctl[(a - 0x0500) / 2], addr, value);
            return;
        case 0x050E:
            return; /* DMAIV is read-only */
        default:
            twin_fault(m, "DMA: write to unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
            return;
        }
    }
    unsigned c = (a - 0x0510) / 0x10, off = (a - 0x0510) % 0x10;
    dma_ch *ch = &s->ch[c];
    switch (off) {
    case 0x0: {
        uint16_t old = ch->ctl, nv = word ? value : periph_merge_byte(old, addr, value);
        ch->ctl = (uint16_t)(nv & ~DMAREQ);
        if (!(old & DMAEN) && (nv & DMAEN))
            dma_check_enable(m, c);
        dma_update_irq(m);
        if ((nv & DMAREQ) && (ch->ctl & DMAEN) && m->stop != TWIN_STOP_ERROR) {
            if (dma_tsel(s, c) != 0)
                twin_fault(m, "DMA%u: DMAREQ set but DMA%uTSEL is %u, not 0 (PC 0x%04X)", c, c, dma_tsel(s, c), PERIPH_PC(m));
            else
                dma_run(m, c);
        }
        return;
    }
    case 0x2: ch->sa = (ch->sa & 0xF0000u) | (word ? value : periph_merge_byte((uint16_t)ch->sa, addr, value)); break;
    case 0x4: ch->sa = (ch->sa & 0xFFFFu) | ((uint32_t)(value & 0xFu) << 16); break;
    case 0x6: ch->da = (ch->da & 0xF0000u) | (word ? value : periph_merge_byte((uint16_t)ch->da, addr, value)); break;
    case 0x8: ch->da = (ch->da & 0xFFFFu) | ((uint32_t)(value & 0xFu) << 16); break;
    case 0xA: ch->sz = word ? value : periph_merge_byte(ch->sz, addr, value); ch->cur_sz = ch->sz; ch->sz_init = ch->sz; break;
    default:
        twin_fault(m, "DMA: write to unmodelled register 0x%04X (PC 0x%04X)", (unsigned)addr, PERIPH_PC(m));
        return;
    }
    if ((ch->ctl & DMAEN) && off != 0xA)
        twin_fault(m, "DMA%u: address register written while DMAEN is set (PC 0x%04X)", c, PERIPH_PC(m));
}

void dma_advance(twin_t *m)
{
    dma_state *s = ds(m);
    if (s->busy_until && m->cycle >= s->busy_until) {
        s->busy_until = 0;
        twin_set_active(m, TWIN_LOAD_DMA, 0);
    } else if (s->busy_until) {
        twin_schedule(m, s->busy_until);
    }
}

void dma_reset(twin_t *m)
{
    dma_state *s = ds(m);
    memset(s, 0, sizeof *s);
    twin_set_active(m, TWIN_LOAD_DMA, 0);
    twin_irq(m, DMA_VEC, 0);
}


const twin_region dma_regions[] = {{0x0500, 0x056F, dma_read, dma_write, "DMA"}};
const unsigned dma_nregions = 1;
