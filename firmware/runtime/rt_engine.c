/*
 * rt_engine.c - boot, recovery, the layer/tile loop and progress commits.
 *
 * Progress is two slots in NVM. A commit writes the older slot with seq+1 and a check word; a write
 * torn by a power failure leaves a slot whose check fails, and recovery falls back to the other one.
 * Tiles of one preservation batch (S tiles) are committed together; a layer whose tiles carry partial
 * sums from one slice to the next commits after every tile, because re-running two slices of one
 * output tile would read a partial sum the second slice already replaced.
 */
#include "hal.h"
#include "rt_counters.h"
#include "rt_frame.h"
#include "rt_model.h"
#include "rt_runtime.h"

#if defined(RT_BROKEN_COMMIT) && defined(RT_NO_PRESERVATION)
#error "RT_BROKEN_COMMIT and RT_NO_PRESERVATION exclude each other"
#endif

#ifdef RT_NO_PRESERVATION
/* No progress preservation at all: no commits, no counters written, no recovery (every boot starts at
 * layer 0), proactive shutdown ignored. Its continuous-power latency is the honest baseline for IMO
 * (intermittency management overhead): everything else is the same code. */
#define RT_PRESERVE 0
#else
#define RT_PRESERVE 1
#endif

#ifdef RT_BROKEN_COMMIT
/* Deliberately broken preservation for the failure sweep's self-test: progress is committed BEFORE the
 * tile's output is written, so a failure in between skips the tile. The sweep must catch this. */
#define RT_COMMIT_BEFORE_TILE 1
#else
#define RT_COMMIT_BEFORE_TILE 0
#endif

static rt_header H;
static rt_ctrl C;
static uint32_t seq;

static uint32_t slot_check(uint32_t s, uint16_t layer, uint32_t tile)
{
    uint32_t h = 0x811C9DC5UL ^ s;
    h = (h ^ layer) * 16777619UL;
    h = (h ^ tile) * 16777619UL;
    return h ^ 0xA5A5A5A5UL;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint16_t n)
{
    while (n--) {
        crc ^= *p++;
        for (uint8_t i = 0; i < 8; i++) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320UL : crc >> 1;
    }
    return crc;
}

static void put32(uint8_t *b, uint32_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24); }

static void commit(uint16_t layer, uint32_t tile)
{
    if (!RT_PRESERVE) return;
    rt_slot s;
    seq++;
    s.seq = seq;
    s.layer = layer;
    s.reserved = 0;
    s.tile = tile;
    s.check = slot_check(seq, layer, tile);
    rt_cnt_commit(&H, seq, C.boot_count);
    hal_nvm_write(H.ctrl_off + (uint32_t)(seq & 1u) * sizeof(rt_slot), &s, sizeof s);
}

static void recover(uint16_t *layer, uint32_t *tile)
{
    rt_slot s[2];
    if (!RT_PRESERVE) { seq = 0; *layer = 0; *tile = 0; return; }
    hal_nvm_read(H.ctrl_off, s, sizeof s);
    int best = -1;
    for (int i = 0; i < 2; i++)
        if (s[i].check == slot_check(s[i].seq, s[i].layer, s[i].tile) && (best < 0 || s[i].seq > s[best].seq)) best = i;
    if (best < 0) { seq = 0; *layer = 0; *tile = 0; rt_cnt_recover(&H, -1, 0, C.boot_count); return; }
    seq = s[best].seq;
    *layer = s[best].layer;
    *tile = s[best].tile;
    rt_cnt_recover(&H, best, *layer, C.boot_count);
}

static void add_counter(uint32_t *field, uint32_t delta)
{
    *field += delta;
    if (!RT_PRESERVE) return;
    hal_nvm_write(H.ctrl_off + (uint32_t)((uint8_t *)field - (uint8_t *)&C), field, 4);
}

/* The result is committed (done), the inference's latency ends at hal_result_ready(); then the report:
 * each layer's counters from the NVM table, resumable (C.reported is committed after each frame, so a
 * power failure during the report neither repeats the inference nor loses a layer), then RESULT and DONE.
 * No telemetry is sent during the inference itself: 83-byte frames at 115200 Bd cost ~115 k cycles per
 * layer, a third of a small network's run, and a brown-out in the middle of one would cut it. */
static void finish(void)
{
    uint8_t buf[16];
    uint32_t crc = 0xFFFFFFFFUL;
    for (uint16_t i = 0; i < H.out_len; i++) {
        uint8_t e[2];
        hal_nvm_read(H.out_off + (uint32_t)i * 2u, e, 2);
        crc = crc32_update(crc, e, 2);
    }
    crc ^= 0xFFFFFFFFUL;
    if (!C.done) {
        C.output_crc = crc;
        hal_nvm_write(H.ctrl_off + 52u, &C.output_crc, 4);
        C.done = 1;
        hal_nvm_write(H.ctrl_off + 36u, &C.done, 4);
        if (!RT_PRESERVE) hal_nvm_write(H.ctrl_off + 40u, &C.compute_cycles, 12); /* compute, preserve, recover */
    }
    hal_result_ready();
    while (C.reported < H.n_layers) {
        rt_cnt_report(&H, (uint16_t)C.reported);
        C.reported++;
        hal_nvm_write(H.ctrl_off + 60u, &C.reported, 4);
    }
    put32(buf, crc);
    buf[4] = (uint8_t)H.out_len;
    buf[5] = (uint8_t)(H.out_len >> 8);
    rt_frame_send(RT_FRAME_RESULT, buf, 6);
    put32(buf, C.compute_cycles);
    put32(buf + 4, C.preserve_cycles);
    put32(buf + 8, C.recover_cycles);
    put32(buf + 12, C.boot_count);
    rt_frame_send(RT_FRAME_DONE, buf, 16);
    hal_done(0);
}

void rt_main(void)
{
    uint32_t t_boot = hal_cycles_now();
    hal_init();
    hal_nvm_read(0, &H, sizeof H);
    if (H.magic != RT_MODEL_MAGIC || H.version != RT_MODEL_VERSION) hal_fatal(HAL_FATAL_BAD_MODEL);
    hal_nvm_read(H.ctrl_off, &C, sizeof C);
    C.boot_count++;
    if (RT_PRESERVE) hal_nvm_write(H.ctrl_off + 32u, &C.boot_count, 4);
    {
        uint8_t b[4];
        put32(b, C.boot_count);
        rt_frame_send(RT_FRAME_BOOT, b, 4);
    }
    if (C.done) finish();

    uint16_t layer;
    uint32_t tile;
    recover(&layer, &tile);
    add_counter(&C.recover_cycles, hal_cycles_now() - t_boot);

    rt_layer L;
    rt_grid g;
    rt_tile t;
    uint8_t batch = 0;
    for (; layer < H.n_layers; layer++, tile = 0) {
        hal_nvm_read(H.table_off + (uint32_t)layer * sizeof(rt_layer), &L, sizeof L);
        rt_grid_of(&L, &g);
        uint8_t S = (g.Nt > 1 || L.kind == RT_GAP) ? 1u : (L.S ? L.S : 1u);
        if (tile == 0) rt_cnt_layer_start(layer, C.boot_count);
        for (; tile < g.total; tile++) {
            uint32_t t0 = hal_cycles_now();
            rt_tile_of(&L, &g, tile, &t);
            uint8_t ends_batch = (uint8_t)(++batch >= S || tile + 1u == g.total);
            if (RT_COMMIT_BEFORE_TILE && ends_batch) {
                if (tile + 1u == g.total) commit((uint16_t)(layer + 1u), 0); else commit(layer, tile + 1u);
            }
            rt_run_tile(&H, &L, &g, &t);
            uint32_t t1 = hal_cycles_now();
            C.compute_cycles += t1 - t0;
            rt_cnt.tiles++;
            rt_cnt.cycles_compute += t1 - t0;
            if (ends_batch) {
                batch = 0;
                if (!RT_COMMIT_BEFORE_TILE) {
                    if (tile + 1u == g.total) commit((uint16_t)(layer + 1u), 0); else commit(layer, tile + 1u);
                }
                if (RT_PRESERVE) hal_nvm_write(H.ctrl_off + 40u, &C.compute_cycles, 4);
                uint32_t dp = hal_cycles_now() - t1;
                add_counter(&C.preserve_cycles, dp);
                rt_cnt.cycles_preserve += dp;
                if (tile + 1u == g.total) rt_cnt_layer_end(&H); /* before a proactive shutdown */
                if (RT_PRESERVE && (H.flags & RT_FLAG_PROACTIVE)) hal_power_yield();
            }
        }
    }
    finish();
}
