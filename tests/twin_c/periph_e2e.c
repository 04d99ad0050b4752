/*
 * periph_e2e.c - MSP430 program (clang-14 --target=msp430, the project's crt0 and linker script) that
 * exercises the twin's peripherals end to end as firmware does: clock setup, LEA vector MAC (DSPLib register
 * use), the external FRAM through eUSCI_A3 SPI with DMA channels 3 (TX, trigger 17) and 4 (RX, trigger 16)
 * started by a UCTXIFG edge (as TiNAS does), RDID through eUSCI_B1 by polling, MPY32 MACS, and UART bytes.
 * Results go to globals that tests/test_twin_periph.py reads after the halt; Timer_A0 (SMCLK = MCLK) gives
 * the cycle counts.
 */
#include <stdint.h>
#include "fr5994_regs.h"
/* eUSCI_B1 registers (datasheet SLASE54): the fr5994 port moved to eUSCI_A3 and its header dropped them */
#ifndef UCB1CTLW0
#define UCB1CTLW0 REG16(0x0680)
#define UCB1BRW REG16(0x0686)
#define UCB1RXBUF REG16(0x068C)
#define UCB1TXBUF REG16(0x068E)
#define UCB1IFG REG16(0x06AC)
#endif

#define P6SEL0 REG8(0x024B)
#define DMACTL1 REG16(0x0502)
#define DMACTL2 REG16(0x0504)
#define DMA3CTL REG16(0x0540)
#define DMA3SA REG16(0x0542)
#define DMA3DA REG16(0x0546)
#define DMA3SZ REG16(0x054A)
#define DMA4CTL REG16(0x0550)
#define DMA4SA REG16(0x0552)
#define DMA4DA REG16(0x0556)
#define DMA4SZ REG16(0x055A)
#define UCA3CTLW0 REG16(0x0620)
#define UCA3BRW REG16(0x0626)
#define UCA3STATW REG16(0x062A)
#define UCA3RXBUF REG16(0x062C)
#define UCA3TXBUF REG16(0x062E)
#define UCA3IFG REG16(0x063C)
#define MACS REG16(0x04C6)
#define CS_BIT 0x08u
#define NMAC 200u
#define NX 100u
#define XADDR 0xFFFC0ul /* the burst wraps at 1 MiB */

int16_t va[NMAC] __attribute__((section(".learam"), aligned(4)));
int16_t vb[NMAC] __attribute__((section(".learam"), aligned(4)));
int32_t lea_out __attribute__((section(".learam"), aligned(4)));

volatile int32_t r_mac;
volatile uint16_t r_mac_cycles, r_mac_hw_cycles, r_read_cycles;
volatile uint8_t r_buf[NX];
volatile uint8_t r_id[9];
volatile uint8_t r_sr;
volatile int32_t r_macs;
static uint8_t src[NX];
static const uint8_t dummy = 0xFF;

static void clocks(void)
{
    WDTCTL = WDTPW_HOLD;
    PM5CTL0 &= (uint16_t)~LOCKLPM5;
    FRCTL0 = FRCTLPW | NWAITS_1;
    CSCTL0_H = CSKEY_H;
    CSCTL1 = DCORSEL | DCOFSEL_4;
    CSCTL2 = SELA__VLOCLK | SELS__DCOCLK | SELM__DCOCLK;
    CSCTL3 = 0;
    CSCTL0_H = 0;
    TA0CTL = TASSEL__SMCLK | MC__CONTINUOUS | TACLR;
}

static uint8_t a3_xfer(uint8_t b)
{
    while (!(UCA3IFG & UCTXIFG)) {}
    UCA3TXBUF = b;
    while (!(UCA3IFG & UCRXIFG)) {}
    return (uint8_t)UCA3RXBUF;
}

static uint8_t b1_xfer(uint8_t b)
{
    while (!(UCB1IFG & UCTXIFG)) {}
    UCB1TXBUF = b;
    while (!(UCB1IFG & UCRXIFG)) {}
    return (uint8_t)UCB1RXBUF;
}

static void cs_low(void) { P5OUT &= (uint8_t)~CS_BIT; }
static void cs_high(void) { P5OUT |= CS_BIT; }

static void a3_cmd(uint8_t op, uint32_t addr)
{
    cs_low();
    a3_xfer(op);
    a3_xfer((uint8_t)(addr >> 16));
    a3_xfer((uint8_t)(addr >> 8));
    a3_xfer((uint8_t)addr);
}

static void start_tx_dma(void)
{
    UCA3IFG &= (uint16_t)~UCTXIFG; /* DMA triggers are edges: clear and set UCTXIFG to start the stream */
    UCA3IFG |= UCTXIFG;
}

static void fram_write(uint32_t addr, const uint8_t *p, uint16_t n)
{
    cs_low();
    a3_xfer(0x06); /* WREN */
    cs_high();
    a3_cmd(0x02, addr);
    DMACTL1 = (uint16_t)(17u << 8); /* channel 3: UCA3TXIFG */
    DMA3SA = (uint16_t)(uintptr_t)p;
    DMA3DA = 0x062E;
    DMA3SZ = n;
    DMA3CTL = DMASRCINCR_3 | DMASRCBYTE | DMADSTBYTE | DMAEN;
    start_tx_dma();
    while (!(DMA3CTL & DMAIFG)) {}
    DMA3CTL &= (uint16_t)~DMAIFG;
    while (UCA3STATW & UCBUSY) {}
    (void)UCA3RXBUF;
    cs_high();
}

static void fram_read(uint32_t addr, volatile uint8_t *p, uint16_t n)
{
    a3_cmd(0x03, addr);
    DMACTL1 = (uint16_t)(17u << 8); /* channel 3: UCA3TXIFG */
    DMACTL2 = 16u;                  /* channel 4: UCA3RXIFG */
    DMA4SA = 0x062C;
    DMA4DA = (uint16_t)(uintptr_t)p;
    DMA4SZ = n;
    DMA4CTL = DMADSTINCR_3 | DMASRCBYTE | DMADSTBYTE | DMAEN;
    DMA3SA = (uint16_t)(uintptr_t)&dummy;
    DMA3DA = 0x062E;
    DMA3SZ = n;
    DMA3CTL = DMASRCBYTE | DMADSTBYTE | DMAEN;
    start_tx_dma();
    while (!(DMA4CTL & DMAIFG)) {}
    DMA4CTL &= (uint16_t)~DMAIFG;
    DMA3CTL &= (uint16_t)~DMAIFG;
    cs_high();
}

/* The DSPLib-style vector MAC call of the fr5994 port (msp_mac_q15 register use), polled. */
static int32_t lea_mac(const int16_t *a, const int16_t *b, uint16_t n)
{
    uint16_t *par;
    LEACNF2 -= 2;
    par = (uint16_t *)(uintptr_t)((uint16_t)(LEACNF2 << 2));
    par[0] = n;
    par[1] = (uint16_t)((uintptr_t)b >> 2);
    par[2] = (uint16_t)((uintptr_t)&lea_out >> 2);
    par[3] = 0;
    LEAPMS0 = (uint16_t)((uintptr_t)a >> 2);
    LEAPMS1 = (uint16_t)((uintptr_t)par >> 2);
    uint16_t t0 = TA0R;
    LEAPMCB = LEACMD__MAC | LEAITFLG1;
    while (!(LEAIFG & LEAPMCMDIFG)) {}
    r_mac_hw_cycles = (uint16_t)(TA0R - t0);
    LEAIFG = LEAPMCMDIFG;
    LEACNF2 += 2;
    return lea_out;
}

int main(void)
{
    clocks();
    P5OUT |= CS_BIT;
    P5DIR |= CS_BIT;
    P5SEL0 |= 0x07u;   /* UCB1 pins */
    P6SEL0 |= 0x07u;   /* UCA3 pins (TiNAS wiring) */
    UCA3CTLW0 = UCSWRST;
    UCA3CTLW0 |= UCCKPH | UCMSB | UCMST | UCSYNC | UCSSEL__SMCLK;
    UCA3BRW = 4;
    UCA3CTLW0 &= (uint16_t)~UCSWRST;
    UCB1CTLW0 = UCSWRST;
    UCB1CTLW0 |= UCCKPH | UCMSB | UCMST | UCSYNC | UCSSEL__SMCLK;
    UCB1BRW = 4;
    UCB1CTLW0 &= (uint16_t)~UCSWRST;
    P2SEL1 |= 0x03u;
    UCA0CTLW0 = UCSWRST | UCSSEL__SMCLK;
    UCA0BRW = 8;
    UCA0MCTLW = 0xF7A1u;
    UCA0CTLW0 &= (uint16_t)~UCSWRST;

    /* LEA */
    LEACNF0 = LEALPR | LEAILPM;
    LEACNF1 = 0;
    LEACNF2 = (uint16_t)(LEAMT >> 2);
    LEAPMS1 = 0;
    LEAPMS0 = 0;
    LEAPMDST = 0;
    LEAPMCTL |= LEACMDEN;
    LEAIE |= LEAPMCMDIE;
    LEACMCTL = 0;
    for (uint16_t i = 0; i < NMAC; i++) {
        va[i] = (int16_t)(i * 331u + 7u);
        vb[i] = (int16_t)(32767 - i * 97u);
    }
    uint16_t t0 = TA0R;
    r_mac = lea_mac(va, vb, NMAC);
    r_mac_cycles = (uint16_t)(TA0R - t0);

    /* external FRAM: DMA write, then DMA read back */
    for (uint16_t i = 0; i < NX; i++) src[i] = (uint8_t)(i * 13u + 5u);
    fram_write(XADDR, src, NX);
    t0 = TA0R;
    fram_read(XADDR, r_buf, NX);
    r_read_cycles = (uint16_t)(TA0R - t0);
    cs_low();
    a3_xfer(0x05);
    r_sr = a3_xfer(0xFF);
    cs_high();

    /* RDID through eUSCI_B1 */
    cs_low();
    b1_xfer(0x9F);
    for (uint16_t i = 0; i < 9; i++) r_id[i] = b1_xfer(0xFF);
    cs_high();

    /* MPY32: signed multiply-accumulate of 10 products */
    RESLO = 0;
    RESHI = 0;
    for (int16_t i = 0; i < 10; i++) {
        MACS = (uint16_t)(int16_t)(i * 1000 - 4000);
        OP2 = (uint16_t)(int16_t)(i * 300 + 11);
    }
    __asm__ volatile("nop");
    r_macs = (int32_t)(((uint32_t)RESHI << 16) | RESLO);

    /* UART */
    static const char msg[] = "OK\n";
    for (uint16_t i = 0; i < 3; i++) {
        while (!(UCA0IFG & UCTXIFG)) {}
        UCA0TXBUF = (uint8_t)msg[i];
    }
    while (!(UCA0IFG & 0x0008u)) {} /* UCTXCPTIFG: the last stop bit is out */
    return 0;
}
