/* q15_probe.c - prints rt_q15.h results for values read from stdin, for the Python equivalence test,
 * and the sizes/offsets of rt_model.h for the layout test. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "rt_model.h"
#include "rt_q15.h"

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "layout")) {
        printf("header %zu layer %zu ctrl %zu\n", sizeof(rt_header), sizeof(rt_layer), sizeof(rt_ctrl));
        printf("header.out_len %zu header.crc32 %zu\n", offsetof(rt_header, out_len), offsetof(rt_header, crc32));
        printf("layer.Tr %zu layer.shift %zu layer.in_off %zu layer.b_off %zu\n", offsetof(rt_layer, Tr),
               offsetof(rt_layer, shift), offsetof(rt_layer, in_off), offsetof(rt_layer, b_off));
        printf("ctrl.boot_count %zu ctrl.done %zu ctrl.compute_cycles %zu ctrl.output_crc %zu\n",
               offsetof(rt_ctrl, boot_count), offsetof(rt_ctrl, done), offsetof(rt_ctrl, compute_cycles),
               offsetof(rt_ctrl, output_crc));
        return 0;
    }
    long x, s, d;
    while (scanf("%ld %ld %ld", &x, &s, &d) == 3)
        printf("%ld %d %ld\n", (long)rt_rshift_round((int32_t)x, (uint8_t)s), (int)rt_sat16((int32_t)x),
               (long)rt_div_round((int32_t)x, (int32_t)d));
    return 0;
}
