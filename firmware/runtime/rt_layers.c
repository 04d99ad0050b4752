/*
 * rt_layers.c - one tile of each layer kind, bit-exact with tinas/quant/ops.py.
 *
 * Partial sums (int32) live in NVM in two halves; a tile of reduction slice k reads half k%2 and
 * writes half (k+1)%2, so re-running a tile after a power failure reads exactly what it read the
 * first time. Final outputs go to the layer's own output buffer, never to one of its inputs.
 */
#include "hal.h"
#include "rt_config.h"
#include "rt_counters.h"
#include "rt_q15.h"
#include "rt_runtime.h"

static int16_t vm[RT_VM_WORDS] RT_VM_ATTR; /* IFM tile then weight tile (fr5994: in LEA RAM) */
static int32_t stage[RT_MAX_TM];     /* the accumulators of one output pixel */
static int16_t stage16[RT_MAX_TM];

static uint16_t ceil_div(uint16_t a, uint16_t b) { return (uint16_t)((a + b - 1u) / b); }
static uint16_t min16(uint16_t a, uint16_t b) { return a < b ? a : b; }

void rt_grid_of(const rt_layer *L, rt_grid *g)
{
    if (L->kind == RT_GAP) {
        g->Rt = ceil_div(L->in_h, L->Tr);
        g->Ct = ceil_div(L->in_w, L->Tc);
    } else {
        g->Rt = ceil_div(L->out_h, L->Tr);
        g->Ct = ceil_div(L->out_w, L->Tc);
    }
    g->Mt = ceil_div(L->out_c, L->Tm);
    g->Nt = (L->kind == RT_CONV || L->kind == RT_FC) ? ceil_div(L->in_c, L->Tn) : 1;
    g->total = (uint32_t)g->Rt * g->Ct * g->Mt * g->Nt;
}

void rt_tile_of(const rt_layer *L, const rt_grid *g, uint32_t t, rt_tile *o)
{
    if (L->kind == RT_GAP) { /* channel group outer, spatial slices inner (they are the reduction) */
        uint32_t k = t % ((uint32_t)g->Rt * g->Ct);
        o->m = (uint16_t)(t / ((uint32_t)g->Rt * g->Ct));
        o->r = (uint16_t)(k / g->Ct);
        o->c = (uint16_t)(k % g->Ct);
        o->n = (uint16_t)k;
        return;
    }
    switch (L->order) {
    case RT_REUSE_I: /* r, c, n outer; m innermost: the IFM tile is reused across output channels */
        o->m = (uint16_t)(t % g->Mt); t /= g->Mt;
        o->n = (uint16_t)(t % g->Nt); t /= g->Nt;
        o->c = (uint16_t)(t % g->Ct); t /= g->Ct;
        o->r = (uint16_t)t;
        break;
    case RT_REUSE_W: /* m, n outer; spatial innermost: the weight tile is reused across positions */
        o->c = (uint16_t)(t % g->Ct); t /= g->Ct;
        o->r = (uint16_t)(t % g->Rt); t /= g->Rt;
        o->n = (uint16_t)(t % g->Nt); t /= g->Nt;
        o->m = (uint16_t)t;
        break;
    default: /* reuse_O: r, c, m outer; input-channel slices innermost: the output tile stays */
        o->n = (uint16_t)(t % g->Nt); t /= g->Nt;
        o->m = (uint16_t)(t % g->Mt); t /= g->Mt;
        o->c = (uint16_t)(t % g->Ct); t /= g->Ct;
        o->r = (uint16_t)t;
        break;
    }
}

static uint32_t psum_addr(const rt_header *H, const rt_layer *L, uint16_t parity, uint32_t elem)
{
    uint32_t half = (uint32_t)L->out_c * L->out_h * L->out_w * 4u;
    return H->psum_off + parity * half + elem * 4u;
}

static void conv_tile(const rt_header *H, const rt_layer *L, const rt_grid *g, const rt_tile *t)
{
    const uint8_t dw = L->kind == RT_DW;
    const uint16_t s = L->stride;
    const uint16_t pad_h = L->pad, pad_w = (L->flags & RT_FLAG_ONE_D) ? 0 : L->pad;
    const uint16_t r0 = (uint16_t)(t->r * L->Tr), c0 = (uint16_t)(t->c * L->Tc), m0 = (uint16_t)(t->m * L->Tm);
    const uint16_t tr = min16(L->Tr, (uint16_t)(L->out_h - r0)), tc = min16(L->Tc, (uint16_t)(L->out_w - c0));
    const uint16_t tm = min16(L->Tm, (uint16_t)(L->out_c - m0));
    const uint16_t n0 = dw ? m0 : (uint16_t)(t->n * L->Tn);
    const uint16_t tn = dw ? tm : min16(L->Tn, (uint16_t)(L->in_c - n0));
    const uint16_t tri = (uint16_t)((tr - 1u) * s + L->kh), tci = (uint16_t)((tc - 1u) * s + L->kw);
    const uint8_t first = t->n == 0, last = (uint16_t)(t->n + 1u) == g->Nt;
    uint32_t in_words = (uint32_t)tri * tci * tn;
    uint32_t w_words = dw ? (uint32_t)L->kh * L->kw * tm : (uint32_t)L->kh * L->kw * tm * tn;
    if (in_words + w_words > RT_VM_WORDS || tm > RT_MAX_TM) hal_fatal(HAL_FATAL_TOO_LARGE);
    int16_t *ib = vm, *wb = vm + in_words;

    /* fetch the IFM tile: one NVM command per pixel (zeros for padding); tile-local offsets fit in
     * 16 bits (they index the VM buffer), NVM addresses are stepped by addition, not multiplication */
    const uint32_t row_bytes = (uint32_t)L->in_w * L->in_c * 2u, pix_bytes = (uint32_t)L->in_c * 2u;
    int16_t *dst = ib;
    for (uint16_t i = 0; i < tri; i++) {
        int16_t row = (int16_t)(r0 * s + i) - (int16_t)pad_h;
        int16_t col = (int16_t)(c0 * s) - (int16_t)pad_w;
        uint8_t row_ok = row >= 0 && row < (int16_t)L->in_h;
        uint32_t a = L->in_off + (row_ok ? (uint32_t)row * row_bytes : 0u) + (uint32_t)n0 * 2u;
        if (row_ok && col > 0) a += (uint32_t)col * pix_bytes;
        for (uint16_t j = 0; j < tci; j++, col++, dst += tn) {
            if (!row_ok || col < 0 || col >= (int16_t)L->in_w) {
                for (uint16_t k = 0; k < tn; k++) dst[k] = 0;
                rt_cnt.op_zero += tn;
            } else {
                rt_nvm_read(a, dst, (uint16_t)(tn * 2u));
                a += pix_bytes;
            }
        }
    }
    /* fetch the weight tile: HWNC [kh][kw][M][N] (DW: [kh][kw][M]) */
    {
        int16_t *wd = wb;
        for (uint16_t tap = 0; tap < (uint16_t)(L->kh * L->kw); tap++) {
            uint32_t a = L->w_off + ((uint32_t)tap * L->out_c + m0) * (dw ? 2u : pix_bytes) + (dw ? 0u : (uint32_t)n0 * 2u);
            if (dw) {
                rt_nvm_read(a, wd, (uint16_t)(tm * 2u));
                wd += tm;
            } else {
                for (uint16_t m = 0; m < tm; m++, wd += tn, a += pix_bytes) rt_nvm_read(a, wd, (uint16_t)(tn * 2u));
            }
        }
    }
    /* compute output pixels of the tile, one Tm-vector at a time */
    const uint16_t wstep = dw ? 1u : tn, tapw = (uint16_t)(tm * wstep);
    for (uint16_t r = 0; r < tr; r++) {
        uint32_t pix = ((uint32_t)(r0 + r) * L->out_w + c0) * L->out_c + m0;
        for (uint16_t c = 0; c < tc; c++, pix += L->out_c) {
            if (first)
                rt_nvm_read(L->b_off + (uint32_t)m0 * 4u, stage, (uint16_t)(tm * 4u));
            else
                rt_nvm_read(psum_addr(H, L, t->n & 1u, pix), stage, (uint16_t)(tm * 4u));
            for (uint16_t a = 0; a < L->kh; a++) {
                int16_t row = (int16_t)((r0 + r) * s + a) - (int16_t)pad_h;
                if (row < 0 || row >= (int16_t)L->in_h) continue;
                const int16_t *xrow = ib + (uint16_t)((uint16_t)(r * s + a) * tci) * tn;
                const int16_t *wtap = wb + (uint16_t)(a * L->kw) * tapw;
                for (uint16_t b = 0; b < L->kw; b++, wtap += tapw) {
                    int16_t col = (int16_t)((c0 + c) * s + b) - (int16_t)pad_w;
                    if (col < 0 || col >= (int16_t)L->in_w) continue;
                    const int16_t *x = xrow + (uint16_t)(c * s + b) * tn;
                    const int16_t *w = wtap;
                    if (dw) {
                        for (uint16_t m = 0; m < tm; m++)
                            stage[m] = (int32_t)((uint32_t)stage[m] + (uint32_t)rt_vmac(x + m, w + m, 1));
                    } else {
                        for (uint16_t m = 0; m < tm; m++, w += tn)
                            stage[m] = (int32_t)((uint32_t)stage[m] + (uint32_t)rt_vmac(x, w, tn));
                    }
                }
            }
            if (last) {
                rt_cnt.op_requant += tm;
                for (uint16_t m = 0; m < tm; m++) stage16[m] = rt_sat16(rt_rshift_round(stage[m], L->shift));
                rt_nvm_write(L->out_off + pix * 2u, stage16, (uint16_t)(tm * 2u));
            } else {
                rt_nvm_write(psum_addr(H, L, (uint16_t)((t->n + 1u) & 1u), pix), stage, (uint16_t)(tm * 4u));
            }
        }
    }
}

static void elementwise_tile(const rt_layer *L, const rt_tile *t)
{
    const uint16_t r0 = (uint16_t)(t->r * L->Tr), c0 = (uint16_t)(t->c * L->Tc), m0 = (uint16_t)(t->m * L->Tm);
    const uint16_t tr = min16(L->Tr, (uint16_t)(L->out_h - r0)), tc = min16(L->Tc, (uint16_t)(L->out_w - c0));
    const uint16_t tm = min16(L->Tm, (uint16_t)(L->out_c - m0));
    if ((uint32_t)tm * 2u > RT_VM_WORDS || tm > RT_MAX_TM) hal_fatal(HAL_FATAL_TOO_LARGE);
    int16_t *a = vm, *b = vm + tm;
    for (uint16_t r = 0; r < tr; r++) {
        uint32_t e = ((uint32_t)(r0 + r) * L->out_w + c0) * L->out_c + m0;
        for (uint16_t c = 0; c < tc; c++, e += L->out_c) {
            rt_nvm_read(L->in_off + e * 2u, a, (uint16_t)(tm * 2u));
            if (L->kind == RT_ADD) {
                rt_nvm_read(L->in2_off + e * 2u, b, (uint16_t)(tm * 2u));
                rt_cnt.op_add += tm;
                for (uint16_t m = 0; m < tm; m++)
                    a[m] = rt_sat16(rt_rshift_round(a[m], L->shift) + rt_rshift_round(b[m], L->shift_b));
            } else {
                rt_cnt.op_relu += tm;
                for (uint16_t m = 0; m < tm; m++)
                    if (a[m] < 0) a[m] = 0;
            }
            rt_nvm_write(L->out_off + e * 2u, a, (uint16_t)(tm * 2u));
        }
    }
}

static void gap_tile(const rt_header *H, const rt_layer *L, const rt_grid *g, const rt_tile *t)
{
    const uint16_t r0 = (uint16_t)(t->r * L->Tr), c0 = (uint16_t)(t->c * L->Tc), m0 = (uint16_t)(t->m * L->Tm);
    const uint16_t tr = min16(L->Tr, (uint16_t)(L->in_h - r0)), tc = min16(L->Tc, (uint16_t)(L->in_w - c0));
    const uint16_t tm = min16(L->Tm, (uint16_t)(L->out_c - m0));
    const uint16_t k = t->n, slices = (uint16_t)(g->Rt * g->Ct);
    if (tm > RT_VM_WORDS || tm > RT_MAX_TM) hal_fatal(HAL_FATAL_TOO_LARGE);
    if (k == 0) {
        for (uint16_t m = 0; m < tm; m++) stage[m] = 0;
        rt_cnt.op_zero += tm;
    } else
        rt_nvm_read(psum_addr(H, L, k & 1u, m0), stage, (uint16_t)(tm * 4u));
    for (uint16_t r = 0; r < tr; r++) {
        uint32_t e = ((uint32_t)(r0 + r) * L->in_w + c0) * L->in_c + m0;
        for (uint16_t c = 0; c < tc; c++, e += L->in_c) {
            rt_nvm_read(L->in_off + e * 2u, vm, (uint16_t)(tm * 2u));
            rt_cnt.op_gap += tm;
            for (uint16_t m = 0; m < tm; m++) stage[m] = (int32_t)((uint32_t)stage[m] + (uint32_t)(int32_t)vm[m]);
        }
    }
    if ((uint16_t)(k + 1u) == slices) {
        int32_t hw = (int32_t)L->in_h * L->in_w;
        rt_cnt.op_div += tm;
        rt_cnt.op_requant += tm;
        /* up to 256 software divisions without another HAL call: hal_keep_time() in each keeps a port whose
         * cycle counter is a 16-bit timer extended by polling (fr5994) from missing a wrap */
        for (uint16_t m = 0; m < tm; m++) {
            stage16[m] = rt_sat16(rt_rshift_round(rt_div_round(stage[m], hw), L->shift));
            hal_keep_time();
        }
        rt_nvm_write(L->out_off + (uint32_t)m0 * 2u, stage16, (uint16_t)(tm * 2u));
    } else {
        rt_nvm_write(psum_addr(H, L, (uint16_t)((k + 1u) & 1u), m0), stage, (uint16_t)(tm * 4u));
    }
}

void rt_run_tile(const rt_header *H, const rt_layer *L, const rt_grid *g, const rt_tile *t)
{
    switch (L->kind) {
    case RT_CONV: case RT_DW: case RT_FC: conv_tile(H, L, g, t); break;
    case RT_RELU: case RT_ADD: elementwise_tile(L, t); break;
    case RT_GAP: gap_tile(H, L, g, t); break;
    default: hal_fatal(HAL_FATAL_BAD_LAYER);
    }
}
