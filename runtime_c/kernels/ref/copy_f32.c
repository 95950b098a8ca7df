/**
 * @file copy_f32.c
 * @brief Strided copy (Transpose, Slice, Concat, Split, Expand, DepthToSpace, ...).
 */
#include "index_util.h"
#include "mlc/kernels_f32.h"

int mlc_copy_f32(const mlc_copy_params_t *p, const float *x, float *y)
{
    mlc_it_t it;
    int32_t r, i;
    if (mlc_it_init(&it, p->rank, p->dims, p->in_strides, p->out_strides, NULL, 1) != MLC_OK) return MLC_EINVAL;
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const float *px = x + p->in_offset + it.off[0];
        float *py = y + p->out_offset + it.off[1];
        const int32_t sx = it.inner_stride[0], sy = it.inner_stride[1];
        if (sx == 1 && sy == 1) {
            for (i = 0; i < it.inner; ++i) py[i] = px[i];
        } else {
            for (i = 0; i < it.inner; ++i, px += sx, py += sy) *py = *px;
        }
    }
    return MLC_OK;
}
