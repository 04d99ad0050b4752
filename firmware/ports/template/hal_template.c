/*
 * hal_template.c - every hook a new port must implement (see include/hal.h for the contract of each).
 * Copy this folder to ports/<name>/, add a port_config.h, fill the bodies, and build with
 * hil.build.build_firmware("<name>") after adding the name to hil/build.py's PORTS.
 */
#include "hal.h"

void hal_init(void) {}
void hal_nvm_read(uint32_t addr, void *dst, uint16_t n) { (void)addr; (void)dst; (void)n; }
void hal_nvm_write(uint32_t addr, const void *src, uint16_t n) { (void)addr; (void)src; (void)n; }
int32_t hal_vmac_q15(const int16_t *a, const int16_t *b, uint16_t n) { (void)a; (void)b; (void)n; return 0; }
uint32_t hal_cycles_now(void) { return 0; }
void hal_uart_write(const uint8_t *buf, uint16_t n) { (void)buf; (void)n; }
uint16_t hal_uart_read(uint8_t *buf, uint16_t n) { (void)buf; (void)n; return 0; }
void hal_power_yield(void) {}
void hal_keep_time(void) { /* extend a narrow cycle timer here if the port has one */ }
void hal_result_ready(void) { /* raise the done GPIO */ }
void hal_done(uint16_t status) { (void)status; for (;;) {} }
void hal_fatal(uint16_t code) { (void)code; for (;;) {} }
