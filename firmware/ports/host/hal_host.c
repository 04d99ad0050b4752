/*
 * hal_host.c - the HAL on a PC: NVM is a memory-mapped file that survives the process, so a "power
 * failure" is simply the process exiting; the runner (hil/drivers/host_process.py) restarts it.
 *
 * Failure injection: --fail-at-write K stops the process at the K-th NVM write of this run, after
 * writing only --torn-bytes B bytes of it (default 0), with exit code HAL_EXIT_POWER_FAIL.
 *
 * --tick-clock: hal_cycles_now() counts its own calls instead of reading the wall clock, so the cycle
 * counters the runtime commits become exact counts that tests compute by hand (one tick per tile for
 * compute, per committed batch for preservation, per boot for recovery).
 * --loader: run the model loader (rt_loader.c) on stdin/stdout instead of the inference runtime.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hal.h"
#include "rt_runtime.h"

static uint8_t *nvm;
static size_t nvm_size;
static unsigned long writes, fail_at, torn_bytes;
static int yield_mode, tick_clock, loader_mode;
static uint32_t ticks;

void rt_loader(void);

static void report(void) { fprintf(stderr, "nvm_writes=%lu\n", writes); }

void hal_init(void) {}

static void check_range(uint32_t addr, uint16_t n)
{
    if ((size_t)addr + n > nvm_size) {
        fprintf(stderr, "NVM access out of range: %u+%u > %zu\n", (unsigned)addr, (unsigned)n, nvm_size);
        report();
        exit(HAL_EXIT_FATAL);
    }
}

void hal_nvm_read(uint32_t addr, void *dst, uint16_t n)
{
    check_range(addr, n);
    memcpy(dst, nvm + addr, n);
}

void hal_nvm_write(uint32_t addr, const void *src, uint16_t n)
{
    check_range(addr, n);
    writes++;
    if (fail_at && writes == fail_at) {
        size_t k = torn_bytes < n ? torn_bytes : n;
        memcpy(nvm + addr, src, k);
        msync(nvm, nvm_size, MS_SYNC);
        report();
        exit(HAL_EXIT_POWER_FAIL);
    }
    memcpy(nvm + addr, src, n);
}

/* The LEA MAC's arithmetic (hal.h): exact sum, Q31 result saturate_int32(2 * sum), then >> 1. */
int32_t hal_vmac_q15(const int16_t *a, const int16_t *b, uint16_t n)
{
    int64_t acc = 0;
    for (uint16_t i = 0; i < n; i++) acc += (int64_t)a[i] * (int64_t)b[i];
    /* saturate_int32(2*acc) >> 1 == acc clamped to [-2^30, 2^30 - 1]: 2*acc is even, so below the
     * clamp the shift is exact, and (2^31 - 1) >> 1 = 2^30 - 1, (-2^31) >> 1 = -2^30. Written as the
     * clamp to avoid C99's implementation-defined shift of negative values. */
    if (acc > 0x3FFFFFFFLL) acc = 0x3FFFFFFFLL;
    if (acc < -0x40000000LL) acc = -0x40000000LL;
    return (int32_t)acc;
}

uint32_t hal_cycles_now(void)
{
    if (tick_clock) return ticks++;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 16000000ull + (uint64_t)ts.tv_nsec * 16ull / 1000ull);
}

void hal_uart_write(const uint8_t *buf, uint16_t n)
{
    fwrite(buf, 1, n, stdout);
    if (loader_mode) fflush(stdout); /* the host waits for each acknowledgement */
}

uint16_t hal_uart_read(uint8_t *buf, uint16_t n)
{
    size_t k = fread(buf, 1, n, stdin);
    if (k == 0 && (feof(stdin) || ferror(stdin))) { /* the other end hung up: nothing more can arrive */
        fprintf(stderr, "uart closed\n");
        report();
        exit(HAL_EXIT_FATAL);
    }
    return (uint16_t)k;
}

void hal_power_yield(void)
{
    if (!yield_mode) return;
    fflush(stdout);
    msync(nvm, nvm_size, MS_SYNC);
    report();
    exit(HAL_EXIT_YIELD);
}

void hal_keep_time(void) {}   /* a 64-bit clock needs no help (and --tick-clock counts only hal_cycles_now) */
void hal_result_ready(void) {} /* the host times compute/preserve/recover with its own counters */

void hal_done(uint16_t status)
{
    fflush(stdout);
    msync(nvm, nvm_size, MS_SYNC);
    report();
    exit(status ? HAL_EXIT_FATAL : HAL_EXIT_DONE);
}

void hal_fatal(uint16_t code)
{
    fflush(stdout);
    fprintf(stderr, "fatal %u\n", (unsigned)code);
    report();
    exit(HAL_EXIT_FATAL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s NVM_FILE [--fail-at-write K] [--torn-bytes B] [--yield] [--tick-clock] [--loader]\n", argv[0]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--fail-at-write") && i + 1 < argc) fail_at = strtoul(argv[++i], 0, 10);
        else if (!strcmp(argv[i], "--torn-bytes") && i + 1 < argc) torn_bytes = strtoul(argv[++i], 0, 10);
        else if (!strcmp(argv[i], "--yield")) yield_mode = 1;
        else if (!strcmp(argv[i], "--tick-clock")) tick_clock = 1;
        else if (!strcmp(argv[i], "--loader")) loader_mode = 1;
        else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
    }
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) { perror(argv[1]); return 2; }
    struct stat st;
    fstat(fd, &st);
    nvm_size = (size_t)st.st_size;
    nvm = mmap(0, nvm_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (nvm == MAP_FAILED) { perror("mmap"); return 2; }
    if (loader_mode) rt_loader();
    else rt_main();
    return HAL_EXIT_FATAL;
}
