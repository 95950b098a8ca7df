/**
 * @file cumsum_f32.c
 * @brief Running sums along one axis, one float32 accumulator per (outer, inner) position.
 */
#include "mlc/kernels_f32.h"

int mlc_cumsum_f32(const mlc_cumsum_params_t *p, const float *x, float *y)
{
    int32_t o, i, a;
    if (p->outer < 0 || p->axis_len < 0 || p->inner < 0) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            const int32_t base = o * p->axis_len * p->inner + i;
            float sum = 0.0f;
            for (a = 0; a < p->axis_len; ++a) {
                const int32_t at = base + (p->reverse ? p->axis_len - 1 - a : a) * p->inner;
                const float v = x[at];
                if (p->exclusive) {
                    y[at] = sum;
                    sum += v;
                } else {
                    sum += v;
                    y[at] = sum;
                }
            }
        }
    }
    return MLC_OK;
}
