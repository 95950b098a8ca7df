/**
 * @file frame.h
 * @brief Serial framing of the device protocol: COBS (frames end with one 0x00) and CRC-32.
 *
 * CRC-32 is the IEEE/zlib one: mlc_crc32(0, p, n) == zlib.crc32(bytes) in Python, and
 * mlc_crc32(mlc_crc32(0, a, n), b, m) continues it over a second buffer.
 */
#ifndef MLC_FRAME_H
#define MLC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Returned by mlc_cobs_decode for malformed input. */
#define MLC_COBS_ERROR ((size_t)-1)

/** Worst-case COBS size of n data bytes, without the terminating 0x00. */
#define MLC_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 1u)

/** CRC-32 (IEEE 802.3, reflected, as zlib) of `len` bytes, continuing from `crc` (start with 0). */
uint32_t mlc_crc32(uint32_t crc, const uint8_t *data, size_t len);

/**
 * Decodes one COBS frame in place. `buf` holds the `len` encoded bytes without the 0x00 delimiter.
 * Returns the decoded length (always < len) or MLC_COBS_ERROR if the frame holds a zero or ends early.
 */
size_t mlc_cobs_decode(uint8_t *buf, size_t len);

/** Encodes `len` bytes as COBS and emits them one at a time through `put`, then the 0x00 delimiter. */
void mlc_cobs_encode(const uint8_t *data, size_t len, void (*put)(uint8_t));

#ifdef __cplusplus
}
#endif

#endif /* MLC_FRAME_H */
