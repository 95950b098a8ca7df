/**
 * @file channel_affine_s8_check.h
 * @brief The parameter check of mlc_channel_affine_s8, shared by the reference and the optimized kernels.
 */
#ifndef MLC_KERNELS_REF_CHANNEL_AFFINE_S8_CHECK_H
#define MLC_KERNELS_REF_CHANNEL_AFFINE_S8_CHECK_H

#include <stddef.h>

#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/** 1 when the shape, zero points and clamp are valid for mlc_channel_affine_s8. */
static inline int mlc_channel_affine_s8_shape_ok(const mlc_channel_affine_s8_params_t *p)
{
    return p->outer >= 0 && p->channels >= 0 && p->inner >= 0 && mlc_s8_ok(p->x_zero_point) &&
           mlc_s8_ok(p->y_zero_point) && mlc_s8_range_ok(p->act_min, p->act_max);
}

/** 1 when every channel's (mult, shift) is valid and its bias within +-2^30 (the accumulator's room). */
static inline int mlc_channel_affine_s8_channels_ok(const mlc_channel_affine_s8_params_t *p, const int32_t *bias,
                                                    const int32_t *qmult)
{
    int32_t c;
    for (c = 0; c < p->channels; ++c) {
        if (!mlc_qm_valid(qmult[c])) return 0;
        if (bias != NULL && (bias[c] > (1 << 30) || bias[c] < -(1 << 30))) return 0;
    }
    return 1;
}

#endif /* MLC_KERNELS_REF_CHANNEL_AFFINE_S8_CHECK_H */
