/* rt_runtime.h - entry point of the intermittent inference runtime and the tile interface. */
#ifndef TINAS_RT_RUNTIME_H
#define TINAS_RT_RUNTIME_H

#include <stdint.h>
#include "rt_model.h"

/* Tile grid of a layer: counts per dimension and the reduction count (input-channel slices for
 * convolutions, spatial slices for global pooling, 1 otherwise). */
typedef struct {
    uint16_t Rt, Ct, Mt, Nt;
    uint32_t total;
} rt_grid;

typedef struct {
    uint16_t r, c, m, n; /* tile indices (n: reduction slice) */
} rt_tile;

void rt_grid_of(const rt_layer *L, rt_grid *g);
void rt_tile_of(const rt_layer *L, const rt_grid *g, uint32_t t, rt_tile *out);
/* Run one tile: reads inputs (and partial sums) from NVM, writes outputs (or partial sums) to NVM.
 * Idempotent: running it again after a power failure gives the same NVM contents. */
void rt_run_tile(const rt_header *H, const rt_layer *L, const rt_grid *g, const rt_tile *t);

/* Boot, resume from the last committed progress, run to the end. Never returns. */
void rt_main(void);

#endif
