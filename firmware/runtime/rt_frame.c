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

static void rx_exact(uint8_t *buf, uint16_t n)
{
    uint16_t k = 0;
    while (k < n) k = (uint16_t)(k + hal_uart_read(buf + k, (uint16_t)(n - k)));
}

uint8_t rt_frame_recv(uint8_t *type, uint8_t *payload)
{
    uint8_t head[6];
    for (;;) {
        rx_exact(head, 1);
        if (head[0] != 0xA5) continue;
        rx_exact(head + 1, 1);
        if (head[1] != 0x5A) continue;
        rx_exact(head + 2, 4);
        uint8_t len = head[2];
        if (len > RT_FRAME_MAX_PAYLOAD) continue;
        uint8_t tail[2];
        rx_exact(payload, len);
        rx_exact(tail, 2);
        uint16_t crc = (uint16_t)(tail[0] | ((uint16_t)tail[1] << 8));
        if (crc != rt_crc16(rt_crc16(0xFFFFu, head + 2, 4), payload, len)) continue;
        *type = head[3];
        return len;
    }
}
