/*
 * rt_microbench.c - microbenchmarks of the primitives the cost model is built from: NVM read and
 * write across sizes, the vector MAC across lengths, and scalar ops. Each result is a record
 * {kind u16, size u16, cycles u32} written to NVM from address 0; the harness reads them back.
 * Cycles come from hal_cycles_now() around one call (the board's Timer_A, the emulator's tracer).
 */
#include "hal.h"
#include "rt_config.h"
#include "rt_runtime.h"

enum { MB_NVM_READ = 1, MB_NVM_WRITE = 2, MB_VMAC = 3, MB_ADD = 4, MB_MUL = 5, MB_DIV = 6 };

static int16_t buf_a[128] RT_VM_ATTR, buf_b[128] RT_VM_ATTR; /* where the runtime's MAC operands live */
static uint16_t n_records;

static void record(uint16_t kind, uint16_t size, uint32_t cycles)
{
    uint16_t rec[4] = {kind, size, (uint16_t)cycles, (uint16_t)(cycles >> 16)};
    hal_nvm_write(8u + (uint32_t)n_records * 8u, rec, 8);
    n_records++;
}

static uint32_t overhead(void)
{
    uint32_t t0 = hal_cycles_now();
    return hal_cycles_now() - t0;
}

void rt_microbench(void)
{
    hal_init();
    for (uint16_t i = 0; i < 128; i++) { buf_a[i] = (int16_t)(i * 37 - 2000); buf_b[i] = (int16_t)(1000 - i * 13); }
    uint32_t ovh = overhead();
    volatile int32_t sink = 0;
    for (uint16_t n = 1; n <= 128; n = (uint16_t)(n < 8 ? n + 1 : n * 2)) {
        uint32_t t0 = hal_cycles_now();
        hal_nvm_read(4096, buf_a, (uint16_t)(n * 2u));
        record(MB_NVM_READ, n, hal_cycles_now() - t0 - ovh);
        t0 = hal_cycles_now();
        hal_nvm_write(8192, buf_b, (uint16_t)(n * 2u));
        record(MB_NVM_WRITE, n, hal_cycles_now() - t0 - ovh);
        t0 = hal_cycles_now();
        sink += hal_vmac_q15(buf_a, buf_b, n);
        record(MB_VMAC, n, hal_cycles_now() - t0 - ovh);
    }
    volatile int16_t x = 1234, y = 57;
    uint32_t t0 = hal_cycles_now();
    for (uint16_t i = 0; i < 100; i++) x = (int16_t)(x + y);
    record(MB_ADD, 100, hal_cycles_now() - t0 - ovh);
    t0 = hal_cycles_now();
    for (uint16_t i = 0; i < 100; i++) sink += (int32_t)x * y;
    record(MB_MUL, 100, hal_cycles_now() - t0 - ovh);
    t0 = hal_cycles_now();
    for (uint16_t i = 0; i < 100; i++) sink += (int32_t)x / (int16_t)(y + (int16_t)i);
    record(MB_DIV, 100, hal_cycles_now() - t0 - ovh);
    uint16_t hdr[4] = {0x424D /* "MB" */, n_records, 0, 0};
    hal_nvm_write(0, hdr, 8);
    (void)sink;
    hal_done(0);
}
