/**
 * @file mul_s8.c
 * @brief Int8 elementwise Mul with broadcasting (TFLite scheme: product of the zero-point-corrected
 *        inputs, requantized by s_a s_b / s_y).
 */
#include <stddef.h>

#include "index_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_mul_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    mlc_it_t it;
    int32_t r, i;
    int8_t *py = y;
    if (!mlc_s8_ok(p->a_zero_point) || !mlc_s8_ok(p->b_zero_point) || !mlc_s8_ok(p->y_zero_point)) return MLC_EINVAL;
    if (!mlc_s8_range_ok(p->act_min, p->act_max) || !mlc_requant_valid(p->y_mult, p->y_shift)) return MLC_EINVAL;
    if (mlc_it_init(&it, p->rank, p->dims, p->a_strides, p->b_strides, NULL, 1) != MLC_OK) return MLC_EINVAL;
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const int8_t *pa = a + it.off[0], *pb = b + it.off[1];
        const int32_t sa = it.inner_stride[0], sb = it.inner_stride[1], n = it.inner;
        for (i = 0; i < n; ++i, pa += sa, pb += sb) {
            const int32_t prod = ((int32_t)*pa - p->a_zero_point) * ((int32_t)*pb - p->b_zero_point);
            py[i] = mlc_requant_s8(prod, p->y_mult, p->y_shift, p->y_zero_point, p->act_min, p->act_max);
        }
        py += n;
    }
    return MLC_OK;
}
