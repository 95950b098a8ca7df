/**
 * @file channel_affine_f32.c
 * @brief Per-channel scale and shift (BatchNormalization folded, Mul+Add by channel) with activation, and
 *        inference BatchNormalization whose parameters are run-time tensors.
 */
#include <math.h>

#include "mlc/kernels_f32.h"

int mlc_channel_affine_f32(const mlc_channel_affine_params_t *p, const float *x, const float *scale,
                           const float *shift, float *y)
{
    int32_t o, c, i;
    if (p->outer < 0 || p->channels < 0 || p->inner < 0) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        for (c = 0; c < p->channels; ++c) {
            const float s = scale[c], t = shift[c];
            if (p->act.op == MLC_UNARY_IDENTITY) {
                for (i = 0; i < p->inner; ++i) y[i] = x[i] * s + t;
            } else {
                for (i = 0; i < p->inner; ++i) y[i] = mlc_unary_eval_f32(&p->act, x[i] * s + t);
            }
            x += p->inner;
            y += p->inner;
        }
    }
    return MLC_OK;
}

int mlc_batchnorm_f32(const mlc_batchnorm_params_t *p, const float *x, const float *scale, const float *bias,
                      const float *mean, const float *var, float *y)
{
    int32_t o, c, i;
    if (p->outer < 0 || p->channels < 0 || p->inner < 0) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        for (c = 0; c < p->channels; ++c) {
            const float s = scale[c] / sqrtf(var[c] + p->eps);
            const float t = bias[c] - mean[c] * s;
            if (p->act.op == MLC_UNARY_IDENTITY) {
                for (i = 0; i < p->inner; ++i) y[i] = x[i] * s + t;
            } else {
                for (i = 0; i < p->inner; ++i) y[i] = mlc_unary_eval_f32(&p->act, x[i] * s + t);
            }
            x += p->inner;
            y += p->inner;
        }
    }
    return MLC_OK;
}
