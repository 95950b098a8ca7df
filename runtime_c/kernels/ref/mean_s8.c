/**
 * @file mean_s8.c
 * @brief Int8 mean over the middle axis of [outer][axis][inner] (GlobalAveragePool, ReduceMean), with the
 *        division by the axis length folded into the requantization multiplier.
 */
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_mean_s8(const mlc_mean_s8_params_t *p, const int8_t *x, int8_t *y)
{
    int32_t o, a, i;
    const int32_t xzp = p->x_zero_point;
    if (p->outer < 0 || p->axis < 0 || p->inner < 0 || p->axis >= (1 << 23)) return MLC_EINVAL;
    if (!mlc_s8_ok(p->x_zero_point) || !mlc_s8_ok(p->y_zero_point) || !mlc_s8_range_ok(p->act_min, p->act_max))
        return MLC_EINVAL;
    if (!mlc_requant_valid(p->mult, p->shift)) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        const int8_t *xo = x + o * p->axis * p->inner;
        for (i = 0; i < p->inner; ++i) {
            int32_t acc = 0;
            for (a = 0; a < p->axis; ++a) acc += (int32_t)xo[a * p->inner + i] - xzp;
            y[o * p->inner + i] = mlc_requant_s8(acc, p->mult, p->shift, p->y_zero_point, p->act_min, p->act_max);
        }
    }
    return MLC_OK;
}
