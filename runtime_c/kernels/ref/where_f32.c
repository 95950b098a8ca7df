/**
 * @file where_f32.c
 * @brief Elementwise select with broadcasting by strides.
 */
#include "index_util.h"
#include "mlc/kernels_f32.h"

int mlc_where_f32(const mlc_where_params_t *p, const float *cond, const float *a, const float *b, float *y)
{
    mlc_it_t it;
    int32_t r, i;
    if (mlc_it_init(&it, p->rank, p->dims, p->c_strides, p->a_strides, p->b_strides, 1) != MLC_OK) {
        return MLC_EINVAL;
    }
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const float *pc = cond + it.off[0], *pa = a + it.off[1], *pb = b + it.off[2];
        for (i = 0; i < it.inner; ++i) {
            *y++ = *pc != 0.0f ? *pa : *pb;
            pc += it.inner_stride[0];
            pa += it.inner_stride[1];
            pb += it.inner_stride[2];
        }
    }
    return MLC_OK;
}
