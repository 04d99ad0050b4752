/* fr5994_regs.h - the few MSP430FR5994 registers the fr5994 port uses (addresses from the datasheet,
 * SLASE54), so the build needs no TI header. */
#ifndef TINAS_FR5994_REGS_H
#define TINAS_FR5994_REGS_H
#include <stdint.h>
#define REG16(a) (*(volatile uint16_t *)(uintptr_t)(a))
#define REG8(a) (*(volatile uint8_t *)(uintptr_t)(a))

#define WDTCTL REG16(0x015C)
#define PM5CTL0 REG16(0x0130)
#define FRCTL0 REG16(0x0140)
#define CSCTL0 REG16(0x0160)
#define CSCTL1 REG16(0x0162)
#define CSCTL2 REG16(0x0164)
#define CSCTL3 REG16(0x0166)
#define P1OUT REG8(0x0202)
#define P1DIR REG8(0x0204)
#define P1SEL0 REG8(0x020A)
#define P1SEL1 REG8(0x020C)
#define P2SEL0 REG8(0x020B)
#define P2SEL1 REG8(0x020D)
#define P5OUT REG8(0x0242)
#define P5DIR REG8(0x0244)
#define P5SEL0 REG8(0x024A)
#define P5SEL1 REG8(0x024C)
#define TA0CTL REG16(0x0340)
#define TA0R REG16(0x0350)
#define MACS REG16(0x04C6)
#define OP2 REG16(0x04C8)
#define RESLO REG16(0x04CA)
#define RESHI REG16(0x04CC)
#define UCA0CTLW0 REG16(0x05C0)
#define UCA0BRW REG16(0x05C6)
#define UCA0MCTLW REG16(0x05C8)
#define UCA0TXBUF REG16(0x05CE)
#define UCA0RXBUF REG16(0x05CC)
#define UCA0IFG REG16(0x05DC)
#define UCB1CTLW0 REG16(0x0680)
#define UCB1BRW REG16(0x0686)
#define UCB1RXBUF REG16(0x068C)
#define UCB1TXBUF REG16(0x068E)
#define UCB1IFG REG16(0x06AC)

#define WDTPW_HOLD 0x5A80u
#define CSKEY 0xA500u
#define FRCTLPW 0xA500u
#define UCSWRST 0x0001u
#define UCTXIFG 0x0002u
#define UCRXIFG 0x0001u
#define TAIFG 0x0001u
#endif
