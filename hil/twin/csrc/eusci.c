/*
 * eusci.c - eUSCI_A0..A3 and eUSCI_B0..B3 of the MSP430FR5994.
 *
 * Sources: MSP430FR58xx/FR59xx/FR6xx Family User's Guide (TI SLAU367), chapters "eUSCI - UART Mode" and
 * "eUSCI - SPI Mode" (registers, reset values, double buffering, UCTXIFG/UCRXIFG/UCBUSY/UCOE rules, UCxIV);
 * register addresses and interrupt vectors from the MSP430FR599x datasheet (TI SLASE54) / TI's msp430fr5994.h.
 *
 * Modelled:
 *   - UART on eUSCI_A0 only (the LaunchPad back-channel): 8N1, LSB first, BRCLK = SMCLK, oversampling or not,
 *     UCBRF/UCBRS modulation. A byte is 10 bit times; each bit is 16*UCBRW + UCBRF (UCOS16 = 1) or UCBRW
 *     BRCLK cycles, plus 1 when the UCBRS bit for that bit position is set (bit i uses UCBRS bit i mod 8).
 *     TX is double-buffered: UCTXIFG is low only while the shift register and TXBUF are both full. Sent bytes
 *     go to m->uart_tx stamped with the cycle their stop bit ends. RX takes bytes from m->uart_rx back to
 *     back at line rate once the UART is enabled; a byte arriving with UCRXIFG still set sets UCOE and
 *     overwrites RXBUF (as silicon).
 *   - SPI master, 3-pin, on any eUSCI (A in UCSYNC mode, or B): a byte takes 8 * max(UCBRW, 1) BRCLK (SMCLK)
 *     cycles. Writing TXBUF clears UCTXIFG; if the shift register is idle the byte moves there at once and
 *     UCTXIFG rises again (the docs/fr5994-port.md choice for "TXBUF can take the next byte"). At the end of a byte,
 *     the received byte is in RXBUF with UCRXIFG set (UCOE if UCRXIFG was still set), and the next byte, if
 *     TXBUF was full, starts. UCBUSY (STATW bit 0) while a byte shifts. Reading RXBUF clears UCRXIFG and UCOE.
 *     The external FRAM (extfram.c) is on the SPI bus with chip select P5.3 active low; each completed byte
 *     is exchanged with it while CS is low, from whichever eUSCI is the SPI master (the FR5994 board in
 *     docs/fr5994-port.md uses eUSCI_B1; TiNAS's board uses eUSCI_A3 - both work, two masters in one CS frame
 *     is an error).
 *   - DMA triggers are the RISING EDGES of UCRXIFG and UCTXIFG, including ones software makes by writing the
 *     IFG register (UG: DMA triggers are edge-sensitive; TiNAS starts its SPI DMA by clearing and setting
 *     UCTXIFG). Enabling a DMA channel while the flag is already high does not start it.
 *   - Interrupt request level per module: (IE & IFG) != 0 on the module's vector.
 * Not modelled (stop with an error when the module leaves reset in such a mode): I2C, SPI slave, 4-pin SPI,
 * 7-bit data, parity, 2 stop bits, multiprocessor modes, auto baud, IrDA, UCLK/ACLK clock sources, UART on
 * A1..A3 (nothing is connected there). Registers written while a module is held in reset (UCSWRST = 1) are
 * just stored, so reset-safe initialisation of unused modules is accepted.
 */
#include <string.h>
#include "periph.h"

#define EU_N 8 /* A0..A3 = 0..3, B0..B3 = 4..7 */

#define UCSWRST 0x0001u
#define UCSYNC 0x0100u
#define UCMODE 0x0600u
#define UCMST 0x0800u
#define UC7BIT 0x1000u
#define UCMSB 0x2000u
#define UCCKPL 0x4000u
#define UCCKPH 0x8000u
#define UCPEN 0x8000u
#define UCSPB 0x0800u
#define UCSSEL 0x00C0u
#define UCOS16 0x0001u
#define UCBUSY 0x0001u
#define UCOE 0x0020u
#define UCRXIFG 0x0001u
#define UCTXIFG 0x0002u
#define UCSTTIFG 0x0004u
#define UCTXCPTIFG 0x0008u
#define UCABDEN 0x0001u
#define UCIREN 0x0001u

enum eu_mode { EU_OFF = 0, EU_UART, EU_SPI };

typedef struct {
    uint16_t ctlw0, ctlw1, brw, mctlw, statw, tbcnt, abctl, irctl, ie, ifg;
    uint16_t i2coa[4], addmask, i2csa;
    uint8_t rxbuf, txbuf, shift;
    int tx_full, shifting, rx_active;
    enum eu_mode mode;
    uint64_t shift_end, rx_end;
} eu_inst;

typedef struct {
    eu_inst u[EU_N];
    uint64_t now;      /* the time of the event being processed, or m->cycle between events */
    int in_advance;
    int bus_master;    /* eUSCI that exchanged bytes in the current CS-low frame, -1 none */
} eu_state;

static const uint32_t eu_base[EU_N] = {0x05C0, 0x05E0, 0x0600, 0x0620, 0x0640, 0x0680, 0x06C0, 0x0700};
/* vector index = (vector address - 0xFF80) / 2: A0 FFF0, A1 FFE6, A2 FFC2, A3 FFC0, B0 FFEE, B1 FFBE, B2 FFBC,
 * B3 FFBA (datasheet interrupt vector table) */
static const unsigned eu_vec[EU_N] = {56, 51, 33, 32, 55, 31, 30, 29};
static const char *const eu_name[EU_N] = {"eUSCI_A0", "eUSCI_A1", "eUSCI_A2", "eUSCI_A3",
                                          "eUSCI_B0", "eUSCI_B1", "eUSCI_B2", "eUSCI_B3"};

static eu_state *es(twin_t *m) { return (eu_state *)periph_state(&m->eusci, sizeof(eu_state)); }
static int eu_is_b(unsigned i) { return i >= 4; }

/* sys.c gives SMCLK ticks per MCLK cycle as num/den from CSCTL3; without it SMCLK = MCLK. */
__attribute__((weak)) void sys_smclk_ratio(twin_t *m, uint32_t *num, uint32_t *den);

uint64_t periph_clk_to_mclk(twin_t *m, int which, uint64_t n)
{
    uint32_t num = 1, den = 1;
    if (which != 1) {
        twin_fault(m, "peripheral clocked from ACLK/UCLK is not modelled (PC 0x%04X)", PERIPH_PC(m));
        return 1;
    }
    if (sys_smclk_ratio)
        sys_smclk_ratio(m, &num, &den);
    if (!num || !den)
        return n;
    return (n * den + num - 1) / num; /* n SMCLK ticks = n * den / num MCLK cycles, rounded up */
}

static unsigned eu_src_rx(unsigned i)
{
    return eu_is_b(i) ? TWIN_DMA_SRC_UCB0RX0 + 8u * (i - 4u) : TWIN_DMA_SRC_UCA0RX + 2u * i;
}

static void eu_update_irq(twin_t *m, unsigned i)
{
    eu_inst *u = &es(m)->u[i];
    twin_irq(m, eu_vec[i], (u->ie & u->ifg & 0x0Fu) != 0);
}

static void eu_update_load(twin_t *m)
{
    eu_state *e = es(m);
    int on = 0;
    for (unsigned i = 0; i < EU_N; i++)
        on |= e->u[i].shifting | e->u[i].rx_active;
    twin_set_active(m, TWIN_LOAD_SPI, on);
}

/* Set IFG bits; rising edges of RX/TX are DMA triggers. */
static void eu_set_ifg(twin_t *m, unsigned i, uint16_t bits)
{
    eu_inst *u = &es(m)->u[i];
    uint16_t rising = bits & (uint16_t)~u->ifg;
    u->ifg |= bits;
    eu_update_irq(m, i);
    if (rising & UCRXIFG)
        dma_trigger(m, eu_src_rx(i));
    if (rising & UCTXIFG)
        dma_trigger(m, eu_src_rx(i) + 1u);
}

/* MCLK cycles to shift one byte at the current settings. */
static uint64_t eu_byte_cycles(twin_t *m, unsigned i)
{
    eu_inst *u = &es(m)->u[i];
    uint64_t brclk;
    if (u->mode == EU_SPI) {
        brclk = 8u * (uint64_t)(u->brw ? u->brw : 1u);
    } else {
        unsigned brs = u->mctlw >> 8, brf = (u->mctlw >> 4) & 0xFu;
        uint64_t per_bit = (u->mctlw & UCOS16) ? 16u * (uint64_t)u->brw + brf : u->brw;
        brclk = 0;
        for (unsigned b = 0; b < 10; b++)
            brclk += per_bit + ((brs >> (b % 8u)) & 1u);
    }
    return periph_clk_to_mclk(m, 1, brclk);
}

static void eu_start_shift(twin_t *m, unsigned i, uint8_t byte, uint64_t t)
{
    eu_inst *u = &es(m)->u[i];
    u->shift = byte;
    u->shifting = 1;
    u->shift_end = t + eu_byte_cycles(m, i);
    u->statw |= UCBUSY;
    twin_schedule(m, u->shift_end);
    eu_update_load(m);
}

/* One byte on the SPI bus: the external FRAM answers while its CS is low; otherwise MISO floats (FFh). */
static uint8_t eu_bus_exchange(twin_t *m, unsigned i, uint8_t mosi)
{
    eu_state *e = es(m);
    eu_inst *u = &e->u[i];
    if (!extfram_selected(m))
        return 0xFF; /* nothing else is on the bus: MISO floats */
    if (e->bus_master >= 0 && e->bus_master != (int)i) {
        twin_fault(m, "%s and %s both clock the external FRAM in one chip-select frame (PC 0x%04X)",
                   eu_name[e->bus_master], eu_name[i], PERIPH_PC(m));
        return 0xFF;
    }
    e->bus_master = (int)i;
    /* CY15B108QI: SPI modes 0 and 3, MSB first. MSP430 mode 0 = UCCKPH 1, UCCKPL 0; mode 3 = UCCKPH 0, UCCKPL 1. */
    int ckph = (u->ctlw0 & UCCKPH) != 0, ckpl = (u->ctlw0 & UCCKPL) != 0;
    if (ckph == ckpl || !(u->ctlw0 & UCMSB)) {
        twin_fault(m, "%s talks to the external FRAM in SPI mode %s (UCCKPH %d, UCCKPL %d, UCMSB %d): the CY15B108QI "
                   "needs mode 0 or 3, MSB first (PC 0x%04X)", eu_name[i], ckph == ckpl ? "1/2" : "0/3", ckph, ckpl,
                   (u->ctlw0 & UCMSB) != 0, PERIPH_PC(m));
        return 0xFF;
    }
    return extfram_xfer(m, mosi);
}

static void eu_shift_done(twin_t *m, unsigned i, uint64_t t)
{
    eu_inst *u = &es(m)->u[i];
    uint8_t byte = u->shift;
    uint16_t raise = 0;
    u->shifting = 0;
    if (u->mode == EU_SPI) {
        uint8_t miso = eu_bus_exchange(m, i, byte);
        if (u->ifg & UCRXIFG)
            u->statw |= UCOE;
        u->rxbuf = miso;
        raise |= UCRXIFG;
    } else {
        if (m->uart_tx_len >= sizeof m->uart_tx) {
            twin_fault(m, "UART TX log full (%u bytes not drained)", (unsigned)m->uart_tx_len);
            return;
        }
        m->uart_tx[m->uart_tx_len] = byte;
        m->uart_tx_cycle[m->uart_tx_len] = t;
        m->uart_tx_len++;
    }
    if (u->tx_full) {
        u->tx_full = 0;
        eu_start_shift(m, i, u->txbuf, t);
        raise |= UCTXIFG;
    } else {
        if (!u->rx_active)
            u->statw &= (uint16_t)~UCBUSY;
        if (u->mode == EU_UART)
            raise |= UCTXCPTIFG;
        eu_update_load(m);
    }
    if (raise & UCRXIFG)
        eu_set_ifg(m, i, UCRXIFG);
    if (raise & ~UCRXIFG)
        eu_set_ifg(m, i, raise & (uint16_t)~UCRXIFG);
}

static void eu_rx_maybe_start(twin_t *m, unsigned i, uint64_t t)
{
    eu_inst *u = &es(m)->u[i];
    if (u->mode != EU_UART || u->rx_active || m->uart_rx_pos >= m->uart_rx_len)
        return;
    u->rx_active = 1;
    u->rx_end = t + eu_byte_cycles(m, i);
    u->statw |= UCBUSY;
    twin_schedule(m, u->rx_end);
    eu_update_load(m);
}

static void eu_rx_done(twin_t *m, unsigned i, uint64_t t)
{
    eu_inst *u = &es(m)->u[i];
    u->rx_active = 0;
    if (u->ifg & UCRXIFG)
        u->statw |= UCOE;
    u->rxbuf = m->uart_rx[m->uart_rx_pos++];
    if (!u->shifting)
        u->statw &= (uint16_t)~UCBUSY;
    eu_update_load(m);
    eu_set_ifg(m, i, UCRXIFG);
    eu_rx_maybe_start(m, i, t);
}

void eusci_advance(twin_t *m)
{
    eu_state *e = es(m);
    if (e->in_advance)
        return;
    e->in_advance = 1;
    for (;;) {
        uint64_t best = UINT64_MAX;
        unsigned bi = 0;
        int is_rx = 0;
        for (unsigned i = 0; i < EU_N; i++) {
            eu_inst *u = &e->u[i];
            if (u->shifting && u->shift_end < best) { best = u->shift_end; bi = i; is_rx = 0; }
            if (u->rx_active && u->rx_end < best) { best = u->rx_end; bi = i; is_rx = 1; }
        }
        if (best > m->cycle || m->stop == TWIN_STOP_ERROR)
            break;
        e->now = best;
        if (is_rx)
            eu_rx_done(m, bi, best);
        else
            eu_shift_done(m, bi, best);
    }
    e->now = m->cycle;
    eu_rx_maybe_start(m, 0, e->now);
    for (unsigned i = 0; i < EU_N; i++) {
        if (e->u[i].shifting) twin_schedule(m, e->u[i].shift_end);
        if (e->u[i].rx_active) twin_schedule(m, e->u[i].rx_end);
    }
    e->in_advance = 0;
}

/* Bring the module up to the current cycle before a register access (not when re-entered from our own event). */
static uint64_t eu_sync(twin_t *m)
{
    eu_state *e = es(m);
    if (!e->in_advance)
        eusci_advance(m);
    return e->now;
}

static void eu_enter_reset(twin_t *m, unsigned i)
{
    eu_inst *u = &es(m)->u[i];
    u->mode = EU_OFF;
    u->shifting = u->rx_active = u->tx_full = 0;
    u->statw &= (uint16_t)~(UCBUSY | UCOE);
    u->ifg = UCTXIFG; /* UG: UCSWRST = 1 clears UCRXIFG and the error flags and sets UCTXIFG */
    eu_update_irq(m, i);
    eu_update_load(m);
}

/* The module leaves reset: check that its configuration is one the twin models. */
static void eu_leave_reset(twin_t *m, unsigned i)
{
    eu_inst *u = &es(m)->u[i];
    uint16_t c = u->ctlw0;
    unsigned ssel = (c & UCSSEL) >> 6;
    const char *bad = NULL;
    if (!eu_is_b(i) && !(c & UCSYNC)) {
        if (i != 0) bad = "UART on a module the board does not connect";
        else if (c & (UCPEN | UC7BIT | UCSPB)) bad = "UART with parity, 7-bit data or 2 stop bits";
        else if (c & UCMODE) bad = "UART idle-line/address-bit/auto-baud mode";
        else if (u->abctl & UCABDEN) bad = "UART automatic baud-rate detection";
        else if (u->irctl & UCIREN) bad = "IrDA encoding";
        else if (ssel < 2) bad = "UART clocked from UCLK or ACLK";
        else if (!u->brw) bad = "UART with UCBRW = 0";
        u->mode = EU_UART;
    } else {
        if (eu_is_b(i) && (c & UCMODE) == UCMODE) bad = "I2C mode";
        else if (!(c & UCMST)) bad = "SPI slave mode";
        else if (c & UCMODE) bad = "4-pin SPI (STE) mode";
        else if (c & UC7BIT) bad = "7-bit SPI characters";
        else if (ssel < 2) bad = "SPI clocked from ACLK or UCLK";
        u->mode = EU_SPI;
    }
    if (bad) {
        u->mode = EU_OFF;
        twin_fault(m, "%s: %s is not modelled (UCxCTLW0 = 0x%04X, PC 0x%04X)", eu_name[i], bad, c, PERIPH_PC(m));
    }
}

static void eu_write_txbuf(twin_t *m, unsigned i, uint8_t v, uint64_t now)
{
    eu_inst *u = &es(m)->u[i];
    if (u->mode == EU_OFF) {
        /* silicon ignores it and the firmware would then wait forever for UCRXIFG/UCTXCPTIFG */
        twin_fault(m, "%s: TXBUF written while the module is held in reset (UCSWRST = 1; PC 0x%04X)", eu_name[i],
                   PERIPH_PC(m));
        return;
    }
    u->ifg &= (uint16_t)~(UCTXIFG | UCTXCPTIFG);
    if (!u->shifting) {
        eu_start_shift(m, i, v, now);
        eu_set_ifg(m, i, UCTXIFG);
    } else if (!u->tx_full) {
        u->tx_full = 1;
        u->txbuf = v;
        eu_update_irq(m, i);
    } else {
        twin_fault(m, "%s: TXBUF written while full (UCTXIFG was clear): the byte 0x%02X would be lost (PC 0x%04X)",
                   eu_name[i], u->txbuf, PERIPH_PC(m));
    }
}

static uint16_t eu_iv(twin_t *m, unsigned i)
{
    eu_inst *u = &es(m)->u[i];
    uint16_t p = u->ie & u->ifg;
    static const uint16_t bits[4] = {UCRXIFG, UCTXIFG, UCSTTIFG, UCTXCPTIFG};
    unsigned nb = u->mode == EU_UART ? 4u : 2u;
    for (unsigned k = 0; k < nb; k++) {
        if (p & bits[k]) {
            u->ifg &= (uint16_t)~bits[k];
            if (bits[k] == UCRXIFG)
                u->statw &= (uint16_t)~UCOE;
            eu_update_irq(m, i);
            return (uint16_t)(2u * (k + 1u));
        }
    }
    return 0;
}

static unsigned eu_index(uint32_t addr)
{
    for (unsigned i = EU_N; i-- > 0;)
        if (addr >= eu_base[i])
            return i;
    return 0;
}

/* Map an offset of a B module onto the A layout for the registers they share (STATW and IE/IFG/IV move). */
static uint16_t eu_read(twin_t *m, uint32_t addr, int word)
{
    unsigned i = eu_index(addr);
    eu_inst *u = &es(m)->u[i];
    unsigned off = (addr - eu_base[i]) & ~1u;
    uint16_t v;
    eu_sync(m);
    if (eu_is_b(i)) {
        switch (off) {
        case 0x00: v = u->ctlw0; break;
        case 0x02: v = u->ctlw1; break;
        case 0x06: v = u->brw; break;
        case 0x08: v = u->statw; break;
        case 0x0A: v = u->tbcnt; break;
        case 0x0C: v = u->rxbuf; u->ifg &= (uint16_t)~UCRXIFG; u->statw &= (uint16_t)~UCOE; eu_update_irq(m, i); break;
        case 0x0E: v = u->txbuf; break;
        case 0x14: case 0x16: case 0x18: case 0x1A: v = u->i2coa[(off - 0x14) / 2]; break;
        case 0x1C: v = 0; break;
        case 0x1E: v = u->addmask; break;
        case 0x20: v = u->i2csa; break;
        case 0x2A: v = u->ie; break;
        case 0x2C: v = u->ifg; break;
        case 0x2E: v = eu_iv(m, i); break;
        default:
            twin_fault(m, "%s: read of unmodelled register 0x%04X (PC 0x%04X)", eu_name[i], (unsigned)addr, PERIPH_PC(m));
            return 0;
        }
    } else {
        switch (off) {
        case 0x00: v = u->ctlw0; break;
        case 0x02: v = u->ctlw1; break;
        case 0x06: v = u->brw; break;
        case 0x08: v = u->mctlw; break;
        case 0x0A: v = u->statw; break;
        case 0x0C: v = u->rxbuf; u->ifg &= (uint16_t)~UCRXIFG; u->statw &= (uint16_t)~UCOE; eu_update_irq(m, i); break;
        case 0x0E: v = u->txbuf; break;
        case 0x10: v = u->abctl; break;
        case 0x12: v = u->irctl; break;
        case 0x1A: v = u->ie; break;
        case 0x1C: v = u->ifg; break;
        case 0x1E: v = eu_iv(m, i); break;
        default:
            twin_fault(m, "%s: read of unmodelled register 0x%04X (PC 0x%04X)", eu_name[i], (unsigned)addr, PERIPH_PC(m));
            return 0;
        }
    }
    return periph_pick_byte(v, addr, word);
}

static void eu_write(twin_t *m, uint32_t addr, uint16_t value, int word)
{
    unsigned i = eu_index(addr);
    eu_inst *u = &es(m)->u[i];
    unsigned off = (addr - eu_base[i]) & ~1u;
    uint64_t now = eu_sync(m);
    int b = eu_is_b(i);
    uint16_t *reg = NULL;
    /* registers without side effects */
    if (off == 0x02) reg = &u->ctlw1;
    else if (off == 0x06) reg = &u->brw;
    else if (!b && off == 0x08) reg = &u->mctlw;
    else if (b && off == 0x0A) reg = &u->tbcnt;
    else if (!b && off == 0x10) reg = &u->abctl;
    else if (!b && off == 0x12) reg = &u->irctl;
    else if (b && off >= 0x14 && off <= 0x1A) reg = &u->i2coa[(off - 0x14) / 2];
    else if (b && off == 0x1E) reg = &u->addmask;
    else if (b && off == 0x20) reg = &u->i2csa;
    if (reg) {
        *reg = word ? value : periph_merge_byte(*reg, addr, value);
        return;
    }
    if (off == 0x00) {
        uint16_t old = u->ctlw0, nv = word ? value : periph_merge_byte(old, addr, value);
        if (b)
            nv |= UCSYNC; /* eUSCI_B is always synchronous */
        u->ctlw0 = nv;
        if (!(old & UCSWRST) && (nv & UCSWRST))
            eu_enter_reset(m, i);
        else if ((old & UCSWRST) && !(nv & UCSWRST))
            eu_leave_reset(m, i);
        else if (!(nv & UCSWRST) && ((old ^ nv) & ~UCSWRST))
            twin_fault(m, "%s: UCxCTLW0 changed (0x%04X -> 0x%04X) without UCSWRST set (PC 0x%04X)", eu_name[i], old, nv,
                       PERIPH_PC(m));
        return;
    }
    if ((b && off == 0x08) || (!b && off == 0x0A)) { /* STATW: only UCLISTEN (bit 7) is writable */
        uint16_t nv = word ? value : periph_merge_byte(u->statw, addr, value);
        u->statw = (uint16_t)((u->statw & ~0x0080u) | (nv & 0x0080u));
        if (nv & 0x0080u)
            twin_fault(m, "%s: loopback (UCLISTEN) is not modelled (PC 0x%04X)", eu_name[i], PERIPH_PC(m));
        return;
    }
    if (off == 0x0E) {
        if (!word && (addr & 1u))
            return; /* high byte of TXBUF: unused */
        eu_write_txbuf(m, i, (uint8_t)value, now);
        return;
    }
    if ((b && off == 0x2A) || (!b && off == 0x1A)) {
        u->ie = word ? value : periph_merge_byte(u->ie, addr, value);
        eu_update_irq(m, i);
        return;
    }
    if ((b && off == 0x2C) || (!b && off == 0x1C)) {
        uint16_t nv = word ? value : periph_merge_byte(u->ifg, addr, value);
        uint16_t rising = nv & (uint16_t)~u->ifg;
        u->ifg &= nv; /* clears first, then the software-set bits rise (and trigger DMA) */
        eu_update_irq(m, i);
        if (rising)
            eu_set_ifg(m, i, rising);
        return;
    }
    if (off == 0x0C || (b && (off == 0x1C || off == 0x2E)) || (!b && off == 0x1E))
        return; /* read-only registers (RXBUF, ADDRX, IV): writes ignored */
    twin_fault(m, "%s: write 0x%04X to unmodelled register 0x%04X (PC 0x%04X)", eu_name[i], value, (unsigned)addr,
               PERIPH_PC(m));
}

void eusci_reset(twin_t *m)
{
    eu_state *e = es(m);
    memset(e, 0, sizeof *e);
    e->bus_master = -1;
    for (unsigned i = 0; i < EU_N; i++) {
        eu_inst *u = &e->u[i];
        /* UG reset values: UCAxCTLW0 0001h, UCBxCTLW0 01C1h, CTLW1 0003h, IFG 0002h (UCTXIFG) */
        u->ctlw0 = eu_is_b(i) ? 0x01C1u : 0x0001u;
        u->ctlw1 = 0x0003u;
        u->ifg = UCTXIFG;
    }
    twin_set_active(m, TWIN_LOAD_SPI, 0);
}


/* The chip select is about to change (extfram_select): finish the bytes that completed before the edge. */
void eusci_cs_edge(twin_t *m)
{
    eu_state *e = es(m);
    eu_sync(m);
    e->bus_master = -1;
}

const twin_region eusci_regions[] = {
    {0x05C0, 0x05DF, eu_read, eu_write, "eUSCI_A0"}, {0x05E0, 0x05FF, eu_read, eu_write, "eUSCI_A1"},
    {0x0600, 0x061F, eu_read, eu_write, "eUSCI_A2"}, {0x0620, 0x063F, eu_read, eu_write, "eUSCI_A3"},
    {0x0640, 0x066F, eu_read, eu_write, "eUSCI_B0"}, {0x0680, 0x06AF, eu_read, eu_write, "eUSCI_B1"},
    {0x06C0, 0x06EF, eu_read, eu_write, "eUSCI_B2"}, {0x0700, 0x072F, eu_read, eu_write, "eUSCI_B3"},
};
const unsigned eusci_nregions = sizeof eusci_regions / sizeof eusci_regions[0];
