/*
 * rt_counters.h - per-layer primitive counters of the runtime (port-independent).
 *
 * The runtime counts its own primitive operations around the HAL calls, so every port reports the same
 * counts and the firmware cost model (tinas/cost/firmware_model.py) can be held equal to them. Counts are
 * of COMMITTED work: the accumulator of the current layer is written to NVM with every progress commit
 * (double-buffered by the commit's parity, like the progress slots), and recovery reloads it, so work
 * lost to a power failure and run again is counted once. Boots are counted per layer (the layer a boot
 * resumed in). The engine's own NVM traffic (header, layer table, slots, these counters) is not counted
 * as NVM commands: it is priced per commit, per layer and per boot.
 *
 * NVM: at ctrl_off + sizeof(rt_ctrl): two accumulators, then one finished entry per layer.
 */
#ifndef TINAS_RT_COUNTERS_H
#define TINAS_RT_COUNTERS_H

#include <stdint.h>
#include "hal.h"
#include "rt_model.h"

#define RT_CNT_VERSION 1u

typedef struct {
    uint16_t layer, boots;  /* layer index; boots that resumed in this layer (first boot: layer 0) */
    uint32_t boot_prev;     /* boot count at the previous layer's last commit: boots = now - boot_prev */
    uint32_t tiles;         /* tiles run */
    uint32_t commits;       /* progress commits (preservation batches) */
    uint32_t rd_cmds, rd_bytes;   /* NVM reads by the layer's tiles */
    uint32_t wr_cmds, wr_bytes;   /* NVM writes by the layer's tiles */
    uint32_t mac_calls, mac_elems; /* vector MACs (hal_vmac_q15) and their total length */
    uint32_t op_requant;    /* elements requantised (round-shift, saturate) */
    uint32_t op_relu;       /* elements clamped by RELU */
    uint32_t op_add;        /* elements added by ADD (two shifts, add, saturate) */
    uint32_t op_gap;        /* elements accumulated by global average pooling */
    uint32_t op_zero;       /* zero elements written for padding (IFM tile) and GAP accumulators */
    uint32_t op_div;        /* divisions (GAP mean) */
    uint32_t cycles_compute; /* hal_cycles_now() around rt_run_tile */
    uint32_t cycles_preserve; /* commit and bookkeeping after a batch */
} rt_counters;

_Static_assert(sizeof(rt_counters) == 72, "rt_counters layout");

extern rt_counters rt_cnt;

/* NVM bytes the counters need for a model of n layers (the exporter reserves them after rt_ctrl). */
#define RT_CNT_NVM_BYTES(n) ((uint32_t)(2u + (n)) * (uint32_t)sizeof(rt_counters))

/* Counted wrappers of the HAL calls used by the layer kernels. */
static inline void rt_nvm_read(uint32_t addr, void *dst, uint16_t n)
{
    rt_cnt.rd_cmds++;
    rt_cnt.rd_bytes += n;
    hal_nvm_read(addr, dst, n);
}

static inline void rt_nvm_write(uint32_t addr, const void *src, uint16_t n)
{
    rt_cnt.wr_cmds++;
    rt_cnt.wr_bytes += n;
    hal_nvm_write(addr, src, n);
}

static inline int32_t rt_vmac(const int16_t *a, const int16_t *b, uint16_t n)
{
    rt_cnt.mac_calls++;
    rt_cnt.mac_elems += n;
    return hal_vmac_q15(a, b, n);
}

/* Engine hooks (rt_engine.c). */
/* boot_count: the persistent boot counter (rt_ctrl) of this boot. Boots of a layer are those between the
 * previous layer's last commit (exclusive) and its own last commit (inclusive), so a boot that committed
 * nothing is still counted, in the layer it resumed in. */
void rt_cnt_recover(const rt_header *H, int parity, uint16_t layer, uint32_t boot_count); /* parity < 0: nothing committed */
void rt_cnt_layer_start(uint16_t layer, uint32_t boot_count); /* a layer begins at tile 0 in this boot */
void rt_cnt_commit(const rt_header *H, uint32_t seq, uint32_t boot_count); /* before commit seq's slot is written */
void rt_cnt_layer_end(const rt_header *H);              /* writes the finished entry to NVM (no UART: see rt_engine.c) */
void rt_cnt_report(const rt_header *H, uint16_t layer); /* sends a finished entry as a LAYER frame */

#endif
