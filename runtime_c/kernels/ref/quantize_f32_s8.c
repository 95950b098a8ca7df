/**
 * @file quantize_f32_s8.c
 * @brief Float32 to int8 (ONNX QuantizeLinear, per tensor): saturate(round_half_even(x / scale) + zp).
 *        One of the two float boundary kernels; no libm, independent of the FPU rounding mode.
 */
#include "mlc/kernels_s8.h"
#include "quantize_f32_s8_one.h"

int mlc_quantize_f32_s8(const mlc_quant_params_t *p, const float *x, int8_t *y)
{
    int32_t i;
    if (p->size < 0 || !(p->scale > 0.0f) || p->zero_point < -128 || p->zero_point > 127) return MLC_EINVAL;
    for (i = 0; i < p->size; ++i) y[i] = mlc_quantize_one_s8(x[i] / p->scale, p->zero_point);
    return MLC_OK;
}
