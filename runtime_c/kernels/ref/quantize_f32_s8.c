/**
 * @file quantize_f32_s8.c
 * @brief Float32 to int8 (ONNX QuantizeLinear, per tensor): saturate(round_half_even(x / scale) + zp).
 *        One of the two float boundary kernels; no libm, independent of the FPU rounding mode.
 */
#include "mlc/kernels_s8.h"

int mlc_quantize_f32_s8(const mlc_quant_params_t *p, const float *x, int8_t *y)
{
    int32_t i;
    if (p->size < 0 || !(p->scale > 0.0f) || p->zero_point < -128 || p->zero_point > 127) return MLC_EINVAL;
    for (i = 0; i < p->size; ++i) {
        float v = x[i] / p->scale;
        int32_t t, q;
        float frac;
        if (v != v) { /* NaN */
            y[i] = (int8_t)p->zero_point;
            continue;
        }
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
        q = t + p->zero_point;
        if (q < -128) q = -128;
        if (q > 127) q = 127;
        y[i] = (int8_t)q;
    }
    return MLC_OK;
}
