/*
 * rt_loader.c - writes a model blob received over the UART into NVM (the board's external FRAM), so a
 * board can be loaded without a separate SPI programmer. Each LOAD frame is written and acknowledged;
 * LOAD_END carries the size and CRC-32 of the whole blob, which the loader checks by reading NVM back.
 */
#include "hal.h"
#include "rt_frame.h"

static uint8_t rx[RT_FRAME_MAX_PAYLOAD];

static uint32_t get32(const uint8_t *b) { return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24); }

void rt_loader(void)
{
    hal_init();
    for (;;) {
        uint8_t type;
        uint8_t len = rt_frame_recv(&type, rx);
        if (type == RT_FRAME_LOAD && len > 4) {
            hal_nvm_write(get32(rx), rx + 4, (uint16_t)(len - 4u));
            rt_frame_send(RT_FRAME_ACK, rx, 4);
        } else if (type == RT_FRAME_LOAD_END && len == 8) {
            uint32_t size = get32(rx), want = get32(rx + 4), crc = 0xFFFFFFFFUL;
            uint8_t b[16];
            for (uint32_t a = 0; a < size; a += 16) {
                uint16_t n = (uint16_t)((size - a) < 16u ? (size - a) : 16u);
                hal_nvm_read(a, b, n);
                for (uint16_t i = 0; i < n; i++) {
                    crc ^= b[i];
                    for (uint8_t k = 0; k < 8; k++) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320UL : crc >> 1;
                }
            }
            crc ^= 0xFFFFFFFFUL;
            uint8_t ack[9];
            for (uint8_t i = 0; i < 8; i++) ack[i] = rx[i];
            ack[8] = (uint8_t)(crc == want);
            rt_frame_send(RT_FRAME_ACK, ack, 9);
            hal_done(crc == want ? 0u : 1u);
        }
    }
}
