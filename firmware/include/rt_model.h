/*
 * rt_model.h - the model artifact as it lies in NVM (the model artifact record of docs/architecture.md).
 *
 * The layout is defined once in tinas/export/layout.py; tests/test_export_layout.py compiles this
 * header and checks every offset and size against it.
 */
#ifndef TINAS_RT_MODEL_H
#define TINAS_RT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define RT_MODEL_MAGIC 0x4C484E54UL /* "TNHL" */
#define RT_MODEL_VERSION 1u

enum rt_kind { RT_CONV = 0, RT_DW = 1, RT_FC = 2, RT_RELU = 3, RT_ADD = 4, RT_GAP = 5 };
enum rt_order { RT_REUSE_I = 0, RT_REUSE_W = 1, RT_REUSE_O = 2 };
#define RT_FLAG_PROACTIVE 0x0001u /* header flag: shut down after every committed batch */
#define RT_FLAG_ONE_D 0x01u       /* layer flag: 1-D convolution (padding along H only) */

typedef struct {
    uint32_t magic;
    uint16_t version;
    uint16_t n_layers;
    uint32_t table_off;
    uint32_t blob_size;
    uint32_t input_off;
    uint32_t psum_off;
    uint32_t ctrl_off;
    uint32_t out_off;
    uint16_t out_len;
    uint16_t flags;
    uint32_t crc32; /* of the blob with this field zeroed */
} rt_header;

typedef struct {
    uint8_t kind, order, S, flags;
    uint16_t in_c, in_h, in_w, out_c, out_h, out_w;
    uint8_t kh, kw, stride, pad;
    uint16_t Tr, Tc, Tm, Tn;
    uint8_t shift, shift_b;
    uint16_t reserved;
    uint32_t in_off, in2_off, out_off, w_off, b_off, reserved2;
} rt_layer;

/* One of two progress slots; the valid one with the larger seq says where to resume. */
typedef struct {
    uint32_t seq;
    uint16_t layer;
    uint16_t reserved;
    uint32_t tile;  /* next tile to run */
    uint32_t check; /* rt_slot_check(seq, layer, tile) */
} rt_slot;

typedef struct {
    rt_slot slot[2];
    uint32_t boot_count;
    uint32_t done;
    uint32_t compute_cycles;
    uint32_t preserve_cycles;
    uint32_t recover_cycles;
    uint32_t output_crc;
    uint32_t tiles_done;
    uint32_t reported; /* layers whose counters were sent after the inference (the report resumes here) */
} rt_ctrl;

_Static_assert(sizeof(rt_header) == 40, "rt_header layout");
_Static_assert(sizeof(rt_layer) == 56, "rt_layer layout");
_Static_assert(sizeof(rt_slot) == 16, "rt_slot layout");
_Static_assert(sizeof(rt_ctrl) == 64, "rt_ctrl layout");
_Static_assert(offsetof(rt_layer, Tr) == 20, "rt_layer.Tr");
_Static_assert(offsetof(rt_layer, in_off) == 32, "rt_layer.in_off");
_Static_assert(offsetof(rt_ctrl, boot_count) == 32, "rt_ctrl.boot_count");
_Static_assert(offsetof(rt_ctrl, reported) == 60, "rt_ctrl.reported");

#endif
