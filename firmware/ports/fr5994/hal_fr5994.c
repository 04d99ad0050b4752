/*
 * hal_fr5994.c - the HAL on the MSP430FR5994 (LaunchPad MSP-EXP430FR5994), and on the FR5994 twin,
 * which runs this same ELF. Every register sequence is listed in docs/fr5994-port.md (the firmware side of
 * the twin contract; its one deviation: the external FRAM is on eUSCI_A3, see below). References:
 * MSP430FR58xx/FR59xx/FR6xx Family User's Guide SLAU367P (UG) and the MSP430FR599x datasheet SLASE54D (DS).
 *
 * Clock (UG "CS"): DCO 16 MHz = MCLK = SMCLK, ACLK = VLO; one FRAM wait state set BEFORE the switch
 *   (UG "FRAM Controller": NWAITS needed above 8 MHz).
 * Cycles (UG "Timer_A"): Timer_A0 counts SMCLK continuously; hal_cycles_now extends it to 32 bits by
 *   polling TAIFG. Every HAL call ticks it, so a wrap would be lost only if 65536 cycles passed without
 *   a HAL call; the runtime's longest CPU-only loop (GAP's divisions) calls hal_keep_time per element.
 * External FRAM (CY15B108QI, 1 MiB) on eUSCI_A3 SPI master, mode 0, MSB first, SMCLK/4 = 4 MHz
 *   (UG "eUSCI - SPI Mode"); P6.0 SIMO, P6.1 SOMI, P6.2 CLK (DS pin functions, P6SEL0), P5.3 CS as GPIO.
 *   Command and address bytes are exchanged by polling; the data phase runs on DMA (UG "DMA Controller")
 *   in single-transfer byte mode, edge-triggered: reads use channel 4 (trigger UCA3RXIFG -> buffer) and
 *   channel 3 (trigger UCA3TXIFG, a constant 0xFF -> TXBUF); writes use channel 3 (buffer -> TXBUF). The
 *   stream starts on a rising UCTXIFG, made by clearing and setting it (enabling a channel while the flag
 *   is already high does not trigger it). Trigger numbers: DS Table 9-11, channels 3-5: UCA3RXIFG = 16,
 *   UCA3TXIFG = 17. eUSCI_A3, not eUSCI_B1: B1's DMA triggers exist on channel 3 only (one direction), so a
 *   DMA read through B1 is impossible; A3 is also what the original TiNAS board uses.
 * Vector MAC on LEA (UG "Low-Energy Accelerator"), with DSPLib 1.30's register use (msp_lea_init,
 *   msp_mac_q15) written here from the register descriptions, since DSPLib is not shipped: parameter
 *   block on the LEA stack (LEACNF2), operand A in LEAPMS0, block in LEAPMS1, command MAC | LEAITFLG1 in
 *   LEAPMCB, completion polled on LEAIFG.LEAPMCMDIFG with GIE clear. LEA operands must be 4-byte aligned
 *   in LEA RAM with an even length: the runtime's tile buffer is in LEA RAM (.learam); odd or unaligned
 *   vectors are copied into padding buffers with one zero element. Vectors shorter than FR5994_LEA_MIN_N
 *   (10: depthwise taps are length 1, first layers Tn = 1..9) run on MPY32 (UG "32-Bit Hardware
 *   Multiplier"), signed 16x16, summed exactly (int32 plus a wrap count): a LEA call's fixed cost (~785
 *   cycles per call here vs ~52 per MPY32 element, measured on the twin) would dominate them. Both paths
 *   return saturate_int32(2 * sum) >> 1 (hal.h, docs/q15-arithmetic.md).
 * UART: eUSCI_A0 115200 8N1 from SMCLK 16 MHz (UG Table "Recommended settings": UCOS16, UCBR 8,
 *   UCBRF 10, UCBRS 0xF7) on P2.0/P2.1 (the LaunchPad's back-channel UART).
 * Signals: P1.0 (LED1) DONE, P5.0 YIELD (GPIO outputs). The final halt is LPM4 with GIE clear (nothing
 *   wakes the CPU). The compiler's multiplication helpers use MPY32 too (mspabi_mpy32.c).
 */
#include <stdint.h>
#include "fr5994_regs.h"
#include "hal.h"
#include "port_config.h"
#include "rt_frame.h"

static uint16_t timer_hi;

/* LEA RAM operands: padding buffers for odd/unaligned vectors and the Q31 result */
static int16_t lea_pad_a[FR5994_PAD_WORDS] __attribute__((section(".learam"), aligned(4)));
static int16_t lea_pad_b[FR5994_PAD_WORDS] __attribute__((section(".learam"), aligned(4)));
static int32_t lea_result __attribute__((section(".learam"), aligned(4)));
static const uint8_t spi_dummy = 0xFF; /* DMA source of the bytes clocked out during a read */

extern char __learam_start[], __learam_end[]; /* fr5994.ld */

static void tick(void) { (void)hal_cycles_now(); }

static __attribute__((noreturn)) void halt_lpm4(void)
{
    for (;;) __asm__ volatile("dint\n\tnop\n\tbis #" LPM4_BITS ", r2");
}

/* ---- init ------------------------------------------------------------------------------------ */

static void lea_init(void)
{
    LEACNF0 = LEALPR | LEAILPM;
    LEACNF1 = 0;
    LEACNF2 = (uint16_t)(LEAMT >> 2); /* LEA stack pointer (32-bit words) at the top of LEA RAM */
    LEAPMS1 = 0;
    LEAPMS0 = 0;
    LEAPMDST = 0;
    LEAPMCTL |= LEACMDEN;
    LEAIE |= LEAPMCMDIE;
    LEACMCTL = 0;
}

void hal_init(void)
{
    WDTCTL = WDTPW_HOLD;
    PM5CTL0 &= (uint16_t)~LOCKLPM5;         /* unlock GPIOs after a power-up (UG PMM, LOCKLPM5) */
    FRCTL0 = FRCTLPW | NWAITS_1;            /* one FRAM wait state before MCLK exceeds 8 MHz */
    CSCTL0_H = CSKEY_H;
    CSCTL1 = DCORSEL | DCOFSEL_4;           /* DCO 16 MHz */
    CSCTL2 = SELA__VLOCLK | SELS__DCOCLK | SELM__DCOCLK;
    CSCTL3 = 0;                             /* all dividers /1 */
    CSCTL0_H = 0;                           /* lock CS */
    P1DIR |= DONE_BIT;
    P1OUT &= (uint8_t)~DONE_BIT;
    P5OUT &= (uint8_t)~YIELD_BIT;
    P5OUT |= FRAM_CS_BIT;                   /* CS high before it becomes an output */
    P5DIR |= FRAM_CS_BIT | YIELD_BIT;
    P6SEL0 |= 0x07u;                        /* P6.0 UCA3SIMO, P6.1 UCA3SOMI, P6.2 UCA3CLK */
    UCA3CTLW0 = UCSWRST;
    UCA3CTLW0 |= UCCKPH | UCMSB | UCMST | UCSYNC | UCSSEL__SMCLK; /* 3-pin master, mode 0 */
    UCA3BRW = 4;                            /* SCLK = SMCLK/4 = 4 MHz */
    UCA3CTLW0 &= (uint16_t)~UCSWRST;
    P2SEL1 |= 0x03u;                        /* P2.0 UCA0TXD, P2.1 UCA0RXD */
    UCA0CTLW0 = UCSWRST | UCSSEL__SMCLK;
    UCA0BRW = 8;
    UCA0MCTLW = 0xF7A1u;                    /* UCBRS 0xF7, UCBRF 10, UCOS16 */
    UCA0CTLW0 &= (uint16_t)~UCSWRST;
    TA0CTL = TASSEL__SMCLK | MC__CONTINUOUS | TACLR;
    timer_hi = 0;
    DMACTL1 = (uint16_t)(DMA_TRIG_UCA3TXIFG << 8); /* ch3: TX */
    DMACTL2 = (uint16_t)DMA_TRIG_UCA3RXIFG;        /* ch4: RX */
    lea_init();
}

/* ---- external FRAM ------------------------------------------------------------------------------ */

static uint8_t spi_xfer(uint8_t b)
{
    while (!(UCA3IFG & UCTXIFG)) {}
    UCA3TXBUF = b;
    while (!(UCA3IFG & UCRXIFG)) {}
    return (uint8_t)UCA3RXBUF;
}

/* A rising UCTXIFG triggers the TX channel's first transfer (UG: DMA triggers are edge-sensitive). */
static void kick_tx(void)
{
    UCA3IFG &= (uint16_t)~UCTXIFG;
    UCA3IFG |= UCTXIFG;
}

static void cs_low(void) { P5OUT &= (uint8_t)~FRAM_CS_BIT; }
static void cs_high(void) { P5OUT |= FRAM_CS_BIT; }

static void fram_cmd(uint8_t cmd, uint32_t addr)
{
    cs_low();
    spi_xfer(cmd);
    spi_xfer((uint8_t)(addr >> 16));
    spi_xfer((uint8_t)(addr >> 8));
    spi_xfer((uint8_t)addr);
}

void hal_nvm_read(uint32_t addr, void *dst, uint16_t n)
{
    tick();
    fram_cmd(0x03, addr); /* READ */
    if (n) {
        DMA4SA = UCA3RXBUF_ADDR;
        DMA4DA = (uint16_t)(uintptr_t)dst;
        DMA4SZ = n;
        DMA4CTL = DMADSTINCR_3 | DMASRCBYTE | DMADSTBYTE | DMAEN;  /* RX first: ready for byte 1 */
        DMA3SA = (uint16_t)(uintptr_t)&spi_dummy;
        DMA3DA = UCA3TXBUF_ADDR;
        DMA3SZ = n;
        DMA3CTL = DMASRCBYTE | DMADSTBYTE | DMAEN;
        kick_tx();
        while (!(DMA4CTL & DMAIFG)) {}
        DMA4CTL &= (uint16_t)~DMAIFG;
        DMA3CTL &= (uint16_t)~DMAIFG;
    }
    cs_high();
}

void hal_nvm_write(uint32_t addr, const void *src, uint16_t n)
{
    tick();
    cs_low();
    spi_xfer(0x06); /* WREN */
    cs_high();
    fram_cmd(0x02, addr); /* WRITE */
    if (n) {
        DMA3SA = (uint16_t)(uintptr_t)src;
        DMA3DA = UCA3TXBUF_ADDR;
        DMA3SZ = n;
        DMA3CTL = DMASRCINCR_3 | DMASRCBYTE | DMADSTBYTE | DMAEN;
        kick_tx();
        while (!(DMA3CTL & DMAIFG)) {}
        DMA3CTL &= (uint16_t)~DMAIFG;
        while (UCA3STATW & UCBUSY) {} /* the last byte has left the shift register */
        (void)UCA3RXBUF;              /* drain: UCRXIFG clear for the next command */
    }
    cs_high();
}

/* ---- vector MAC ------------------------------------------------------------------------------------ */

static int32_t mac_mpy32(const int16_t *a, const int16_t *b, uint16_t n)
{
    /* exact sum = wraps * 2^32 + s: s is the int32 sum with wrap-around, wraps counts its overflows
     * (cheaper than 64-bit adds on a 16-bit CPU) */
    uint32_t s = 0;
    int16_t wraps = 0;
    for (uint16_t i = 0; i < n; i++) {
        MPYS = (uint16_t)a[i];
        OP2 = (uint16_t)b[i];
        __asm__ volatile("nop"); /* 16x16 result ready (UG MPY32 result availability) */
        uint32_t p = ((uint32_t)RESHI << 16) | RESLO, t = s + p;
        if ((~(s ^ p) & (s ^ t)) & 0x80000000UL) wraps = (int16_t)(wraps + ((p & 0x80000000UL) ? -1 : 1));
        s = t;
    }
    /* saturate_int32(2*sum) >> 1 == sum clamped to [-2^30, 2^30 - 1] (docs/q15-arithmetic.md) */
    if (wraps > 0) return 0x3FFFFFFFL;
    if (wraps < 0) return -0x40000000L;
    int32_t v = (int32_t)s;
    return v > 0x3FFFFFFFL ? 0x3FFFFFFFL : (v < -0x40000000L ? -0x40000000L : v);
}

static uint8_t lea_ok(const int16_t *p)
{
    uintptr_t u = (uintptr_t)p;
    return !(u & 3u) && u >= (uintptr_t)__learam_start && u < (uintptr_t)__learam_end;
}

static int32_t mac_lea(const int16_t *a, const int16_t *b, uint16_t n)
{
    uint16_t *par;
    LEACNF2 -= 2;                                       /* allocate 2 LEA words on the LEA stack */
    par = (uint16_t *)(uintptr_t)((uint16_t)(LEACNF2 << 2));
    par[0] = n;                                         /* vectorSize (even) */
    par[1] = (uint16_t)((uintptr_t)b >> 2);             /* input2 */
    par[2] = (uint16_t)((uintptr_t)&lea_result >> 2);   /* output */
    par[3] = 0;
    LEAPMS0 = (uint16_t)((uintptr_t)a >> 2);
    LEAPMS1 = (uint16_t)((uintptr_t)par >> 2);
    LEAPMCB = LEACMD__MAC | LEAITFLG1;
    while (!(LEAIFG & LEAPMCMDIFG)) {}
    LEAIFG = LEAPMCMDIFG;                               /* write 1 to clear */
    LEACNF2 += 2;
    int32_t q31 = lea_result;
    /* arithmetic >> 1 written portably (C99 leaves >> of negatives implementation-defined) */
    return q31 >= 0 ? (int32_t)((uint32_t)q31 >> 1) : (int32_t)~((~(uint32_t)q31) >> 1);
}

int32_t hal_vmac_q15(const int16_t *a, const int16_t *b, uint16_t n)
{
    tick();
    if (n < FR5994_LEA_MIN_N) return mac_mpy32(a, b, n);
    if (!(n & 1u) && lea_ok(a) && lea_ok(b)) return mac_lea(a, b, n);
    if (n < FR5994_PAD_WORDS) { /* odd or outside LEA RAM: copy, pad with one zero */
        uint16_t i;
        for (i = 0; i < n; i++) { lea_pad_a[i] = a[i]; lea_pad_b[i] = b[i]; }
        if (n & 1u) { lea_pad_a[n] = 0; lea_pad_b[n] = 0; n++; }
        return mac_lea(lea_pad_a, lea_pad_b, n);
    }
    return mac_mpy32(a, b, n); /* longer than the padding buffers: exact on MPY32 */
}

/* ---- timer, UART, signals ------------------------------------------------------------------------- */

uint32_t hal_cycles_now(void)
{
    uint16_t lo = TA0R;
    if (TA0CTL & TAIFG) {
        TA0CTL &= (uint16_t)~TAIFG;
        timer_hi++;
        lo = TA0R;
    }
    return ((uint32_t)timer_hi << 16) | lo;
}

void hal_uart_write(const uint8_t *buf, uint16_t n)
{
    while (n--) {
        while (!(UCA0IFG & UCTXIFG)) {}
        UCA0TXBUF = *buf++;
    }
}

uint16_t hal_uart_read(uint8_t *buf, uint16_t n)
{
    uint16_t k = 0;
    while (!(UCA0IFG & UCRXIFG)) {}
    while (k < n && (UCA0IFG & UCRXIFG)) buf[k++] = (uint8_t)UCA0RXBUF;
    return k;
}

void hal_power_yield(void)
{
    P5OUT |= YIELD_BIT;              /* the batch is committed (CS high): ask the supply to cut power */
    halt_lpm4();                     /* the supply cuts power; the next boot starts from reset */
}

void hal_keep_time(void) { tick(); }

void hal_result_ready(void)
{
    P1OUT |= DONE_BIT;               /* the measured inference ends at this edge */
}

void hal_done(uint16_t status)
{
    (void)status;                    /* the RESULT/DONE frames carry it */
    P1OUT |= DONE_BIT;
    halt_lpm4();
}

void hal_fatal(uint16_t code)
{
    uint8_t b[2] = {(uint8_t)code, (uint8_t)(code >> 8)};
    rt_frame_send(RT_FRAME_ERROR, b, 2);
    P1OUT &= (uint8_t)~DONE_BIT;
    halt_lpm4();
}
