/**
 * @file softmax_f32.c
 * @brief Softmax, LogSoftmax and Hardmax over the middle axis of [outer][axis][inner].
 */
#include <math.h>

#include "mlc/kernels_f32.h"
#include "mlc/select.h"

int mlc_softmax_f32(const mlc_softmax_params_t *p, const float *x, float *y)
{
    int32_t o, i, a;
    const int32_t s = p->inner;
    if (p->outer < 0 || p->axis < 0 || p->inner < 0 || p->log < 0 || p->log > 2) return MLC_EINVAL;
    if (!MLC_SELECTED(MLC_SOFTMAX_MODES, p->log)) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            const int32_t base = o * p->axis * s + i;
            const float *xs = x + base;
            float *ys = y + base;
            float mx;
            int32_t arg = 0;
            if (p->axis == 0) continue;
            mx = xs[0];
            for (a = 1; a < p->axis; ++a) {
                if (xs[a * s] > mx) { /* strict: the first maximum wins (Hardmax) */
                    mx = xs[a * s];
                    arg = a;
                }
            }
            if (p->log == 2) {
                for (a = 0; a < p->axis; ++a) ys[a * s] = a == arg ? 1.0f : 0.0f;
            } else {
                /* Subtracting the max keeps expf in range; y may alias x, so read before writing. */
                float sum = 0.0f;
                for (a = 0; a < p->axis; ++a) {
                    const float e = expf(xs[a * s] - mx);
                    if (p->log == 0) ys[a * s] = e;
                    sum += e;
                }
                if (p->log == 0) {
                    const float inv = 1.0f / sum;
                    for (a = 0; a < p->axis; ++a) ys[a * s] *= inv;
                } else {
                    const float lse = MLC_SELECTED(MLC_SOFTMAX_MODES, 1) ? logf(sum) : NAN;
                    for (a = 0; a < p->axis; ++a) ys[a * s] = xs[a * s] - mx - lse;
                }
            }
        }
    }
    return MLC_OK;
}
