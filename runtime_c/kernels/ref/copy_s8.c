/**
 * @file copy_s8.c
 * @brief Strided int8 copy (Transpose, Slice, Concat, Split, Expand, DepthToSpace of int8 data).
 */
#include "index_util.h"
#include "mlc/kernels_s8.h"

int mlc_copy_s8(const mlc_copy_params_t *p, const int8_t *x, int8_t *y)
{
    mlc_it_t it;
    int32_t r, i;
    if (mlc_it_init(&it, p->rank, p->dims, p->in_strides, p->out_strides, NULL, 1) != MLC_OK) return MLC_EINVAL;
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const int8_t *px = x + p->in_offset + it.off[0];
        int8_t *py = y + p->out_offset + it.off[1];
        const int32_t sx = it.inner_stride[0], sy = it.inner_stride[1];
        for (i = 0; i < it.inner; ++i, px += sx, py += sy) *py = *px;
    }
    return MLC_OK;
}
