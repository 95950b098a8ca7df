/**
 * @file gather_elements_f32.c
 * @brief GatherElements: the odometer walks indices and y; x's offset leaves the axis out, the index adds it.
 */
#include "index_util.h"
#include "mlc/kernels_f32.h"

int mlc_gather_elements_f32(const mlc_gather_elements_params_t *p, const float *x, const float *indices, float *y)
{
    int32_t dense[MLC_MAX_DIMS];
    int32_t d, r, i, n = 1;
    mlc_it_t it;
    if (p->rank < 1 || p->rank > MLC_MAX_DIMS || p->axis_len < 1) return MLC_EINVAL;
    for (d = p->rank - 1; d >= 0; --d) {
        dense[d] = n;
        n *= p->dims[d];
    }
    /* Every index first, compared as float, so a bad one leaves y untouched. */
    for (i = 0; i < n; ++i) {
        if (!(indices[i] >= -(float)p->axis_len && indices[i] < (float)p->axis_len)) return MLC_EINVAL;
    }
    if (mlc_it_init(&it, p->rank, p->dims, p->x_strides, dense, NULL, 0) != MLC_OK) return MLC_EINVAL;
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const float *px = x + it.off[0];
        const float *pi = indices + it.off[1];
        for (i = 0; i < it.inner; ++i) {
            int32_t k = (int32_t)pi[i * it.inner_stride[1]];
            if (k < 0) k += p->axis_len;
            *y++ = px[i * it.inner_stride[0] + k * p->axis_stride];
        }
    }
    return MLC_OK;
}
