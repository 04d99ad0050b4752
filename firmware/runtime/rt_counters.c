/* rt_counters.c - the per-layer counters' persistence and report (see rt_counters.h). */
#include "rt_counters.h"
#include "rt_frame.h"

rt_counters rt_cnt;

static uint32_t area(const rt_header *H, uint32_t k) { return H->ctrl_off + (uint32_t)sizeof(rt_ctrl) + k * (uint32_t)sizeof(rt_counters); }

static void zero(uint16_t layer, uint32_t boot_prev)
{
    uint8_t *p = (uint8_t *)&rt_cnt;
    for (uint16_t i = 0; i < sizeof rt_cnt; i++) p[i] = 0;
    rt_cnt.layer = layer;
    rt_cnt.boot_prev = boot_prev;
}

void rt_cnt_recover(const rt_header *H, int parity, uint16_t layer, uint32_t boot_count)
{
    if (parity < 0) {
        zero(layer, 0);
    } else {
        hal_nvm_read(area(H, (uint32_t)parity), &rt_cnt, sizeof rt_cnt);
        if (rt_cnt.layer != layer) {
            /* the last commit finished the previous layer: make sure its entry exists, start afresh */
            if (rt_cnt.layer < H->n_layers) hal_nvm_write(area(H, 2u + rt_cnt.layer), &rt_cnt, sizeof rt_cnt);
            zero(layer, rt_cnt.boot_prev + rt_cnt.boots);
        }
    }
    rt_cnt.boots = (uint16_t)(boot_count - rt_cnt.boot_prev);
}

void rt_cnt_layer_start(uint16_t layer, uint32_t boot_count)
{
    if (rt_cnt.layer == layer) return;
    zero(layer, boot_count);
}

void rt_cnt_commit(const rt_header *H, uint32_t seq, uint32_t boot_count)
{
    rt_cnt.commits++;
    rt_cnt.boots = (uint16_t)(boot_count - rt_cnt.boot_prev);
    hal_nvm_write(area(H, seq & 1u), &rt_cnt, sizeof rt_cnt);
}

void rt_cnt_layer_end(const rt_header *H)
{
    hal_nvm_write(area(H, 2u + rt_cnt.layer), &rt_cnt, sizeof rt_cnt);
}

void rt_cnt_report(const rt_header *H, uint16_t layer)
{
    rt_counters c;
    uint8_t b[3 + sizeof c];
    const uint8_t *p = (const uint8_t *)&c;
    hal_nvm_read(area(H, 2u + layer), &c, sizeof c);
    b[0] = (uint8_t)layer;
    b[1] = (uint8_t)(layer >> 8);
    b[2] = 1;
    /* little-endian on every port (MSP430 and x86), as the frame format requires */
    for (uint16_t i = 0; i < sizeof c; i++) b[3 + i] = p[i];
    rt_frame_send(RT_FRAME_LAYER, b, (uint8_t)sizeof b);
}
