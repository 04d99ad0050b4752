/* fr5994_regs.h - the MSP430FR5994 registers and bits the fr5994 port uses, so the build needs no TI
 * header. Addresses: MSP430FR599x datasheet (SLASE54D) Table 9-41 and the peripheral register tables
 * of §9.x; bit fields: MSP430FR58xx/FR59xx/FR6xx Family User's Guide (SLAU367P) register descriptions;
 * LEA: the LEA register summary of SLAU367P ch. "Low-Energy Accelerator (LEA)" as DSPLib 1.30 uses it.
 * 32-bit LEA registers are accessed through their low word (all values the port writes fit in 16 bits). */
#ifndef TINAS_FR5994_REGS_H
#define TINAS_FR5994_REGS_H
#include <stdint.h>
#define REG16(a) (*(volatile uint16_t *)(uintptr_t)(a))
#define REG8(a) (*(volatile uint8_t *)(uintptr_t)(a))

/* Watchdog (UG WDT_A), PMM, FRAM controller, clock system (UG CS) */
#define WDTCTL REG16(0x015C)
#define PM5CTL0 REG16(0x0130)
#define FRCTL0 REG16(0x0140)
#define CSCTL0 REG16(0x0160)
#define CSCTL0_H REG8(0x0161)
#define CSCTL1 REG16(0x0162)
#define CSCTL2 REG16(0x0164)
#define CSCTL3 REG16(0x0166)
#define WDTPW_HOLD 0x5A80u      /* WDTPW | WDTHOLD */
#define LOCKLPM5 0x0001u
#define FRCTLPW 0xA500u
#define NWAITS_1 0x0010u
#define CSKEY_H 0xA5u
#define DCORSEL 0x0040u
#define DCOFSEL_4 0x0008u       /* 16 MHz with DCORSEL */
#define SELA__VLOCLK 0x0100u
#define SELS__DCOCLK 0x0030u
#define SELM__DCOCLK 0x0003u

/* Digital I/O: PA = P1 (low byte) / P2 (high byte), PC = P5 / P6 */
#define P1OUT REG8(0x0202)
#define P1DIR REG8(0x0204)
#define P2SEL1 REG8(0x020D)
#define P5OUT REG8(0x0242)
#define P5DIR REG8(0x0244)
#define P5SEL0 REG8(0x024A)
#define P6SEL0 REG8(0x024B)

/* Timer_A0 (UG Timer_A) */
#define TA0CTL REG16(0x0340)
#define TA0R REG16(0x0350)
#define TASSEL__SMCLK 0x0200u
#define MC__CONTINUOUS 0x0020u
#define TACLR 0x0004u
#define TAIFG 0x0001u

/* MPY32 (UG MPY32) */
#define MPY REG16(0x04C0)
#define MPYS REG16(0x04C2)
#define MPY32L REG16(0x04D0)
#define MPY32H REG16(0x04D2)
#define OP2L REG16(0x04E0)
#define OP2H REG16(0x04E2)
#define RES0 REG16(0x04E4)
#define RES1 REG16(0x04E6)
#define OP2 REG16(0x04C8)
#define RESLO REG16(0x04CA)
#define RESHI REG16(0x04CC)

/* DMA (UG DMA controller): channel n at 0x0510 + 0x10 n */
#define DMACTL1 REG16(0x0502)   /* DMA2TSEL bits 4:0, DMA3TSEL bits 12:8 */
#define DMACTL2 REG16(0x0504)   /* DMA4TSEL bits 4:0, DMA5TSEL bits 12:8 */
#define DMA3CTL REG16(0x0540)
#define DMA3SA REG16(0x0542)    /* word write: bits 19:16 cleared (UG DMAxSA) */
#define DMA3DA REG16(0x0546)
#define DMA3SZ REG16(0x054A)
#define DMA4CTL REG16(0x0550)
#define DMA4SA REG16(0x0552)
#define DMA4DA REG16(0x0556)
#define DMA4SZ REG16(0x055A)
#define DMAIFG 0x0008u
#define DMAEN 0x0010u
#define DMADSTBYTE 0x0080u
#define DMASRCBYTE 0x0040u
#define DMASRCINCR_3 0x0300u    /* source address incremented */
#define DMADSTINCR_3 0x0C00u    /* destination address incremented */
/* DMA trigger numbers on channels 3-5 (SLASE54D Table 9-11 "DMA Trigger Assignments"; TI msp430fr5994.h
 * DMA3TSEL__UCA3RXIFG / __UCA3TXIFG). eUSCI_B1's triggers exist on channel 3 only, so B1 cannot have both an RX
 * and a TX DMA channel: the port uses eUSCI_A3, as the original TiNAS board does. */
#define DMA_TRIG_UCA3RXIFG 16u
#define DMA_TRIG_UCA3TXIFG 17u

/* eUSCI_A0 (UART) and eUSCI_B1 (SPI), UG eUSCI chapters */
#define UCA0CTLW0 REG16(0x05C0)
#define UCA0BRW REG16(0x05C6)
#define UCA0MCTLW REG16(0x05C8)
#define UCA0RXBUF REG16(0x05CC)
#define UCA0TXBUF REG16(0x05CE)
#define UCA0IFG REG16(0x05DC)
#define UCA3CTLW0 REG16(0x0620)
#define UCA3BRW REG16(0x0626)
#define UCA3STATW REG16(0x062A)
#define UCA3RXBUF REG16(0x062C)
#define UCA3TXBUF REG16(0x062E)
#define UCA3IFG REG16(0x063C)
#define UCA3RXBUF_ADDR 0x062Cu
#define UCA3TXBUF_ADDR 0x062Eu
#define UCSWRST 0x0001u
#define UCSSEL__SMCLK 0x0080u
#define UCCKPH 0x8000u
#define UCMSB 0x2000u
#define UCMST 0x0800u
#define UCSYNC 0x0100u
#define UCBUSY 0x0001u
#define UCTXIFG 0x0002u
#define UCRXIFG 0x0001u

/* LEA (base 0x0A80; 32-bit registers, low word at the address) */
#define LEACNF0 REG16(0x0A84)
#define LEACNF1 REG16(0x0A88)
#define LEACNF2 REG16(0x0A8C)
#define LEAMT REG16(0x0A94)
#define LEACMCTL REG16(0x0A9C)
#define LEAPMCTL REG16(0x0AC0)
#define LEAPMDST REG16(0x0AC4)
#define LEAPMS1 REG16(0x0AC8)
#define LEAPMS0 REG16(0x0ACC)
#define LEAPMCB REG16(0x0AD0)
#define LEAIE REG16(0x0AF4)
#define LEAIFG REG16(0x0AF8)
#define LEALPR 0x0100u
#define LEAILPM 0x0400u
#define LEACMDEN 0x0001u
#define LEAPMCMDIE 0x0010u
#define LEAPMCMDIFG 0x0010u
#define LEAITFLG1 0x0002u
#define LEACMD__MAC 0x0054u

/* Status register bits for the final low-power halt (LPM4 = CPUOFF|OSCOFF|SCG0|SCG1, GIE clear) */
#define LPM4_BITS "0xF0"
#endif
