/**
 * @file add_s8.c
 * @brief Int8 elementwise Add with broadcasting for Helium (MVE): results, return codes and parameter checks
 *        of ../ref/add_s8.c (uses ../ref/index_util.h and ../ref/add_s8_check.h).
 *
 * The reference's odometer walks the runs; a run whose operands are contiguous or broadcast (stride 1 or 0)
 * takes four elements per vector through the three requantizations, each exact: (q - zp) * 2^left_shift
 * (< 2^30), then mlc_requant as VQSHL / VQRDMULH / the tie fix-up and VRSHL (mve_util.h explains why these
 * are requant.h's steps), the sum wrapping like the reference's int32 sum. Other strides: the reference loop.
 */
#include <stddef.h>

#include "add_s8_check.h"
#include "index_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"
#include "mve_util.h"

#if MLC_MVE
/* requant.h's mlc_requant on four lanes with one (mult, shift). */
static inline int32x4_t add_rq(int32x4_t x, int32_t mult, int32_t shift)
{
    if (shift > 0) x = vqshlq_r_s32(x, shift);
    x = vqrdmulhq_n_s32(x, mult);
    if (shift < 0) x = vrshlq_n_s32(vaddq_s32(x, vshrq_n_s32(x, 31)), shift);
    return x;
}

/* Four int8 operand values widened (stride 1) or repeated (stride 0); lanes past the run read nothing. */
static inline int32x4_t add_ld(const int8_t *q, int32_t stride, mve_pred16_t t)
{
    return stride != 0 ? vldrbq_z_s32(q, t) : vdupq_n_s32(*q);
}

static void add_run(const mlc_binary_s8_params_t *p, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                    int32_t n, int8_t *y)
{
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    int32_t i;
    for (i = 0; i < n; i += 4) {
        const mve_pred16_t t = vctp32q((uint32_t)(n - i));
        int32x4_t va = vshlq_r_s32(vsubq_n_s32(add_ld(a + i * sa, sa, t), p->a_zero_point), p->left_shift);
        int32x4_t vb = vshlq_r_s32(vsubq_n_s32(add_ld(b + i * sb, sb, t), p->b_zero_point), p->left_shift);
        va = add_rq(va, p->a_mult, p->a_shift);
        vb = add_rq(vb, p->b_mult, p->b_shift);
        vstrbq_p_s32(y + i, mlc_mve_rq4_n(vaddq_s32(va, vb), p->y_mult, p->y_shift, p->y_zero_point, lo, hi), t);
    }
}
#endif

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
#if MLC_MVE
        if ((sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
            add_run(p, pa, sa, pb, sb, n, py);
            py += n;
            continue;
        }
#endif
        for (i = 0; i < n; ++i, pa += sa, pb += sb) { /* the reference loop */
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
