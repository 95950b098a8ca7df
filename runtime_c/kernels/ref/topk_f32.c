/**
 * @file topk_f32.c
 * @brief TopK: each output position takes the element that follows the previous one in the output order
 * (O(k * axis_len) per slice, no scratch: k is small in the models this runs).
 */
#include "mlc/kernels_f32.h"

/* Element (va, ia) comes before (vb, ib) in the output: the larger value first (the smaller if !largest),
   NaN above every number, equal values by lower index. A total order, so every step finds its element. */
static int topk_before(float va, int32_t ia, float vb, int32_t ib, int32_t largest)
{
    const int na = va != va, nb = vb != vb;
    int cmp = (na || nb) ? na - nb : (va > vb) - (va < vb);
    if (!largest) cmp = -cmp;
    return cmp > 0 || (cmp == 0 && ia < ib);
}

int mlc_topk_f32(const mlc_topk_params_t *p, const float *x, float *values, float *indices)
{
    int32_t o, i, j, a;
    if (p->outer < 0 || p->axis_len < 1 || p->inner < 0 || p->k < 0 || p->k > p->axis_len) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            const float *xs = x + (o * p->axis_len) * p->inner + i;
            int32_t prev = -1;
            float prev_v = 0.0f;
            for (j = 0; j < p->k; ++j) {
                int32_t best = -1;
                float best_v = 0.0f;
                const int32_t at = (o * p->k + j) * p->inner + i;
                for (a = 0; a < p->axis_len; ++a) {
                    const float v = xs[a * p->inner];
                    if (prev >= 0 && !topk_before(prev_v, prev, v, a, p->largest)) continue;
                    if (best < 0 || topk_before(v, a, best_v, best, p->largest)) {
                        best = a;
                        best_v = v;
                    }
                }
                values[at] = best_v;
                indices[at] = (float)best;
                prev = best;
                prev_v = best_v;
            }
        }
    }
    return MLC_OK;
}
