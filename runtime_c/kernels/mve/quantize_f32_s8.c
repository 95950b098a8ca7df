/**
 * @file quantize_f32_s8.c
 * @brief Float32 to int8 (ONNX QuantizeLinear, per tensor) for Helium with floating point (MVE-F,
 *        Cortex-M55): results, return codes and parameter checks of ../ref/quantize_f32_s8.c.
 *
 * x / scale stays the scalar FPU division of the reference (MVE has no vector divide, and a multiply by
 * 1 / scale would round differently); four quotients make one vector, VCVTN.S32.F32 rounds it half to
 * even (the reference's rule; NaN gives 0, so zero_point follows; out-of-range values saturate, as the
 * reference's clamp to +-256 does), then a saturating add of the zero point and the int8 clamp.
 */
#include "mlc/kernels_s8.h"
#include "quantize_f32_s8_one.h"
#include "mve_util.h"

int mlc_quantize_f32_s8(const mlc_quant_params_t *p, const float *x, int8_t *y)
{
    int32_t i = 0;
    if (p->size < 0 || !(p->scale > 0.0f) || p->zero_point < -128 || p->zero_point > 127) return MLC_EINVAL;
#if MLC_MVE && (__ARM_FEATURE_MVE & 2)
    {
        const float s = p->scale;
        const int32x4_t lo = vdupq_n_s32(-128), hi = vdupq_n_s32(127);
        for (; i + 4 <= p->size; i += 4) {
            float32x4_t v = vdupq_n_f32(x[i] / s);
            int32x4_t q;
            v = vsetq_lane_f32(x[i + 1] / s, v, 1);
            v = vsetq_lane_f32(x[i + 2] / s, v, 2);
            v = vsetq_lane_f32(x[i + 3] / s, v, 3);
            q = vqaddq_n_s32(vcvtnq_s32_f32(v), p->zero_point);
            vstrbq_s32(y + i, vminq_s32(vmaxq_s32(q, lo), hi));
        }
    }
#endif
    for (; i < p->size; ++i) y[i] = mlc_quantize_one_s8(x[i] / p->scale, p->zero_point); /* tail: the reference */
    return MLC_OK;
}
