/**
 * @file requantize_s8.c
 * @brief Int8 to int8 rescale to another (scale, zero point), with clamp.
 */
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_requantize_s8(const mlc_requantize_s8_params_t *p, const int8_t *x, int8_t *y)
{
    int32_t i, pre;
    if (p->size < 0 || !mlc_s8_ok(p->x_zero_point) || !mlc_s8_ok(p->y_zero_point)) return MLC_EINVAL;
    if (!mlc_s8_range_ok(p->act_min, p->act_max) || !mlc_requant_valid(p->mult, p->shift)) return MLC_EINVAL;
    pre = mlc_requant_small_preshift(p->shift);
    for (i = 0; i < p->size; ++i) {
        y[i] = mlc_requant_s8(((int32_t)x[i] - p->x_zero_point) * ((int32_t)1 << pre), p->mult, p->shift - pre,
                              p->y_zero_point, p->act_min, p->act_max);
    }
    return MLC_OK;
}
