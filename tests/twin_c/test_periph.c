/*
 * test_periph.c - drives the twin's peripheral models (hil/twin/csrc: lea.c, dma.c, mpy32.c, eusci.c,
 * extfram.c) the way the firmware does (the register sequences of docs/fr5994-port.md), on a minimal stand-in
 * for the core: flat memory, the peripheral register windows, a P5 port that calls extfram_select on the P5.3
 * edge (as sys.c does), LEA RAM locked while the LEA load is active (as bus.c does), and a clock
 * that jumps to the next peripheral event. Each scenario prints one JSON object; tests/test_twin_periph.py
 * holds the expectations (hand computations, NumPy, the user's guide's worked examples).
 *
 * usage: test_periph SCENARIO [args...]   (see main)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twin.h"
#include "periph.h"

/* ------------------------------------------------------------------ minimal core */
static uint64_t total_stall;
static uint8_t p5out, p5dir, p5cs = 1;

void twin_fault(twin_t *m, const char *fmt, ...)
{
    if (m->stop == TWIN_STOP_ERROR)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof m->error, fmt, ap);
    va_end(ap);
    m->stop = TWIN_STOP_ERROR;
}

void twin_irq(twin_t *m, unsigned v, int level) { if (v < TWIN_NVEC) m->irq_level[v] = (uint8_t)(level != 0); }
void twin_set_active(twin_t *m, enum twin_load l, int on) { m->active[l] = (uint8_t)(on != 0); }
void twin_schedule(twin_t *m, uint64_t at) { if (at < m->next_event) m->next_event = at; }

static void p5_update(twin_t *m)
{
    m->pout[4] = p5out;
    m->pdir[4] = p5dir;
    uint8_t lvl = (p5dir & 8) ? ((p5out >> 3) & 1) : 1;
    if (lvl != p5cs) {
        p5cs = lvl;
        extfram_select(m, lvl == 0);
    }
}

static const twin_region *find_region(uint32_t a)
{
    static const struct { const twin_region *r; const unsigned *n; } mods[] = {
        {mpy_regions, &mpy_nregions}, {dma_regions, &dma_nregions}, {eusci_regions, &eusci_nregions},
        {lea_regions, &lea_nregions}};
    for (unsigned k = 0; k < 4; k++)
        for (unsigned i = 0; i < *mods[k].n; i++)
            if (a >= mods[k].r[i].lo && a <= mods[k].r[i].hi)
                return &mods[k].r[i];
    return NULL;
}

uint16_t twin_bus_read(twin_t *m, uint32_t a, int word)
{
    if (a < 0x1000) {
        if (a == 0x0242) return p5out;
        if (a == 0x0244) return p5dir;
        const twin_region *r = find_region(a);
        if (!r) { twin_fault(m, "stub bus: no register at 0x%04X", (unsigned)a); return 0; }
        return r->read(m, a, word);
    }
    if (a >= 0x2C00 && a < 0x3C00 && m->active[TWIN_LOAD_LEA]) {
        twin_fault(m, "read of LEA RAM 0x%04x while LEA is busy", (unsigned)a);
        return 0;
    }
    return word ? (uint16_t)(m->mem[a & ~1u] | (m->mem[(a & ~1u) + 1] << 8)) : m->mem[a];
}

void twin_bus_write(twin_t *m, uint32_t a, uint16_t v, int word)
{
    if (a < 0x1000) {
        if (a == 0x0242) { p5out = (uint8_t)v; p5_update(m); return; }
        if (a == 0x0244) { p5dir = (uint8_t)v; p5_update(m); return; }
        const twin_region *r = find_region(a);
        if (!r) { twin_fault(m, "stub bus: no register at 0x%04X", (unsigned)a); return; }
        r->write(m, a, v, word);
        return;
    }
    if (a >= 0x2C00 && a < 0x3C00 && m->active[TWIN_LOAD_LEA]) {
        twin_fault(m, "write of LEA RAM 0x%04x while LEA is busy", (unsigned)a);
        return;
    }
    if (word) { m->mem[a & ~1u] = (uint8_t)v; m->mem[(a & ~1u) + 1] = (uint8_t)(v >> 8); }
    else m->mem[a] = (uint8_t)v;
}

static void advance_all(twin_t *m)
{
    m->next_event = UINT64_MAX;
    mpy_advance(m);
    dma_advance(m);
    eusci_advance(m);
    lea_advance(m);
}

/* Let the peripherals run until `target` (jumping from event to event). */
static void run_to(twin_t *m, uint64_t target)
{
    for (;;) {
        advance_all(m);
        if (m->cycle >= target || m->stop == TWIN_STOP_ERROR)
            return;
        uint64_t nx = m->next_event <= m->cycle ? m->cycle + 1 : m->next_event;
        m->cycle = nx < target ? nx : target;
    }
}

/* The CPU spends n cycles (plus whatever DMA stole). */
static void tick(twin_t *m, uint64_t n)
{
    total_stall += m->stall_cycles;
    uint64_t t = m->cycle + n + m->stall_cycles;
    m->stall_cycles = 0;
    run_to(m, t);
    if (m->cycle > 200000000u)
        twin_fault(m, "test: no progress after 2e8 cycles");
}

static void power_on_peripherals(twin_t *m)
{
    uint8_t had_low = p5cs == 0;
    p5out = p5dir = 0;
    p5cs = 1;
    if (had_low) extfram_select(m, 0); /* as sys_reset does */
    mpy_reset(m);
    dma_reset(m);
    eusci_reset(m);
    lea_reset(m);
    extfram_reset(m);
}

static twin_t *machine(uint32_t lea_fixed, double lea_per_elem, uint32_t dma_cycles)
{
    twin_t *m = calloc(1, sizeof *m);
    m->mem = calloc(1, TWIN_MEM_SIZE);
    m->extfram = calloc(1, TWIN_EXTFRAM_SIZE);
    m->cfg.abi_version = TWIN_ABI_VERSION;
    m->cfg.mclk_hz = 16e6;
    m->cfg.lea_mac_cycles_fixed = lea_fixed;
    m->cfg.lea_mac_cycles_per_elem = lea_per_elem;
    m->cfg.dma_cycles_per_transfer = dma_cycles;
    m->next_event = UINT64_MAX;
    power_on_peripherals(m);
    return m;
}

/* CPU accesses as firmware instructions: the access, then the instruction's cycles. */
static uint16_t R(twin_t *m, uint32_t a) { uint16_t v = twin_bus_read(m, a, 1); tick(m, 3); return v; }
static void W(twin_t *m, uint32_t a, uint16_t v) { twin_bus_write(m, a, v, 1); tick(m, 4); }
static void WB(twin_t *m, uint32_t a, uint8_t v) { twin_bus_write(m, a, v, 0); tick(m, 4); }
static uint16_t PEEK(twin_t *m, uint32_t a) { return twin_bus_read(m, a, 1); }

static void finish(twin_t *m)
{
    free(m->mem);
    free(m->extfram);
    free(m->lea); free(m->dma); free(m->mpy); free(m->eusci); free(m->xfram);
    free(m);
}

static void print_error(twin_t *m)
{
    printf("\"stop\": %d, \"error\": \"", m->stop);
    for (const char *p = m->error; *p; p++) {
        if (*p == '"' || *p == '\\') putchar('\\');
        putchar(*p);
    }
    printf("\"");
}

/* ------------------------------------------------------------------ registers */
#define LEACNF0 0x0A84
#define LEACNF1 0x0A88
#define LEACNF2 0x0A8C
#define LEAMB 0x0A90
#define LEAMT 0x0A94
#define LEACMCTL 0x0A9C
#define LEAPMCTL 0x0AC0
#define LEAPMDST 0x0AC4
#define LEAPMS1 0x0AC8
#define LEAPMS0 0x0ACC
#define LEAPMCB 0x0AD0
#define LEAIE 0x0AF4
#define LEAIFG 0x0AF8
#define LEAIV 0x0AFC
#define LEA_VECTOR 26
#define DMA_VECTOR 50

#define DMACTL0 0x0500
#define DMACTL1 0x0502
#define DMACTL2 0x0504
#define DMAIV 0x050E
#define DMAxCTL(n) (0x0510 + 0x10 * (n))
#define DMAxSA(n) (0x0512 + 0x10 * (n))
#define DMAxSAH(n) (0x0514 + 0x10 * (n))
#define DMAxDA(n) (0x0516 + 0x10 * (n))
#define DMAxDAH(n) (0x0518 + 0x10 * (n))
#define DMAxSZ(n) (0x051A + 0x10 * (n))

/* eUSCI: A layout (IFG at +0x1C, STATW +0x0A) and B layout (IFG +0x2C, STATW +0x08) */
typedef struct { uint32_t base, ifg, statw; } spi_t;
static const spi_t UCA3 = {0x0620, 0x063C, 0x062A};
static const spi_t UCB1 = {0x0680, 0x06AC, 0x0688};
#define CTLW0(s) ((s).base)
#define BRW(s) ((s).base + 6)
#define RXBUF(s) ((s).base + 0xC)
#define TXBUF(s) ((s).base + 0xE)

/* Drive P5.3 (the external FRAM's chip select, active low) to `level`. */
static void cs(twin_t *m, int level)
{
    WB(m, 0x0244, p5dir | 8);
    WB(m, 0x0242, level ? (p5out | 8) : (p5out & ~8));
}

static void spi_init(twin_t *m, spi_t s, uint16_t brw)
{
    W(m, CTLW0(s), 0x0001);                       /* UCSWRST */
    W(m, CTLW0(s), R(m, CTLW0(s)) | 0xA980);      /* UCCKPH | UCMSB | UCMST | UCSYNC | UCSSEL__SMCLK */
    W(m, BRW(s), brw);
    W(m, CTLW0(s), R(m, CTLW0(s)) & ~1u);         /* release */
    WB(m, 0x0242, p5out | 8);                     /* CS high, then an output */
    WB(m, 0x0244, p5dir | 8);
}

static uint8_t spi_xfer(twin_t *m, spi_t s, uint8_t b)
{
    while (!(R(m, s.ifg) & 2) && !m->stop) {}
    W(m, TXBUF(s), b);
    while (!(R(m, s.ifg) & 1) && !m->stop) {}
    return (uint8_t)R(m, RXBUF(s));
}

static void spi_cmd_addr(twin_t *m, spi_t s, uint8_t op, uint32_t addr)
{
    spi_xfer(m, s, op);
    spi_xfer(m, s, (uint8_t)(addr >> 16));
    spi_xfer(m, s, (uint8_t)(addr >> 8));
    spi_xfer(m, s, (uint8_t)addr);
}

static void wait_not_busy(twin_t *m, spi_t s) { while ((R(m, s.statw) & 1) && !m->stop) {} }

static uint8_t rdsr(twin_t *m, spi_t s)
{
    cs(m, 0);
    spi_xfer(m, s, 0x05);
    uint8_t v = spi_xfer(m, s, 0xFF);
    cs(m, 1);
    return v;
}

static void wren(twin_t *m, spi_t s)
{
    cs(m, 0);
    spi_xfer(m, s, 0x06);
    wait_not_busy(m, s);
    cs(m, 1);
}

static uint8_t pattern(uint32_t i) { return (uint8_t)((i * 7u + 3u) ^ (i >> 8)); }

/* ------------------------------------------------------------------ LEA */
static void lea_init(twin_t *m)
{
    W(m, LEACNF0, 0x0500);
    W(m, LEACNF1, 0);
    W(m, LEACNF2, (uint16_t)(R(m, LEAMT) >> 2));
    W(m, LEAPMS1, 0);
    W(m, LEAPMS0, 0);
    W(m, LEAPMDST, 0);
    W(m, LEAPMCTL, R(m, LEAPMCTL) | 1);
    W(m, LEAIE, R(m, LEAIE) | 0x10);
    W(m, LEACMCTL, 0);
}

/* DSPLib-style MAC call; returns the cycles from the LEAPMCB write to LEAPMCMDIFG. */
static uint64_t lea_mac(twin_t *m, uint32_t a, uint32_t b, uint32_t out, uint16_t n, uint16_t cmd, int *busy_seen,
                        int *active_during)
{
    uint16_t cnf2 = (uint16_t)(R(m, LEACNF2) - 2);
    W(m, LEACNF2, cnf2);
    uint32_t blk = (uint32_t)cnf2 << 2;
    W(m, blk, n);
    W(m, blk + 2, (uint16_t)(b >> 2));
    W(m, blk + 4, (uint16_t)(out >> 2));
    W(m, blk + 6, 0);
    W(m, LEAPMS0, (uint16_t)(a >> 2));
    W(m, LEAPMS1, (uint16_t)(blk >> 2));
    uint64_t t0 = m->cycle;
    twin_bus_write(m, LEAPMCB, cmd, 1);
    if (m->stop) return 0;
    *busy_seen = PEEK(m, LEACNF1) & 1;
    *active_during = m->active[TWIN_LOAD_LEA];
    while (!(PEEK(m, LEAIFG) & 0x10) && !m->stop)
        run_to(m, m->cycle + 1);
    return m->cycle - t0;
}

static int scen_lea(int argc, char **argv)
{
    if (argc < 4) return 2;
    twin_t *m = machine((uint32_t)atoi(argv[2]), atof(argv[3]), 2);
    int use_iv = argc > 4 && !strcmp(argv[4], "iv");
    unsigned n;
    if (scanf("%u", &n) != 1 || n < 2 || n > 900) return 2;
    uint32_t a = 0x2C00, b = a + ((2 * n + 3) & ~3u), out = b + ((2 * n + 3) & ~3u);
    for (unsigned k = 0; k < 2 * n; k++) {
        int v;
        if (scanf("%d", &v) != 1) return 2;
        uint32_t at = (k < n ? a + 2 * k : b + 2 * (k - n));
        m->mem[at] = (uint8_t)v;
        m->mem[at + 1] = (uint8_t)((uint16_t)v >> 8);
    }
    lea_init(m);
    uint16_t mb = PEEK(m, LEAMB), mt = PEEK(m, LEAMT), cnf2_before = PEEK(m, LEACNF2);
    int busy = 0, act = 0;
    uint64_t t = lea_mac(m, a, b, out, (uint16_t)n, 0x0056, &busy, &act);
    int irq_done = m->irq_level[LEA_VECTOR];
    uint16_t busy_after = PEEK(m, LEACNF1) & 1, iv = 0;
    if (use_iv) iv = R(m, LEAIV);
    else W(m, LEAIFG, 0x10);
    uint16_t ifg_after = PEEK(m, LEAIFG);
    W(m, LEACNF2, (uint16_t)(R(m, LEACNF2) + 2));
    int32_t res = (int32_t)(m->mem[out] | (m->mem[out + 1] << 8) | (m->mem[out + 2] << 16) | ((uint32_t)m->mem[out + 3] << 24));
    printf("{\"result\": %d, \"cycles\": %llu, \"busy_seen\": %d, \"active_during\": %d, \"active_after\": %d, "
           "\"busy_after\": %d, \"irq_at_done\": %d, \"irq_after_clear\": %d, \"ifg_after_clear\": %u, \"iv\": %u, "
           "\"leamb\": %u, \"leamt\": %u, \"cnf2_init\": %u, \"cnf2_after\": %u, ",
           res, (unsigned long long)t, busy, act, m->active[TWIN_LOAD_LEA], busy_after, irq_done,
           m->irq_level[LEA_VECTOR], ifg_after, iv, mb, mt, cnf2_before, PEEK(m, LEACNF2));
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

static int scen_lea_err(int argc, char **argv)
{
    if (argc < 3) return 2;
    twin_t *m = machine(100, 1.5, 2);
    const char *kind = argv[2];
    lea_init(m);
    int busy = 0, act = 0;
    uint32_t a = 0x2C00, b = 0x2C40, out = 0x2C80;
    if (!strcmp(kind, "oor")) lea_mac(m, 0x2000, b, out, 8, 0x56, &busy, &act);
    else if (!strcmp(kind, "oor_end")) lea_mac(m, 0x3BF0, b, out, 16, 0x56, &busy, &act);
    else if (!strcmp(kind, "odd")) lea_mac(m, a, b, out, 3, 0x56, &busy, &act);
    else if (!strcmp(kind, "cmd")) lea_mac(m, a, b, out, 8, 0x0102, &busy, &act);
    else if (!strcmp(kind, "ram_busy")) {
        /* the CPU touches LEA RAM while the MAC runs: the bus (bus.c) stops it, keyed on the LEA load */
        uint16_t cnf2 = (uint16_t)(R(m, LEACNF2) - 2);
        W(m, LEACNF2, cnf2);
        uint32_t blk = (uint32_t)cnf2 << 2;
        W(m, blk, 8); W(m, blk + 2, (uint16_t)(b >> 2)); W(m, blk + 4, (uint16_t)(out >> 2)); W(m, blk + 6, 0);
        W(m, LEAPMS0, (uint16_t)(a >> 2)); W(m, LEAPMS1, (uint16_t)(blk >> 2));
        W(m, LEAPMCB, 0x56);
        R(m, 0x2C00);
    } else if (!strcmp(kind, "twice")) {
        uint16_t cnf2 = (uint16_t)(R(m, LEACNF2) - 2);
        W(m, LEACNF2, cnf2);
        uint32_t blk = (uint32_t)cnf2 << 2;
        W(m, blk, 8); W(m, blk + 2, (uint16_t)(b >> 2)); W(m, blk + 4, (uint16_t)(out >> 2)); W(m, blk + 6, 0);
        W(m, LEAPMS0, (uint16_t)(a >> 2)); W(m, LEAPMS1, (uint16_t)(blk >> 2));
        W(m, LEAPMCB, 0x56);
        W(m, LEAPMCB, 0x56);
    } else return 2;
    printf("{\"oorifg\": %d, ", (m->lea ? (int)(PEEK(m, LEAIFG) & 4) : 0) != 0);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* ------------------------------------------------------------------ UART */
#define UCA0CTLW0 0x05C0
#define UCA0BRW 0x05C6
#define UCA0MCTLW 0x05C8
#define UCA0STATW 0x05CA
#define UCA0RXBUF 0x05CC
#define UCA0TXBUF 0x05CE
#define UCA0IFG 0x05DC

static void uart_init(twin_t *m)
{
    W(m, UCA0CTLW0, 0x0081);
    W(m, UCA0BRW, 8);
    W(m, UCA0MCTLW, 0xF7A1);
    W(m, UCA0CTLW0, R(m, UCA0CTLW0) & ~1u);
}

static int scen_uart_tx(void)
{
    twin_t *m = machine(100, 1.5, 2);
    uart_init(m);
    uint64_t tw[3];
    int ifg_after[3];
    for (int k = 0; k < 3; k++) {
        while (!(R(m, UCA0IFG) & 2)) {}
        tw[k] = m->cycle;
        twin_bus_write(m, UCA0TXBUF, (uint16_t)(0x41 + k), 1);
        ifg_after[k] = PEEK(m, UCA0IFG) & 2;
        tick(m, 4);
    }
    int busy_mid = PEEK(m, UCA0STATW) & 1;
    run_to(m, m->cycle + 10000);
    printf("{\"t_write\": [%llu, %llu, %llu], \"txifg_after_write\": [%d, %d, %d], \"busy_mid\": %d, "
           "\"busy_end\": %d, \"bytes\": [%u, %u, %u], \"stamps\": [%llu, %llu, %llu], \"n\": %u, ",
           (unsigned long long)tw[0], (unsigned long long)tw[1], (unsigned long long)tw[2], ifg_after[0] != 0,
           ifg_after[1] != 0, ifg_after[2] != 0, busy_mid, PEEK(m, UCA0STATW) & 1, m->uart_tx[0], m->uart_tx[1],
           m->uart_tx[2], (unsigned long long)m->uart_tx_cycle[0], (unsigned long long)m->uart_tx_cycle[1],
           (unsigned long long)m->uart_tx_cycle[2], m->uart_tx_len);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

static int scen_uart_rx(void)
{
    twin_t *m = machine(100, 1.5, 2);
    memcpy(m->uart_rx, "xyz", 3);
    m->uart_rx_len = 3;
    uart_init(m);
    uint64_t t_release = m->cycle;
    while (!(R(m, UCA0IFG) & 1)) {}
    uint64_t t_first = m->cycle;
    uint8_t b0 = (uint8_t)R(m, UCA0RXBUF);
    tick(m, 4000); /* the next two bytes arrive while nobody reads: overrun */
    int oe = (PEEK(m, UCA0STATW) & 0x20) != 0;
    uint8_t b1 = (uint8_t)R(m, UCA0RXBUF);
    int oe_after = (PEEK(m, UCA0STATW) & 0x20) != 0;
    printf("{\"b0\": %u, \"b1\": %u, \"overrun\": %d, \"overrun_after_read\": %d, \"first_after\": %llu, ", b0, b1,
           oe, oe_after, (unsigned long long)(t_first - t_release));
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* ------------------------------------------------------------------ SPI + DMA + external FRAM */
static int scen_spi_read_dma(int argc, char **argv)
{
    if (argc < 5) return 2;
    unsigned n = (unsigned)atoi(argv[2]), brw = (unsigned)atoi(argv[4]);
    uint32_t addr = (uint32_t)strtoul(argv[3], NULL, 0);
    twin_t *m = machine(100, 1.5, 2);
    for (uint32_t i = 0; i < TWIN_EXTFRAM_SIZE; i++) m->extfram[i] = pattern(i);
    m->mem[0x2B00] = 0xFF;
    spi_init(m, UCA3, (uint16_t)brw);
    cs(m, 0);
    spi_cmd_addr(m, UCA3, 0x03, addr);
    /* TiNAS layout: ch3 = TX (trigger 17, UCA3TXIFG on channels 3-5), ch4 = RX (trigger 16, UCA3RXIFG) */
    W(m, DMACTL1, 17u << 8);
    W(m, DMACTL2, 16u);
    W(m, DMAxCTL(4), 0x0CC0); /* single, dst increment, byte/byte */
    W(m, DMAxSA(4), (uint16_t)RXBUF(UCA3)); W(m, DMAxSAH(4), 0);
    W(m, DMAxDA(4), 0x1C00); W(m, DMAxDAH(4), 0);
    W(m, DMAxSZ(4), (uint16_t)n);
    W(m, DMAxCTL(4), R(m, DMAxCTL(4)) | 0x10);
    W(m, DMAxCTL(3), 0x00C0); /* single, fixed/fixed, byte/byte */
    W(m, DMAxSA(3), 0x2B00); W(m, DMAxSAH(3), 0);
    W(m, DMAxDA(3), (uint16_t)TXBUF(UCA3)); W(m, DMAxDAH(3), 0);
    W(m, DMAxSZ(3), (uint16_t)n);
    W(m, DMAxCTL(3), R(m, DMAxCTL(3)) | 0x10);
    tick(m, 100);
    int started_without_edge = (PEEK(m, DMAxSZ(3)) != n);
    W(m, UCA3.ifg, R(m, UCA3.ifg) & ~2u);
    uint64_t stall0 = total_stall + m->stall_cycles;
    uint64_t t_edge = m->cycle;
    twin_bus_write(m, UCA3.ifg, PEEK(m, UCA3.ifg) | 2u, 1); /* rising UCTXIFG: the DMA stream starts */
    while (!(PEEK(m, DMAxCTL(4)) & 8) && !m->stop) run_to(m, m->cycle + 1);
    uint64_t t_done = m->cycle;
    uint64_t stall = total_stall + m->stall_cycles - stall0;
    int match = 1;
    for (uint32_t i = 0; i < n; i++) match &= m->mem[0x1C00 + i] == m->extfram[(addr + i) & (TWIN_EXTFRAM_SIZE - 1)];
    uint16_t ctl4 = PEEK(m, DMAxCTL(4)), sz4 = PEEK(m, DMAxSZ(4)), sa4 = PEEK(m, DMAxSA(4)), da4 = PEEK(m, DMAxDA(4)),
             ctl3 = PEEK(m, DMAxCTL(3));
    tick(m, 10);
    wait_not_busy(m, UCA3);
    R(m, RXBUF(UCA3));
    cs(m, 1);
    printf("{\"match\": %d, \"dma_done_after_edge\": %llu, \"stall\": %llu, \"ctl4\": %u, \"sz4\": %u, \"sa4\": %u, "
           "\"da4\": %u, \"ctl3\": %u, \"started_without_edge\": %d, \"bytes_read\": %llu, ",
           match, (unsigned long long)(t_done - t_edge), (unsigned long long)stall, ctl4, sz4, sa4, da4, ctl3,
           started_without_edge, (unsigned long long)extfram_get_stats(m)->bytes_read);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* eUSCI_B1 (contract's pins) read by polling, then WRITE through DMA channel 3 (trigger 19 = UCB1TXIFG). */
static int scen_spi_b1_write_dma(int argc, char **argv)
{
    if (argc < 4) return 2;
    unsigned n = (unsigned)atoi(argv[2]);
    uint32_t addr = (uint32_t)strtoul(argv[3], NULL, 0);
    twin_t *m = machine(100, 1.5, 2);
    for (uint32_t i = 0; i < n; i++) m->mem[0x1C00 + i] = pattern(i + 11);
    spi_init(m, UCB1, 4);
    wren(m, UCB1);
    uint8_t sr_wel = rdsr(m, UCB1);
    /* RDSR does not clear WEL: the WRITE below still has it */
    cs(m, 0);
    spi_cmd_addr(m, UCB1, 0x02, addr);
    W(m, DMACTL1, 19u << 8);                 /* ch3: UCB1TXIFG0 */
    W(m, DMAxCTL(3), 0x03C0);                /* single, src increment, byte/byte */
    W(m, DMAxSA(3), 0x1C00); W(m, DMAxSAH(3), 0);
    W(m, DMAxDA(3), (uint16_t)TXBUF(UCB1)); W(m, DMAxDAH(3), 0);
    W(m, DMAxSZ(3), (uint16_t)n);
    W(m, DMAxCTL(3), R(m, DMAxCTL(3)) | 0x10);
    W(m, UCB1.ifg, R(m, UCB1.ifg) & ~2u);
    uint64_t t_edge = m->cycle;
    twin_bus_write(m, UCB1.ifg, PEEK(m, UCB1.ifg) | 2u, 1);
    while (!(PEEK(m, DMAxCTL(3)) & 8) && !m->stop) run_to(m, m->cycle + 1);
    uint64_t t_dma = m->cycle;
    while ((PEEK(m, UCB1.statw) & 1) && !m->stop) run_to(m, m->cycle + 1);
    uint64_t t_idle = m->cycle;
    int overrun = (PEEK(m, UCB1.statw) & 0x20) != 0;
    R(m, RXBUF(UCB1));
    cs(m, 1);
    uint8_t sr_after = rdsr(m, UCB1);
    int match = 1;
    for (uint32_t i = 0; i < n; i++) match &= m->extfram[(addr + i) & (TWIN_EXTFRAM_SIZE - 1)] == pattern(i + 11);
    /* read back through UCB1 by polling */
    cs(m, 0);
    spi_cmd_addr(m, UCB1, 0x03, addr);
    int readback = 1;
    for (uint32_t i = 0; i < n && i < 64; i++) readback &= spi_xfer(m, UCB1, 0xFF) == pattern(i + 11);
    cs(m, 1);
    printf("{\"sr_after_wren\": %u, \"sr_after_write\": %u, \"match\": %d, \"readback\": %d, \"dma_done_after_edge\": %llu, "
           "\"idle_after_edge\": %llu, \"overrun_seen\": %d, \"written\": %llu, ",
           sr_wel, sr_after, match, readback, (unsigned long long)(t_dma - t_edge), (unsigned long long)(t_idle - t_edge),
           overrun, (unsigned long long)extfram_get_stats(m)->bytes_written);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* The contract's first plan: UCB1 with DMA channels 0 (TX) and 1 (RX). On the FR5994, triggers 18/19 on channels
 * 0-2 are UCB0's: the twin must refuse it with a reason. */
static int scen_contract_channels(void)
{
    twin_t *m = machine(100, 1.5, 2);
    spi_init(m, UCB1, 4);
    W(m, DMACTL0, (uint16_t)(19u | (18u << 8)));
    W(m, DMAxCTL(1), 0x0CC0);
    W(m, DMAxSA(1), (uint16_t)RXBUF(UCB1)); W(m, DMAxDA(1), 0x1C00); W(m, DMAxSZ(1), 16);
    W(m, DMAxCTL(1), R(m, DMAxCTL(1)) | 0x10);
    printf("{");
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

static int scen_wel(void)
{
    twin_t *m = machine(100, 1.5, 2);
    memset(m->extfram, 0x5A, 64);
    spi_init(m, UCB1, 4);
    /* 1: WRITE without WREN */
    cs(m, 0);
    spi_cmd_addr(m, UCB1, 0x02, 0);
    for (int i = 0; i < 4; i++) spi_xfer(m, UCB1, 0x11);
    cs(m, 1);
    int kept1 = m->extfram[0] == 0x5A && m->extfram[3] == 0x5A;
    uint64_t refused1 = extfram_get_stats(m)->bytes_refused;
    /* 2: WREN then WRDI then WRITE */
    wren(m, UCB1);
    uint8_t sr1 = rdsr(m, UCB1);
    cs(m, 0); spi_xfer(m, UCB1, 0x04); cs(m, 1);
    uint8_t sr2 = rdsr(m, UCB1);
    cs(m, 0);
    spi_cmd_addr(m, UCB1, 0x02, 8);
    spi_xfer(m, UCB1, 0x22);
    cs(m, 1);
    int kept2 = m->extfram[8] == 0x5A;
    /* 3: WREN, WRITE 2 bytes at the top of the array (wraps to 0) */
    wren(m, UCB1);
    cs(m, 0);
    spi_cmd_addr(m, UCB1, 0x02, 0xFFFFF);
    spi_xfer(m, UCB1, 0x33);
    spi_xfer(m, UCB1, 0x44);
    cs(m, 1);
    uint8_t sr3 = rdsr(m, UCB1);
    /* 4: an address with the 4 don't-care bits set reads the same byte */
    cs(m, 0);
    spi_cmd_addr(m, UCB1, 0x03, 0xF00000);
    uint8_t rd_wrap = spi_xfer(m, UCB1, 0xFF);
    cs(m, 1);
    /* 5: FSTRD has one dummy byte */
    cs(m, 0);
    spi_cmd_addr(m, UCB1, 0x0B, 0xFFFFF);
    spi_xfer(m, UCB1, 0xFF);
    uint8_t fst = spi_xfer(m, UCB1, 0xFF);
    cs(m, 1);
    /* 6: RDID */
    uint8_t id[9];
    cs(m, 0);
    spi_xfer(m, UCB1, 0x9F);
    for (int i = 0; i < 9; i++) id[i] = spi_xfer(m, UCB1, 0xFF);
    cs(m, 1);
    printf("{\"kept_without_wren\": %d, \"refused\": %llu, \"sr_after_wren\": %u, \"sr_after_wrdi\": %u, "
           "\"kept_after_wrdi\": %d, \"top\": %u, \"wrapped\": %u, \"sr_after_write\": %u, \"read_dontcare\": %u, "
           "\"fstrd\": %u, \"rdid\": [%u, %u, %u, %u, %u, %u, %u, %u, %u], ",
           kept1, (unsigned long long)refused1, sr1, sr2, kept2, m->extfram[0xFFFFF], m->extfram[0], sr3, rd_wrap, fst,
           id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8]);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* A DMA write of n bytes through eUSCI_A3 loses power in the middle of byte k. */
static int scen_torn(int argc, char **argv)
{
    if (argc < 5) return 2;
    unsigned n = (unsigned)atoi(argv[2]), k = (unsigned)atoi(argv[3]), brw = (unsigned)atoi(argv[4]);
    uint32_t addr = 0x1000;
    twin_t *m = machine(100, 1.5, 2);
    memset(m->extfram, 0xEE, 0x2000);
    for (uint32_t i = 0; i < n; i++) m->mem[0x1C00 + i] = pattern(i);
    spi_init(m, UCA3, (uint16_t)brw);
    wren(m, UCA3);
    cs(m, 0);
    spi_cmd_addr(m, UCA3, 0x02, addr);
    W(m, DMACTL1, 17u << 8);
    W(m, DMAxCTL(3), 0x03C0);
    W(m, DMAxSA(3), 0x1C00); W(m, DMAxDA(3), (uint16_t)TXBUF(UCA3)); W(m, DMAxSZ(3), (uint16_t)n);
    W(m, DMAxCTL(3), R(m, DMAxCTL(3)) | 0x10);
    W(m, UCA3.ifg, R(m, UCA3.ifg) & ~2u);
    uint64_t t_edge = m->cycle;
    twin_bus_write(m, UCA3.ifg, PEEK(m, UCA3.ifg) | 2u, 1);
    uint64_t byte_cycles = 8u * brw;
    run_to(m, t_edge + byte_cycles * k + byte_cycles / 2);
    /* power fails: twin_power_off does nothing to the peripherals; the next power-on resets them */
    power_on_peripherals(m);
    unsigned written = 0, first_old = n;
    for (uint32_t i = 0; i < n; i++) {
        if (m->extfram[addr + i] == pattern(i)) written++;
        else if (first_old == n) first_old = i;
    }
    int after_ok = m->extfram[addr + k] == 0xEE && m->extfram[addr - 1] == 0xEE;
    spi_init(m, UCA3, (uint16_t)brw); /* the power-on reset the eUSCI: the firmware initialises it again */
    uint8_t sr = rdsr(m, UCA3);
    printf("{\"written\": %u, \"first_old\": %u, \"old_kept\": %d, \"sr_after_power_on\": %u, ", written, first_old,
           after_ok, sr);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* ------------------------------------------------------------------ DMA modes */
static int scen_dma(void)
{
    twin_t *m = machine(100, 1.5, 2);
    for (int i = 0; i < 16; i++) m->mem[0x1C00 + i] = (uint8_t)(0x10 + i);
    memset(m->mem + 0x1D00, 0xFF, 32);
    /* (a) block transfer, words, software request, interrupt enabled */
    W(m, DMACTL0, 0);
    W(m, DMAxSA(0), 0x1C00); W(m, DMAxDA(0), 0x1D00); W(m, DMAxSZ(0), 5);
    W(m, DMAxCTL(0), 0x1F04 | 0x10);
    uint64_t s0 = total_stall + m->stall_cycles;
    W(m, DMAxCTL(0), R(m, DMAxCTL(0)) | 1);
    uint64_t stall_a = total_stall + m->stall_cycles - s0;
    int copied_a = !memcmp(m->mem + 0x1C00, m->mem + 0x1D00, 10) && m->mem[0x1D0A] == 0xFF;
    uint16_t ctl_a = PEEK(m, DMAxCTL(0)), sz_a = PEEK(m, DMAxSZ(0)), sa_a = PEEK(m, DMAxSA(0));
    int irq_a = m->irq_level[DMA_VECTOR];
    uint16_t iv1 = R(m, DMAIV), iv2 = R(m, DMAIV);
    int irq_a2 = m->irq_level[DMA_VECTOR];
    /* (b) single transfer, bytes, destination decrement, 3 software requests */
    W(m, DMAxSA(1), 0x1C00); W(m, DMAxDA(1), 0x1D12); W(m, DMAxSZ(1), 3);
    W(m, DMAxCTL(1), 0x0B00 | 0xC0 | 0x10); /* dst decrement (2), src increment (3), byte/byte, enable */
    W(m, DMAxCTL(1), R(m, DMAxCTL(1)) | 1);
    W(m, DMAxCTL(1), R(m, DMAxCTL(1)) | 1);
    uint16_t sz_b2 = PEEK(m, DMAxSZ(1)), ifg_b2 = PEEK(m, DMAxCTL(1)) & 8;
    W(m, DMAxCTL(1), R(m, DMAxCTL(1)) | 1);
    uint16_t sz_b3 = PEEK(m, DMAxSZ(1)), ctl_b3 = PEEK(m, DMAxCTL(1));
    unsigned d0 = m->mem[0x1D12], d1 = m->mem[0x1D11], d2 = m->mem[0x1D10];
    /* (c) byte source to word destination: high byte cleared */
    W(m, DMAxSA(2), 0x1C03); W(m, DMAxDA(2), 0x1D20); W(m, DMAxSZ(2), 1);
    W(m, DMAxCTL(2), 0x0040 | 0x10);
    W(m, DMAxCTL(2), R(m, DMAxCTL(2)) | 1);
    unsigned w_c = (unsigned)(m->mem[0x1D20] | (m->mem[0x1D21] << 8));
    /* (d) repeated single: DMAEN stays set, IFG set at each block end */
    W(m, DMAxSA(0), 0x1C00); W(m, DMAxDA(0), 0x1D00); W(m, DMAxSZ(0), 2);
    W(m, DMAxCTL(0), 0x4000 | 0x10);
    W(m, DMAxCTL(0), R(m, DMAxCTL(0)) | 1);
    W(m, DMAxCTL(0), R(m, DMAxCTL(0)) | 1);
    uint16_t ctl_d = PEEK(m, DMAxCTL(0));
    printf("{\"copied_a\": %d, \"stall_a\": %llu, \"ctl_a\": %u, \"sz_a\": %u, \"sa_a\": %u, \"irq_a\": %d, \"iv1\": %u, "
           "\"iv2\": %u, \"irq_after_iv\": %d, \"sz_b2\": %u, \"ifg_b2\": %u, \"sz_b3\": %u, \"ctl_b3\": %u, "
           "\"b_bytes\": [%u, %u, %u], \"word_c\": %u, \"ctl_d\": %u, ",
           copied_a, (unsigned long long)stall_a, ctl_a, sz_a, sa_a, irq_a, iv1, iv2, irq_a2, sz_b2, ifg_b2, sz_b3,
           ctl_b3, d0, d1, d2, w_c, ctl_d);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

static int scen_dma_err(int argc, char **argv)
{
    if (argc < 3) return 2;
    twin_t *m = machine(100, 1.5, 2);
    W(m, DMAxSZ(0), 4);
    if (!strcmp(argv[2], "burst")) W(m, DMAxCTL(0), 0x2000 | 0x10);
    else if (!strcmp(argv[2], "level")) W(m, DMAxCTL(0), 0x0020 | 0x10);
    else if (!strcmp(argv[2], "timer")) { W(m, DMACTL0, 1); W(m, DMAxCTL(0), 0x10); }
    else if (!strcmp(argv[2], "size0")) { W(m, DMAxSZ(0), 0); W(m, DMAxCTL(0), 0x10); }
    else return 2;
    printf("{");
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* ------------------------------------------------------------------ MPY32 */
#define MPY 0x04C0
#define MPYS 0x04C2
#define MAC 0x04C4
#define MACS 0x04C6
#define OP2 0x04C8
#define RESLO 0x04CA
#define RESHI 0x04CC
#define SUMEXT 0x04CE
#define MPY32L 0x04D0
#define MPY32H 0x04D2
#define MPYS32L 0x04D4
#define MPYS32H 0x04D6
#define OP2L 0x04E0
#define OP2H 0x04E2
#define RES0 0x04E4
#define RES1 0x04E6
#define RES2 0x04E8
#define RES3 0x04EA
#define MPY32CTL0 0x04EC

static void print_res(twin_t *m, const char *name)
{
    printf("\"%s\": [%u, %u, %u, %u, %u, %u], ", name, R(m, RES0), R(m, RES1), R(m, RES2), R(m, RES3), R(m, SUMEXT),
           R(m, MPY32CTL0) & 1);
}

static int scen_mpy(void)
{
    twin_t *m = machine(100, 1.5, 2);
    printf("{");
    W(m, MPY, 0xFFFF); W(m, OP2, 0xFFFF); print_res(m, "mpy_ffff");
    W(m, MPYS, 0xFFFE); W(m, OP2, 3); print_res(m, "mpys_m2x3");
    /* the firmware's vector MAC: RESLO = RESHI = 0, then MACS/OP2 pairs (pairs printed for the test) */
    uint32_t x = 12345;
    printf("\"macs_pairs\": [");
    W(m, RESLO, 0); W(m, RESHI, 0);
    for (int i = 0; i < 40; i++) {
        x = x * 1103515245u + 12345u;
        int16_t a = (int16_t)(x >> 16);
        x = x * 1103515245u + 12345u;
        int16_t b = (int16_t)(x >> 16);
        if (i < 4) a = b = (int16_t)-32768; /* push the 32-bit accumulator past its range: it wraps */
        printf("%s[%d, %d]", i ? ", " : "", a, b);
        W(m, MACS, (uint16_t)a);
        W(m, OP2, (uint16_t)b);
    }
    printf("], ");
    print_res(m, "macs_sum");
    W(m, RESLO, 0xFFFF); W(m, RESHI, 0xFFFF); W(m, MAC, 1); W(m, OP2, 1); print_res(m, "mac_carry");
    W(m, MPY32CTL0, 0x0004); W(m, MPYS, 0x4000); W(m, OP2, 0x4000); print_res(m, "frac_half_half");
    W(m, MPY32CTL0, 0x000C); W(m, MPYS, 0x8000); W(m, OP2, 0x8000); print_res(m, "fracsat_m1m1");
    /* UG (SLAU367 MPY32 "Saturation in fractional mode") worked example */
    W(m, MPY32CTL0, 0x000C);
    W(m, RES3, 0); W(m, RES2, 0); W(m, RES1, 0x7FFF); W(m, RES0, 0xFA60);
    WB(m, MACS, 0x50); WB(m, OP2, 0x12);
    printf("\"ug_fracsat\": [%u, %u], ", R(m, RES0), R(m, RES1));
    /* UG "mixing 32x24 with 16x16 MACS" worked example */
    W(m, MPY32CTL0, 0x0008);
    W(m, MPY32L, 0x52C5); W(m, MPY32H, 0x6153); W(m, OP2L, 0x01AB); WB(m, OP2H, 0x23);
    tick(m, 5);
    printf("\"ug_mix_32\": [%u, %u, %u, %u], ", R(m, RES0), R(m, RES1), R(m, RES2), R(m, RES3));
    W(m, MACS, 0xCCC3); W(m, OP2, 0xFFB6);
    printf("\"ug_mix_macs\": [%u, %u], ", R(m, RESLO), R(m, RESHI));
    /* UG "saturation before the multiplication" example: MPYC set, zero result preloaded */
    W(m, RES3, 0); W(m, RES2, 0); W(m, RES1, 0); W(m, RES0, 0);
    W(m, MPY32CTL0, 0x0009);
    WB(m, MACS, 0x82); WB(m, OP2, 0x4F);
    printf("\"ug_mpyc\": [%u, %u], ", R(m, RES0), R(m, RES1));
    /* 32x32 unsigned and signed */
    W(m, MPY32CTL0, 0);
    W(m, MPY32L, 0x1234); W(m, MPY32H, 0x1234); W(m, OP2L, 0x5678); W(m, OP2H, 0x5678);
    tick(m, 6);
    print_res(m, "mpy32_u");
    W(m, MPYS32L, 0xFFFF); W(m, MPYS32H, 0xFFFF); W(m, OP2L, 5); W(m, OP2H, 0);
    tick(m, 6);
    print_res(m, "mpy32_s");
    /* a result read in the same cycle the 32x32 operation started: too early per the UG table */
    W(m, MPY32L, 1); W(m, MPY32H, 1); W(m, OP2L, 1);
    twin_bus_write(m, OP2H, 1, 1);
    twin_bus_read(m, RES3, 1);
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

/* ------------------------------------------------------------------ eUSCI errors */
static int scen_eusci_err(int argc, char **argv)
{
    if (argc < 3) return 2;
    twin_t *m = machine(100, 1.5, 2);
    const char *k = argv[2];
    if (!strcmp(k, "i2c")) { W(m, 0x0640, 0x0F81); W(m, 0x0640, 0x0F80); }           /* UCB0: UCMODE_3 I2C */
    else if (!strcmp(k, "slave")) { W(m, 0x0680, 0x2101); W(m, 0x0680, 0x2100); }    /* UCB1 SPI slave */
    else if (!strcmp(k, "uart_a1")) { W(m, 0x05E0, 0x0081); W(m, 0x05E0, 0x0080); } /* UART on A1 */
    else if (!strcmp(k, "parity")) { W(m, 0x05C0, 0x8081); W(m, 0x05C6, 8); W(m, 0x05C0, 0x8080); }
    else if (!strcmp(k, "reset_safe")) {
        /* unused modules written at reset-safe values and left in reset: accepted */
        W(m, 0x0640, 0x0001); W(m, 0x0646, 0); W(m, 0x066A, 0); W(m, 0x05E0, 0x0001); W(m, 0x05FA, 0);
        W(m, 0x0700, 0x01C1);
    } else if (!strcmp(k, "tx_in_reset")) {
        W(m, 0x068E, 0x55); /* UCB1TXBUF while UCB1 is held in reset */
    } else if (!strcmp(k, "fram_mode1")) {
        W(m, 0x0680, 0x0001); W(m, 0x0680, 0x2981); W(m, 0x0686, 4); W(m, 0x0680, 0x2980); /* CKPH=0 CKPL=0 */
        cs(m, 0);
        spi_xfer(m, UCB1, 0x9F);
    } else return 2;
    printf("{");
    print_error(m);
    printf("}\n");
    finish(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_periph lea|lea_err|uart_tx|uart_rx|spi_read_dma|spi_b1_write_dma|contract_channels|"
                        "wel|torn|dma|dma_err|mpy|eusci_err ...\n");
        return 2;
    }
    const char *s = argv[1];
    if (!strcmp(s, "lea")) return scen_lea(argc, argv);
    if (!strcmp(s, "lea_err")) return scen_lea_err(argc, argv);
    if (!strcmp(s, "uart_tx")) return scen_uart_tx();
    if (!strcmp(s, "uart_rx")) return scen_uart_rx();
    if (!strcmp(s, "spi_read_dma")) return scen_spi_read_dma(argc, argv);
    if (!strcmp(s, "spi_b1_write_dma")) return scen_spi_b1_write_dma(argc, argv);
    if (!strcmp(s, "contract_channels")) return scen_contract_channels();
    if (!strcmp(s, "wel")) return scen_wel();
    if (!strcmp(s, "torn")) return scen_torn(argc, argv);
    if (!strcmp(s, "dma")) return scen_dma();
    if (!strcmp(s, "dma_err")) return scen_dma_err(argc, argv);
    if (!strcmp(s, "mpy")) return scen_mpy();
    if (!strcmp(s, "eusci_err")) return scen_eusci_err(argc, argv);
    fprintf(stderr, "unknown scenario %s\n", s);
    return 2;
}
