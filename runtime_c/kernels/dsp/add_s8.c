/**
 * @file add_s8.c
 * @brief Int8 elementwise Add with broadcasting for cores with the DSP extension (Cortex-M4/M7/M33);
 *        byte-identical to runtime_c/kernels/ref/add_s8.c.
 *
 * The three requantizations per element (a and b to the common scale, the sum to the output) use
 * dsp_util.h's prepared form of requant.h's functions: |a - a_zp| <= 255 bounds every accumulator, and
 * a's left_shift and multiplier shift fold into one shift. Where a bound does not hold (huge shifts), the
 * element goes through requant.h itself. Broadcasting walks the operands with the reference's odometer
 * (index_util.h of runtime_c/kernels/ref, shared by the flat project layout).
 */
#include <stddef.h>

#include "dsp_util.h"
#include "index_util.h"
#include "add_s8_check.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/* |mlc_requant(x, mult, shift)| for |x| <= bound (mult < 2^31): at most bound * 2^shift, plus rounding. */
static int64_t add_bound(int64_t bound, int32_t shift)
{
    return (shift >= 0 ? bound << shift : bound >> -shift) + 1;
}

int mlc_add_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    mlc_it_t it;
    mlc_dsp_rq_t qa, qb, qy;
    int fast;
    int32_t r, i;
    int8_t *py = y;
    const int32_t azp = p->a_zero_point, bzp = p->b_zero_point, zp = p->y_zero_point;
    const int32_t lo = p->act_min, hi = p->act_max, ls = p->left_shift;
    if (!mlc_add_s8_params_ok(p)) return MLC_EINVAL;
    if (mlc_it_init(&it, p->rank, p->dims, p->a_strides, p->b_strides, NULL, 1) != MLC_OK) return MLC_EINVAL;
    /* inputs: x = (q - zp) * 2^ls with |x| <= 255 * 2^ls; the prepared shift lsh then becomes ls + lsh */
    mlc_dsp_rq_prepare_bound(&qa, p->a_mult, p->a_shift, 0, (int64_t)255 << ls);
    mlc_dsp_rq_prepare_bound(&qb, p->b_mult, p->b_shift, 0, (int64_t)255 << ls);
    mlc_dsp_rq_prepare_bound(&qy, p->y_mult, p->y_shift, zp,
                             add_bound((int64_t)255 << ls, p->a_shift) + add_bound((int64_t)255 << ls, p->b_shift));
    fast = qa.fast && qb.fast && qy.fast;
    qa.lsh = (uint8_t)(qa.lsh + ls);
    qb.lsh = (uint8_t)(qb.lsh + ls);
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const int8_t *pa = a + it.off[0], *pb = b + it.off[1];
        const int32_t sa = it.inner_stride[0], sb = it.inner_stride[1], n = it.inner;
        if (fast) {
            const uint32_t lo4 = mlc_dsp_dup4(lo), hi4 = mlc_dsp_dup4(hi);
            for (i = 0; i + 3 < n; i += 4) { /* four outputs clamped and stored as one word */
                uint32_t v = 0;
                int k;
                for (k = 0; k < 4; ++k, pa += sa, pb += sb) {
                    const int32_t va = mlc_dsp_rq_raw((int32_t)*pa - azp, &qa);
                    const int32_t vb = mlc_dsp_rq_raw((int32_t)*pb - bzp, &qb);
                    v |= ((uint32_t)mlc_dsp_rq(va + vb, &qy) & 0xFFu) << (8 * k);
                }
                mlc_dsp_st32(py + i, mlc_dsp_clamp4(v, lo4, hi4));
            }
            for (; i < n; ++i, pa += sa, pb += sb) {
                const int32_t va = mlc_dsp_rq_raw((int32_t)*pa - azp, &qa);
                const int32_t vb = mlc_dsp_rq_raw((int32_t)*pb - bzp, &qb);
                py[i] = (int8_t)(uint8_t)mlc_dsp_clamp4((uint32_t)mlc_dsp_rq(va + vb, &qy), lo4, hi4);
            }
        } else {
            for (i = 0; i < n; ++i, pa += sa, pb += sb) {
                const int32_t va = mlc_requant(((int32_t)*pa - azp) * ((int32_t)1 << ls), p->a_mult, p->a_shift);
                const int32_t vb = mlc_requant(((int32_t)*pb - bzp) * ((int32_t)1 << ls), p->b_mult, p->b_shift);
                py[i] = mlc_requant_s8(va + vb, p->y_mult, p->y_shift, zp, lo, hi);
            }
        }
        py += n;
    }
    return MLC_OK;
}
