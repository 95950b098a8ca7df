/**
 * @file quantize_f32_s8_one.h
 * @brief One QuantizeLinear value, shared by the reference kernel and the optimized kernels' scalar paths.
 */
#ifndef MLC_KERNELS_REF_QUANTIZE_F32_S8_ONE_H
#define MLC_KERNELS_REF_QUANTIZE_F32_S8_ONE_H

#include "mlc/kernels_s8.h"

/** saturate(round_half_even(v) + zero_point) for the quotient v = x / scale; NaN gives zero_point. No libm,
    independent of the FPU rounding mode. */
static inline int8_t mlc_quantize_one_s8(float v, int32_t zero_point)
{
    int32_t t, q;
    float frac;
    if (v != v) return (int8_t)zero_point; /* NaN */
    /* Beyond +-256 the result saturates whatever the zero point; this keeps the cast defined. */
    if (v > 256.0f) v = 256.0f;
    if (v < -256.0f) v = -256.0f;
    t = (int32_t)v; /* toward zero; v - t is exact for |v| <= 256 */
    frac = v - (float)t;
    if (frac > 0.5f || (frac == 0.5f && (t & 1) != 0)) {
        ++t;
    } else if (frac < -0.5f || (frac == -0.5f && (t & 1) != 0)) {
        --t;
    }
    q = t + zero_point;
    if (q < -128) q = -128;
    if (q > 127) q = 127;
    return (int8_t)q;
}

#endif /* MLC_KERNELS_REF_QUANTIZE_F32_S8_ONE_H */
