/**
 * @file lrn_f32.c
 * @brief Local response normalisation across channels (ONNX LRN).
 */
#include <math.h>

#include "mlc/kernels_f32.h"

int mlc_lrn_f32(const mlc_lrn_params_t *p, const float *x, float *y)
{
    int32_t n, c, s, j;
    /* ONNX window: [c - floor((size-1)/2), c + ceil((size-1)/2)]. */
    const int32_t before = (p->size - 1) / 2, after = p->size / 2;
    const float k = p->alpha / (float)p->size;
    if (p->size <= 0 || p->n < 0 || p->c < 0 || p->spatial < 0) return MLC_EINVAL;
    for (n = 0; n < p->n; ++n) {
        const float *xn = x + n * p->c * p->spatial;
        float *yn = y + n * p->c * p->spatial;
        for (c = 0; c < p->c; ++c) {
            const int32_t c0 = c - before < 0 ? 0 : c - before;
            const int32_t c1 = c + after > p->c - 1 ? p->c - 1 : c + after;
            for (s = 0; s < p->spatial; ++s) {
                float sq = 0.0f;
                for (j = c0; j <= c1; ++j) {
                    const float v = xn[j * p->spatial + s];
                    sq += v * v;
                }
                yn[c * p->spatial + s] = xn[c * p->spatial + s] / powf(p->bias + k * sq, p->beta);
            }
        }
    }
    return MLC_OK;
}
