/*
 * rt_frame.h - serial framing (contract 8): A5 5A | len | type | seq u16 | payload | crc16 u16.
 * CRC-16/CCITT-FALSE over len, type, seq and payload. Garbage written while the supply browns out can
 * never be read as a frame: the host resynchronises on the sync bytes and checks the CRC.
 */
#ifndef TINAS_RT_FRAME_H
#define TINAS_RT_FRAME_H

#include <stdint.h>

#define RT_FRAME_MAX_PAYLOAD 240u

enum rt_frame_type {
    RT_FRAME_BOOT = 0x01,   /* boot_count u32 */
    RT_FRAME_LAYER = 0x02,  /* layer u16, status u8 (1 finished), counters: the report after the result */
    RT_FRAME_RESULT = 0x03, /* output crc32 u32, output length u16 */
    RT_FRAME_DONE = 0x04,   /* compute, preserve, recover cycles u32 x3, boot_count u32 */
    RT_FRAME_LOG = 0x05,    /* text */
    RT_FRAME_ERROR = 0x06,  /* code u16 */
    RT_FRAME_LOAD = 0x10,   /* host -> device: NVM offset u32, data */
    RT_FRAME_LOAD_END = 0x12, /* host -> device: total size u32, crc32 u32 */
    RT_FRAME_ACK = 0x11     /* device -> host: offset u32 (LOAD) or size u32, crc32 u32, ok u8 (LOAD_END) */
};

uint16_t rt_crc16(uint16_t crc, const uint8_t *p, uint16_t n);
void rt_frame_send(uint8_t type, const uint8_t *payload, uint8_t len);
/* Block until a frame with a good CRC arrives (garbage and bad frames are skipped); returns its length. */
uint8_t rt_frame_recv(uint8_t *type, uint8_t *payload);

#endif
