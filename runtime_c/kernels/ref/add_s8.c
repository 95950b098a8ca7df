/**
 * @file add_s8.c
 * @brief Int8 elementwise Add with broadcasting (TFLite scheme: both inputs shifted left by left_shift,
 *        rescaled to a common scale, added, requantized).
 */
#include <stddef.h>

#include "index_util.h"
#include "add_s8_check.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_add_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    mlc_it_t it;
    int32_t r, i;
    int8_t *py = y;
    if (!mlc_add_s8_params_ok(p)) return MLC_EINVAL;
    if (mlc_it_init(&it, p->rank, p->dims, p->a_strides, p->b_strides, NULL, 1) != MLC_OK) return MLC_EINVAL;
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const int8_t *pa = a + it.off[0], *pb = b + it.off[1];
        const int32_t sa = it.inner_stride[0], sb = it.inner_stride[1], n = it.inner;
        for (i = 0; i < n; ++i, pa += sa, pb += sb) {
            /* |q - zp| <= 255, so (q - zp) * 2^22 < 2^30: no overflow before the rescale. */
            const int32_t va = mlc_requant(((int32_t)*pa - p->a_zero_point) * ((int32_t)1 << p->left_shift),
                                           p->a_mult, p->a_shift);
            const int32_t vb = mlc_requant(((int32_t)*pb - p->b_zero_point) * ((int32_t)1 << p->left_shift),
                                           p->b_mult, p->b_shift);
            py[i] = mlc_requant_s8(va + vb, p->y_mult, p->y_shift, p->y_zero_point, p->act_min, p->act_max);
        }
        py += n;
    }
    return MLC_OK;
}
