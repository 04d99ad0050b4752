/* fr5994 port configuration: the MSP430FR5994 LaunchPad, and the same ELF on the FR5994 twin. */
#ifndef TINAS_PORT_CONFIG_H
#define TINAS_PORT_CONFIG_H
#define FRAM_CS_BIT 0x08u /* P5.3: chip select of the external SPI FRAM (CY15B108QI), active low */
#define DONE_BIT 0x01u    /* P1.0: LED1, high when the inference is done */
#define YIELD_BIT 0x01u   /* P5.0: raised for a proactive shutdown (the original's EHM shutdown line) */
/* The runtime's tile buffer lives in LEA RAM (section .learam at 0x2C00, fr5994.ld), 4-byte aligned, so
 * vector-MAC operands need no copy when their length is even. */
#define RT_VM_ATTR __attribute__((section(".learam"), aligned(4)))
/* Vectors shorter than this run on MPY32 instead of LEA. Measured on the FR5994 twin (microbenchmark
 * image, operands in LEA RAM): MPY32 path ~261 + 52 n cycles, LEA path ~785 + 1.5 n cycles per call,
 * crossing at n ~ 10. Depthwise taps (n = 1) and first layers (Tn = 1..9) take MPY32. Same arithmetic
 * either way (hal.h). */
#define FR5994_LEA_MIN_N 10u
/* Padding buffers in LEA RAM for odd-length or unaligned MACs (words each, incl. the zero pad). */
#define FR5994_PAD_WORDS 432u
#endif
