/* fr5994 port configuration (the real LaunchPad). */
#ifndef TINAS_PORT_CONFIG_H
#define TINAS_PORT_CONFIG_H
#define FRAM_CS_BIT 0x08u /* P5.3: chip select of the external SPI FRAM (CY15B108QI) */
#define DONE_BIT 0x01u    /* P1.0: LED1, high when the inference is done */
#define YIELD_BIT 0x01u   /* P5.0: raised before a proactive shutdown (the supply controller watches it) */
#endif
