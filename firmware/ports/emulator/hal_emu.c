/*
 * hal_emu.c - the HAL for the MSP430 ELF running in mspdebug sim.
 *
 * The simulator has no SPI, DMA, LEA or timer at the FR5994's addresses, so:
 *  - external NVM is a window of simulator memory (EMU_NVM_BASE), untouched by the SRAM wipe of a
 *    power failure; copies run on the CPU (counted by the tracer) and the modelled SPI/DMA time of
 *    each command is added to hal_emu_modelled_cycles, which the harness reads;
 *  - the vector MAC runs in software on the CPU;
 *  - hal_cycles_now, hal_uart_write, hal_power_yield, hal_done and hal_fatal are hypercalls: the
 *    harness breakpoints them, serves them in Python and returns. Their C bodies are what runs when
 *    the harness replays a power cycle by single-stepping (no breakpoints), and must not touch NVM.
 */
#include <stdint.h>
#include "hal.h"
#include "port_config.h"

volatile uint32_t hal_emu_modelled_cycles; /* SRAM: restarts at 0 each boot, like the power cycle */
volatile uint16_t hal_emu_status;

#define NOINLINE __attribute__((noinline, used))

void hal_init(void) { hal_emu_modelled_cycles = 0; }

static void check(uint32_t addr, uint16_t n)
{
    if (addr + n > EMU_NVM_SIZE) hal_fatal(HAL_FATAL_TOO_LARGE);
}

void hal_nvm_read(uint32_t addr, void *dst, uint16_t n)
{
    check(addr, n);
    const uint8_t *s = (const uint8_t *)(uintptr_t)(EMU_NVM_BASE + (uint16_t)addr);
    uint8_t *d = dst;
    for (uint16_t i = 0; i < n; i++) d[i] = s[i];
    hal_emu_modelled_cycles += EMU_DMA_RD_CMD_CYCLES + (uint32_t)(n >> 1) * EMU_DMA_RD_EL_CYCLES;
}

void hal_nvm_write(uint32_t addr, const void *src, uint16_t n)
{
    check(addr, n);
    uint8_t *d = (uint8_t *)(uintptr_t)(EMU_NVM_BASE + (uint16_t)addr);
    const uint8_t *s = src;
    for (uint16_t i = 0; i < n; i++) d[i] = s[i]; /* byte stores: a power failure can tear anywhere */
    hal_emu_modelled_cycles += EMU_DMA_WR_CMD_CYCLES + (uint32_t)(n >> 1) * EMU_DMA_WR_EL_CYCLES;
}

/* 16x16 -> 32 signed multiply by shift-and-add (the classic MSP430 core has no multiplier here). */
static int32_t mul16s(int16_t a, int16_t b)
{
    uint16_t ub = b < 0 ? (uint16_t)(0u - (uint16_t)b) : (uint16_t)b;
    uint32_t ua = a < 0 ? (uint32_t)(0u - (uint32_t)(int32_t)a) : (uint32_t)a, r = 0;
    while (ub) {
        if (ub & 1u) r += ua;
        ua <<= 1;
        ub >>= 1;
    }
    return ((a < 0) != (b < 0)) ? (int32_t)(0u - r) : (int32_t)r;
}

int32_t hal_vmac_q15(const int16_t *a, const int16_t *b, uint16_t n)
{
    uint32_t acc = 0;
    for (uint16_t i = 0; i < n; i++) acc += (uint32_t)mul16s(a[i], b[i]);
    return (int32_t)acc;
}

NOINLINE uint32_t hal_cycles_now(void) { return 0; }          /* hypercall: harness returns cycles */
NOINLINE void hal_uart_write(const uint8_t *buf, uint16_t n) { (void)buf; (void)n; } /* hypercall */
NOINLINE uint16_t hal_uart_read(uint8_t *buf, uint16_t n) { (void)buf; (void)n; return 0; } /* hypercall */
NOINLINE void hal_power_yield(void) { __asm__ volatile("nop"); } /* hypercall: power off here */
NOINLINE void hal_done(uint16_t status)
{
    hal_emu_status = status;
    for (;;) __asm__ volatile("bis #0x10, r2");
}
NOINLINE void hal_fatal(uint16_t code)
{
    hal_emu_status = (uint16_t)(0x100u | code);
    for (;;) __asm__ volatile("bis #0x10, r2");
}
