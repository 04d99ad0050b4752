/*
 * periph.h - helpers shared by the twin's peripheral models (lea.c, dma.c, mpy32.c, eusci.c, extfram.c).
 * Not part of the core contract (twin.h); the core never includes it.
 */
#ifndef TWIN_PERIPH_H
#define TWIN_PERIPH_H

#include <stdlib.h>
#include "twin.h"

/* The PC for error messages (the instruction that made the access). */
#define PERIPH_PC(m) ((unsigned)(m)->cpu.r[0])

/* State of one module, allocated on its first reset and kept across power cycles (twin_free frees it). */
static inline void *periph_state(void **slot, size_t size)
{
    if (!*slot)
        *slot = calloc(1, size);
    return *slot;
}

/* Replace the byte of a 16-bit register that a byte access at addr touches. */
static inline uint16_t periph_merge_byte(uint16_t old, uint32_t addr, uint16_t v)
{
    return (addr & 1u) ? (uint16_t)((old & 0x00FFu) | ((v & 0xFFu) << 8)) : (uint16_t)((old & 0xFF00u) | (v & 0xFFu));
}

/* The byte of a 16-bit register value that a byte read at addr returns. */
static inline uint16_t periph_pick_byte(uint16_t word, uint32_t addr, int is_word)
{
    return is_word ? word : (uint16_t)((addr & 1u) ? (word >> 8) : (word & 0xFFu));
}

/* MCLK cycles for n cycles of the clock `which` (1 SMCLK, 2 ACLK), rounded up. */
uint64_t periph_clk_to_mclk(twin_t *m, int which, uint64_t n);

/* Counters the external FRAM keeps for tests and reports (extfram.c). */
typedef struct {
    uint64_t bytes_written, bytes_refused, bytes_read;
} extfram_stats;
const extfram_stats *extfram_get_stats(twin_t *m);
uint8_t extfram_status(twin_t *m);                /* the status register (WEL in bit 1) */

int extfram_selected(twin_t *m);                  /* chip select low now */
void eusci_cs_edge(twin_t *m);                    /* extfram_select calls it first: bytes done before the edge count */

#endif
