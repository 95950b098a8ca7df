/**
 * @file dequantize_s8_f32.c
 * @brief Int8 to float32 (ONNX DequantizeLinear, per tensor): (float)(q - zp) * scale.
 *        One of the two float boundary kernels.
 */
#include "mlc/kernels_s8.h"

int mlc_dequantize_s8_f32(const mlc_quant_params_t *p, const int8_t *x, float *y)
{
    int32_t i;
    if (p->size < 0 || p->zero_point < -128 || p->zero_point > 127) return MLC_EINVAL;
    for (i = 0; i < p->size; ++i) y[i] = (float)((int32_t)x[i] - p->zero_point) * p->scale;
    return MLC_OK;
}
