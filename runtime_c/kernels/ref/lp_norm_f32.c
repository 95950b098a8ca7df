/**
 * @file lp_norm_f32.c
 * @brief LpNormalization (p = 1 or 2) along the middle axis of [outer][axis][inner].
 */
#include <math.h>

#include "mlc/kernels_f32.h"

int mlc_lp_norm_f32(const mlc_lp_norm_params_t *p, const float *x, float *y)
{
    int32_t o, i, a;
    const int32_t s = p->inner;
    if ((p->p != 1 && p->p != 2) || p->outer < 0 || p->axis < 0 || p->inner < 0) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            const int32_t base = o * p->axis * s + i;
            float norm = 0.0f, inv;
            for (a = 0; a < p->axis; ++a) {
                const float v = x[base + a * s];
                norm += p->p == 1 ? fabsf(v) : v * v;
            }
            if (p->p == 2) norm = sqrtf(norm);
            /* A zero vector stays zero (as onnxruntime) instead of becoming NaN. */
            inv = norm != 0.0f ? 1.0f / norm : 0.0f;
            for (a = 0; a < p->axis; ++a) y[base + a * s] = x[base + a * s] * inv;
        }
    }
    return MLC_OK;
}
