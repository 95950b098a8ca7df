/**
 * @file tile_f32.c
 * @brief Tile: every dense output index reads the input at (index mod in_dims).
 */
#include "index_util.h"
#include "mlc/kernels_f32.h"

int mlc_tile_f32(const mlc_tile_params_t *p, const float *x, float *y)
{
    mlc_it_t it;
    int32_t in_strides[MLC_MAX_DIMS];
    int32_t r, i, d, j, stride = 1;
    if (mlc_it_init(&it, p->rank, p->out_dims, NULL, NULL, NULL, 0) != MLC_OK) return MLC_EINVAL;
    for (d = p->rank - 1; d >= 0; --d) {
        if (p->in_dims[d] <= 0) return it.rows == 0 ? MLC_OK : MLC_EINVAL;
        in_strides[d] = stride;
        stride *= p->in_dims[d];
    }
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        /* One modulo per outer axis per row; the innermost axis wraps with a counter. */
        const float *row = x;
        const int32_t n_in = p->rank > 0 ? p->in_dims[p->rank - 1] : 1;
        for (d = 0; d < it.outer_rank; ++d) row += (it.idx[d] % p->in_dims[d]) * in_strides[d];
        for (i = 0, j = 0; i < it.inner; ++i) {
            *y++ = row[j];
            if (++j == n_in) j = 0;
        }
    }
    return MLC_OK;
}
