/**
 * @file gather_f32.c
 * @brief Gather along one axis of [outer][axis_in][inner] with float-encoded (possibly negative) indices.
 */
#include "mlc/kernels_f32.h"

int mlc_gather_f32(const mlc_gather_params_t *p, const float *x, const float *indices, float *y)
{
    int32_t o, c, i;
    if (p->outer < 0 || p->axis_in < 0 || p->inner < 0 || p->count < 0) return MLC_EINVAL;
    /* Validate every index first so a bad one leaves y untouched; compare as float before converting. */
    for (c = 0; c < p->count; ++c) {
        const float f = indices[c];
        if (!(f >= -(float)p->axis_in && f < (float)p->axis_in)) return MLC_EINVAL;
    }
    for (o = 0; o < p->outer; ++o) {
        const float *xo = x + o * p->axis_in * p->inner;
        for (c = 0; c < p->count; ++c) {
            int32_t idx = (int32_t)indices[c];
            const float *src;
            if (idx < 0) idx += p->axis_in;
            src = xo + idx * p->inner;
            for (i = 0; i < p->inner; ++i) *y++ = src[i];
        }
    }
    return MLC_OK;
}
