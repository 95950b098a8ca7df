/* COBS framing and CRC-32 for the device protocol; sized for small flash (64-byte CRC table). */
#include "mlc/frame.h"

/* CRC-32 one nibble at a time: 16 entries of the reflected polynomial 0xEDB88320. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t mlc_crc32(uint32_t crc, const uint8_t *data, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 0xFu];
        crc = (crc >> 4) ^ crc_nibble[crc & 0xFu];
    }
    return ~crc;
}

/* The write index never passes the read index (each block's code byte is consumed, not written). */
size_t mlc_cobs_decode(uint8_t *buf, size_t len) {
    size_t in = 0, out = 0;
    while (in < len) {
        uint8_t code = buf[in++];
        if (code == 0) {
            return MLC_COBS_ERROR;
        }
        for (uint8_t i = 1; i < code; i++) {
            if (in >= len || buf[in] == 0) {
                return MLC_COBS_ERROR;
            }
            buf[out++] = buf[in++];
        }
        if (code != 0xFFu && in < len) {
            buf[out++] = 0;
        }
    }
    return out;
}

/* Streams the encoding: each block's code byte is found by looking ahead in the source, so no
 * second buffer is needed. */
void mlc_cobs_encode(const uint8_t *data, size_t len, void (*put)(uint8_t)) {
    size_t pos = 0;
    for (;;) {
        size_t run = 0;
        while (pos + run < len && run < 254u && data[pos + run] != 0) {
            run++;
        }
        put((uint8_t)(run + 1u));
        for (size_t i = 0; i < run; i++) {
            put(data[pos + i]);
        }
        pos += run;
        if (pos >= len) {
            break;
        }
        if (run == 254u) {
            continue; /* a full block implies no zero */
        }
        pos++; /* the zero this block stands for */
        if (pos == len) {
            put(1); /* the data ended with a zero: an empty last block */
            break;
        }
    }
    put(0);
}
