/**
 * @file dequantize_s8_f32.c
 * @brief Int8 to float32 (ONNX DequantizeLinear, per tensor) for Cortex-M4/M7/M33; byte-identical to
 *        runtime_c/kernels/ref/dequantize_s8_f32.c: the same exact conversion of q - zp and the same single
 *        float multiply per element.
 *
 * The reference reloads scale after every float store (the store may alias *p); here it is a local, and
 * four inputs come in one word load (SXTB, SBFX, ASR extract them; requant.h checks that >> is
 * arithmetic): about 7.5 instructions per element instead of 9.
 */
#include "dsp_util.h"
#include "mlc/kernels_s8.h"

/* No vectorization: MVE's float instructions (Cortex-M55) flush denormals to zero, the scalar FPU and
   the reference do not, so an SLP-vectorized multiply would differ for denormal products. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
int mlc_dequantize_s8_f32(const mlc_quant_params_t *p, const int8_t *x, float *y)
{
    int32_t i;
    const int32_t n = p->size, zp = p->zero_point;
    const float scale = p->scale;
    if (n < 0 || zp < -128 || zp > 127) return MLC_EINVAL;
    for (i = 0; i + 3 < n; i += 4) {
        const uint32_t v = mlc_dsp_ld32(x + i);
        const float f0 = (float)(mlc_dsp_s8(v) - zp) * scale, f1 = (float)(mlc_dsp_s8(v >> 8) - zp) * scale;
        const float f2 = (float)(mlc_dsp_s8(v >> 16) - zp) * scale, f3 = (float)(((int32_t)v >> 24) - zp) * scale;
        y[i] = f0;
        y[i + 1] = f1;
        y[i + 2] = f2;
        y[i + 3] = f3;
    }
    for (; i < n; ++i) y[i] = (float)((int32_t)x[i] - zp) * scale;
    return MLC_OK;
}
