/*
 * Shared by the kernel test firmware (fw_compare.c, fw_mve.c): a seeded xorshift stream and a
 * semihosting line for a failing case. Define FW_RNG_INIT (the stream's start) before including.
 */
#ifndef MLC_TESTS_FW_UTIL_H
#define MLC_TESTS_FW_UTIL_H

#include <stdint.h>

#include "mlc/port.h"

static uint32_t rng_state = FW_RNG_INIT;

static inline uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* uniform in [lo, hi] */
static inline int32_t rr(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static inline int chance(uint32_t percent)
{
    return rnd() % 100u < percent;
}

static inline char *put_i(char *o, int32_t v)
{
    char tmp[12];
    int n = 0;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    if (v < 0) *o++ = '-';
    do {
        tmp[n++] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0u);
    while (n > 0) *o++ = tmp[--n];
    return o;
}

/* "kernel case k: v0 v1 ..." on the semihosting console */
static inline void report(const char *kernel, int32_t k, const int32_t *vals, int32_t nvals)
{
    char line[400], *o = line;
    int32_t i;
    while (*kernel) *o++ = *kernel++;
    *o++ = ' ';
    o = put_i(o, k);
    *o++ = ':';
    for (i = 0; i < nvals && o < line + sizeof line - 16; ++i) {
        *o++ = ' ';
        o = put_i(o, vals[i]);
    }
    *o++ = '\n';
    *o = '\0';
    mlc_port_debug_write(line);
}

/* Each channel's (mult, shift) packed into qm as the kernels read it (requant.h's mlc_qm_mult, mlc_qm_shift):
   mult's low byte gives way to the shift's; an invalid pair stays invalid. */
static inline void pack_qm(const int32_t *mult, const int8_t *shift, int32_t *qm, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) qm[i] = (int32_t)(((uint32_t)mult[i] & 0xFFFFFF00u) | ((uint32_t)shift[i] & 0xFFu));
}

#endif /* MLC_TESTS_FW_UTIL_H */
