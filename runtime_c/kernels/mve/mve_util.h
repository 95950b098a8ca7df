/**
 * @file mve_util.h
 * @brief Private helpers of the Helium (MVE) int8 kernels (Armv8.1-M with MVE: Cortex-M55, M85): an exact
 *        four-lane form of requant.h's mlc_requant_s8.
 *
 * Without __ARM_FEATURE_MVE (host builds, cores without Helium) MLC_MVE is 0 and the kernels compile
 * their portable loops instead; nothing here is used then.
 */
#ifndef MLC_KERNELS_MVE_UTIL_H
#define MLC_KERNELS_MVE_UTIL_H

#include <stdint.h>

#include "mlc/requant.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#define MLC_MVE 1
#if defined(__ARM_BIG_ENDIAN)
#error "the MVE kernels assume a little-endian core"
#endif
#else
#define MLC_MVE 0
#endif

#if MLC_MVE

/**
 * mlc_requant_s8 on four int32 lanes, each with its own (mult, shift); exact for every input:
 *  - VQSHL by left = max(shift, 0) saturates like mlc_sat_shl;
 *  - VQRDMULH is floor((2 a b + 2^31) / 2^32) = floor((a b + 2^30) / 2^31), saturating only for
 *    INT32_MIN * INT32_MIN: mlc_srdhm exactly;
 *  - mlc_rdbpot(x, r) for r > 0 is floor((x + 2^(r-1) - [x < 0]) / 2^r): add x >> 31 (x > INT32_MIN, since
 *    mult >= 0), then VRSHL by -r rounds half up with no intermediate overflow; r = 0 leaves x alone;
 *  - requant.h clamps to +-256 before adding the zero point; VQADD saturates instead, which gives the
 *    same result once clamped to [lo, hi] inside int8.
 */
static inline int32x4_t mlc_mve_rq4(int32x4_t acc, int32x4_t mult, int32x4_t shift, int32_t zp, int32_t lo,
                                    int32_t hi)
{
    const int32x4_t zero = vdupq_n_s32(0);
    int32x4_t x = vqshlq_s32(acc, vmaxq_s32(shift, zero));
    x = vqrdmulhq_s32(x, mult);
    x = vaddq_m_s32(x, x, vshrq_n_s32(x, 31), vcmpltq_n_s32(shift, 0));
    x = vrshlq_s32(x, vminq_s32(shift, zero));
    x = vqaddq_n_s32(x, zp);
    return vminq_s32(vmaxq_s32(x, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

/** mlc_mve_rq4 with each lane's (mult, shift) packed in one word (requant.h's mlc_qm_mult, mlc_qm_shift). */
static inline int32x4_t mlc_mve_rq4_qm(int32x4_t acc, int32x4_t qm, int32_t zp, int32_t lo, int32_t hi)
{
    return mlc_mve_rq4(acc, vandq_s32(qm, vdupq_n_s32((int32_t)0xFFFFFF00u)), vshrq_n_s32(vshlq_n_s32(qm, 24), 24), zp,
                       lo, hi);
}

/** The same for one (mult, shift) on every lane (a convolution channel over four outputs); the shifts
    come from core registers (VQSHL / VRSHL by Rm), which keeps vector registers free in the loops. */
static inline int32x4_t mlc_mve_rq4_n(int32x4_t acc, int32_t mult, int32_t shift, int32_t zp, int32x4_t lo,
                                      int32x4_t hi)
{
    int32x4_t x = acc;
    if (shift > 0) x = vqshlq_r_s32(x, shift);
    x = vqrdmulhq_n_s32(x, mult);
    if (shift < 0) x = vrshlq_n_s32(vaddq_s32(x, vshrq_n_s32(x, 31)), shift);
    return vminq_s32(vmaxq_s32(vqaddq_n_s32(x, zp), lo), hi);
}

/** Four scalars as one vector. */
static inline int32x4_t mlc_mve_vec4(int32_t a, int32_t b, int32_t c, int32_t d)
{
    int32x4_t v = vdupq_n_s32(a);
    v = vsetq_lane_s32(b, v, 1);
    v = vsetq_lane_s32(c, v, 2);
    return vsetq_lane_s32(d, v, 3);
}

#endif /* MLC_MVE */

/** a - b * c modulo 2^32 (the accumulators wrap like the reference's int32 sums; no signed overflow in C). */
static inline int32_t mlc_mve_wrap_msub(int32_t a, int32_t b, int32_t c)
{
    const uint32_t r = (uint32_t)a - (uint32_t)b * (uint32_t)c;
    return r <= 0x7FFFFFFFu ? (int32_t)r : -(int32_t)(0xFFFFFFFFu - r) - 1;
}

#endif /* MLC_KERNELS_MVE_UTIL_H */
