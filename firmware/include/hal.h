/*
 * hal.h - every hardware call the TiNAS-HIL runtime makes.
 *
 * The runtime (firmware/runtime/) is portable C99 and calls only these functions. Each port
 * (firmware/ports/<port>/) implements them once: host (native, NVM in a file, for fast sweeps) and fr5994
 * (the board, and the same ELF on the FR5994 twin). ports/template/hal_template.c lists every hook.
 *
 * NVM is the external FRAM holding the model, activations and progress. Addresses are byte offsets
 * from the start of that memory (32-bit: it is larger than the MCU's 16-bit address space).
 * What survives a power failure: everything in NVM; nothing in SRAM (the harness wipes it).
 * Tearing: an n-byte NVM write interrupted by a power failure may have written any prefix of its
 * bytes (the host port tears at any byte; the twin tears inside the SPI byte stream).
 */
#ifndef TINAS_HAL_H
#define TINAS_HAL_H

#include <stdint.h>

/* Exit codes of the host port's process, read by hil/drivers/host_process.py. */
#define HAL_EXIT_DONE 0          /* inference complete, output in NVM */
#define HAL_EXIT_POWER_FAIL 3    /* an injected power failure stopped the run; restart to resume */
#define HAL_EXIT_YIELD 4         /* proactive shutdown after a committed batch; restart to resume */
#define HAL_EXIT_FATAL 5         /* hal_fatal(): the model or state is unusable */

/* Codes for hal_fatal(). */
#define HAL_FATAL_BAD_MODEL 1    /* header magic/version/CRC wrong */
#define HAL_FATAL_TOO_LARGE 2    /* a tile does not fit the VM buffers of this build */
#define HAL_FATAL_BAD_LAYER 3    /* unknown layer kind */

/* Called first at every boot (after a reset or a power failure): clocks, pins, peripherals. */
void hal_init(void);

/* Copy n bytes from NVM address addr to dst (DMA on the board). Not interruptible halfway in effect:
 * a failure during a read only loses the read. */
void hal_nvm_read(uint32_t addr, void *dst, uint16_t n);

/* Copy n bytes from src to NVM address addr. May tear (see above). */
void hal_nvm_write(uint32_t addr, const void *src, uint16_t n);

/* One vector MAC call (the LEA MAC command, msp_mac_q15-compatible), n >= 1:
 *   exact = sum of (int32)a[i]*b[i] for i < n, computed exactly (wider than 32 bits);
 *   returns saturate_int32(2 * exact) >> 1 (arithmetic), i.e. exact clamped to [-2^30, 2^30 - 1].
 * The clamp happens once per call, so results depend on how the runtime splits a reduction into calls
 * (docs/q15-arithmetic.md; tinas/quant/ops.py mirrors the runtime's calls). a and b point into the
 * runtime's tile buffer (rt_layers.c vm), which a port may place in accelerator RAM (RT_VM_SECTION). */
int32_t hal_vmac_q15(const int16_t *a, const int16_t *b, uint16_t n);

/* A free-running cycle counter at the CPU clock (wraps at 2^32). */
uint32_t hal_cycles_now(void);

/* Write n bytes to the serial port (framed by rt_frame.c). Must not fail; may drop bytes when off. */
void hal_uart_write(const uint8_t *buf, uint16_t n);

/* Read up to n bytes from the serial port; blocks until at least one byte arrived; returns the count.
 * Used only by the model loader (rt_loader.c). */
uint16_t hal_uart_read(uint8_t *buf, uint16_t n);

/* Proactive shutdown after a committed preservation batch: the device stops here until the next
 * power-up (board/twin: raise P5.0 and sleep in LPM4; host: exit, the harness treats it as power-off). */
void hal_power_yield(void);

/* Called inside long CPU-only loops (no other HAL call for tens of thousands of cycles): a port whose
 * cycle counter is a narrow timer extended in software updates the extension here; others do nothing.
 * It must not change hal_cycles_now()'s reading. */
void hal_keep_time(void);

/* The result is in NVM: the inference's latency ends here (board/twin: P1.0 rises, the edge a logic
 * analyser or the twin's pin watch times). Telemetry (the per-layer report) follows it, outside the
 * measured inference. Returns. */
void hal_result_ready(void);

/* Inference complete (status 0) or stopped: signal it (GPIO/breakpoint/exit) and never return. */
void hal_done(uint16_t status);

/* Unrecoverable error: signal the code and never return. */
void hal_fatal(uint16_t code);

#endif
