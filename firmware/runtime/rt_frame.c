/* rt_frame.c - frame encoder of the serial protocol (see rt_frame.h). */
#include "rt_frame.h"
#include "hal.h"

static uint16_t frame_seq;

uint16_t rt_crc16(uint16_t crc, const uint8_t *p, uint16_t n)
{
    while (n--) {
        crc ^= (uint16_t)(*p++) << 8;
        for (uint8_t i = 0; i < 8; i++)
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

void rt_frame_send(uint8_t type, const uint8_t *payload, uint8_t len)
{
    uint8_t head[6];
    if (len > RT_FRAME_MAX_PAYLOAD) len = RT_FRAME_MAX_PAYLOAD;
    head[0] = 0xA5;
    head[1] = 0x5A;
    head[2] = len;
    head[3] = type;
    head[4] = (uint8_t)(frame_seq & 0xFF);
    head[5] = (uint8_t)(frame_seq >> 8);
    frame_seq++;
    uint16_t crc = rt_crc16(0xFFFFu, head + 2, 4);
    crc = rt_crc16(crc, payload, len);
    uint8_t tail[2] = {(uint8_t)(crc & 0xFF), (uint8_t)(crc >> 8)};
    hal_uart_write(head, 6);
    if (len) hal_uart_write(payload, len);
    hal_uart_write(tail, 2);
}
