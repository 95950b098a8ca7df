/**
 * @file channel_affine_s8.c
 * @brief Int8 per-channel affine (BatchNormalization that was not folded): one multiply-add and one
 *        requantization per element.
 */
#include <stddef.h>

#include "channel_affine_s8_check.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_channel_affine_s8(const mlc_channel_affine_s8_params_t *p, const int8_t *x, const int8_t *w,
                          const int32_t *bias, const int32_t *qmult, int8_t *y)
{
    int32_t o, c, i;
    if (!mlc_channel_affine_s8_shape_ok(p) || !mlc_channel_affine_s8_channels_ok(p, bias, qmult))
        return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        for (c = 0; c < p->channels; ++c) {
            const int32_t wc = w[c], bc = bias != NULL ? bias[c] : 0, m = mlc_qm_mult(qmult[c]), s = mlc_qm_shift(qmult[c]);
            for (i = 0; i < p->inner; ++i) {
                const int32_t acc = ((int32_t)x[i] - p->x_zero_point) * wc + bc;
                y[i] = mlc_requant_s8(acc, m, s, p->y_zero_point, p->act_min, p->act_max);
            }
            x += p->inner;
            y += p->inner;
        }
    }
    return MLC_OK;
}
