/*
 * hal_fr5994.c - the HAL on a real MSP430FR5994 LaunchPad.
 *
 * External FRAM (CY15B108QI) on eUSCI_B1 SPI (P5.0-P5.2, CS P5.3) at SMCLK/4 = 4 MHz, polled; MPY32 in
 * MAC mode for the vector MAC (LEA needs TI DSPLib, which this project cannot ship: build with it by
 * replacing hal_vmac_q15); Timer_A0 at SMCLK for cycles; eUSCI_A0 UART 115200 8N1 on the LaunchPad's
 * backchannel; P1.0 signals done, P5.0 signals a proactive shutdown.
 */
#include <stdint.h>
#include "fr5994_regs.h"
#include "hal.h"
#include "port_config.h"

static volatile uint16_t timer_hi;

static uint8_t spi_xfer(uint8_t b)
{
    while (!(UCB1IFG & UCTXIFG)) {}
    UCB1TXBUF = b;
    while (!(UCB1IFG & UCRXIFG)) {}
    return (uint8_t)UCB1RXBUF;
}

static void fram_cmd(uint8_t cmd, uint32_t addr)
{
    P5OUT &= (uint8_t)~FRAM_CS_BIT;
    spi_xfer(cmd);
    spi_xfer((uint8_t)(addr >> 16));
    spi_xfer((uint8_t)(addr >> 8));
    spi_xfer((uint8_t)addr);
}

void hal_init(void)
{
    WDTCTL = WDTPW_HOLD;
    PM5CTL0 &= (uint16_t)~1u;              /* unlock GPIOs after power-up */
    FRCTL0 = FRCTLPW | 0x0010u;            /* one FRAM wait state for 16 MHz */
    CSCTL0 = CSKEY;
    CSCTL1 = 0x0046u;                      /* DCO 16 MHz (DCORSEL | DCOFSEL_4) */
    CSCTL2 = 0x0033u;                      /* ACLK=VLO, SMCLK=MCLK=DCO */
    CSCTL3 = 0x0000u;                      /* dividers 1 */
    P1DIR |= DONE_BIT;
    P1OUT &= (uint8_t)~DONE_BIT;
    P5DIR |= FRAM_CS_BIT | YIELD_BIT;
    P5OUT |= FRAM_CS_BIT;
    P5OUT &= (uint8_t)~YIELD_BIT;
    P5SEL0 |= 0x07u;                       /* UCB1 SIMO, SOMI, CLK */
    UCB1CTLW0 = UCSWRST;
    UCB1CTLW0 |= 0xA980u;                  /* clock phase, MSB first, master, synchronous, SMCLK */
    UCB1BRW = 4;
    UCB1CTLW0 &= (uint16_t)~UCSWRST;
    P2SEL1 |= 0x03u;                       /* UCA0 TXD/RXD */
    UCA0CTLW0 = UCSWRST | 0x0080u;         /* SMCLK */
    UCA0BRW = 8;                           /* 16 MHz / 115200 with oversampling */
    UCA0MCTLW = 0xF7A1u;
    UCA0CTLW0 &= (uint16_t)~UCSWRST;
    TA0CTL = 0x0224u;                      /* SMCLK, continuous, clear */
    timer_hi = 0;
}

void hal_nvm_read(uint32_t addr, void *dst, uint16_t n)
{
    uint8_t *d = dst;
    fram_cmd(0x03, addr);
    while (n--) *d++ = spi_xfer(0xFF);
    P5OUT |= FRAM_CS_BIT;
}

void hal_nvm_write(uint32_t addr, const void *src, uint16_t n)
{
    const uint8_t *s = src;
    P5OUT &= (uint8_t)~FRAM_CS_BIT;
    spi_xfer(0x06);                        /* WREN */
    P5OUT |= FRAM_CS_BIT;
    fram_cmd(0x02, addr);
    while (n--) spi_xfer(*s++);
    P5OUT |= FRAM_CS_BIT;
}

int32_t hal_vmac_q15(const int16_t *a, const int16_t *b, uint16_t n)
{
    RESLO = 0;
    RESHI = 0;
    for (uint16_t i = 0; i < n; i++) {
        MACS = (uint16_t)a[i];
        OP2 = (uint16_t)b[i];
    }
    return (int32_t)(((uint32_t)RESHI << 16) | RESLO);
}

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
    P5OUT |= YIELD_BIT;
    for (;;) __asm__ volatile("bis #0x10, r2"); /* sleep until the supply cuts power */
}

void hal_done(uint16_t status)
{
    (void)status;
    P1OUT |= DONE_BIT;
    for (;;) __asm__ volatile("bis #0x10, r2");
}

void hal_fatal(uint16_t code)
{
    for (;;) {
        P1OUT ^= DONE_BIT;
        for (volatile uint32_t i = 0; i < 100000UL + code; i++) {}
    }
}
