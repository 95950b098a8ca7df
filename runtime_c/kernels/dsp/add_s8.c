/**
 * @file add_s8.c
 * @brief Int8 elementwise Add with broadcasting for cores with the DSP extension (Cortex-M4/M7/M33);
 *        byte-identical to runtime_c/kernels/ref/add_s8.c.
 *
 * The three requantizations per element (a and b to the common scale, the sum to the output) use
 * dsp_util.h's prepared form of requant.h's functions: |a - a_zp| <= 255 bounds every accumulator, and
 * a's left_shift and multiplier shift fold into one shift. Each input's rescaled value depends only on its
 * byte, so for large tensors two 256-entry tables (on the stack, 2 KB) hold them, already shifted left by
 * the output requantization's shift: per element two byte loads, two table loads, an add and the
 * output's SMMLAR / tie / ASR / SSAT. Small tensors skip the table build (about 3.6K instructions) and
 * requantize directly. Where a bound does not hold (huge shifts), the reference's loop runs. Broadcasting
 * walks the operands with the reference's odometer (index_util.h of runtime_c/kernels/ref).
 */
#include <stddef.h>

#include "dsp_util.h"
#include "index_util.h"
#include "add_s8_check.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/* Elements from which the tables pay: building them costs about 3.6K instructions, and they save about
   35 per element (measured on the Cortex-M4 under QEMU: direct ~48, tables ~13 per element). */
#define ADD_TABLE_MIN 128

/* |mlc_requant(x, mult, shift)| for |x| <= bound (mult < 2^31): at most bound * 2^shift, plus rounding. */
static int64_t add_bound(int64_t bound, int32_t shift)
{
    return (shift >= 0 ? bound << shift : bound >> -shift) + 1;
}

/* The output requantization of the prepared form (dsp_util.h's mlc_dsp_rq) for a2 = acc * 2^lsh, which
   keeps acc's sign; neg is 0 or 1. */
static MLC_DSP_ALWAYS_INLINE int32_t add_out(int32_t a2, int32_t mult, int32_t add, int32_t neg, int32_t rsh)
{
    const int32_t t = mlc_dsp_smmlar(a2, mult, add) - (neg & (a2 >> 31));
    return mlc_dsp_ssat8(t >> rsh);
}

/* dsp_util.h's mlc_dsp_rq_raw with the prepared parameters in registers. */
static MLC_DSP_ALWAYS_INLINE int32_t add_in(int32_t d, int32_t mult, int32_t add, int32_t neg, int32_t lsh, int32_t rsh)
{
    return (mlc_dsp_smmlar((int32_t)((uint32_t)d << lsh), mult, add) - (neg & (d >> 31))) >> rsh;
}

/* One run through the tables. unit (a compile-time 1 or 0) selects unit strides, neg a constant 1 for the
   common right-shifted output (one SUB with LSR #31 then does the tie adjustment); clamp 0 (compile time)
   skips the [lo, hi] clamp when it is the full int8 range, as SSAT already saturates. */
static MLC_DSP_ALWAYS_INLINE void add_run_table(const int32_t *ta, const int32_t *tb, const int8_t *pa,
                                                const int8_t *pb, int32_t sa, int32_t sb, int8_t *py, int32_t n,
                                                int32_t mult, int32_t add, int32_t neg, int32_t rsh,
                                                uint32_t lo4, uint32_t hi4, int unit, int clamp)
{
    int32_t i;
    if (unit) sa = sb = 1;
    for (i = 0; i + 3 < n; i += 4) {
        const int32_t r0 = add_out(ta[pa[0]] + tb[pb[0]], mult, add, neg, rsh);
        const int32_t r1 = add_out(ta[pa[sa]] + tb[pb[sb]], mult, add, neg, rsh);
        const int32_t r2 = add_out(ta[pa[2 * sa]] + tb[pb[2 * sb]], mult, add, neg, rsh);
        const int32_t r3 = add_out(ta[pa[3 * sa]] + tb[pb[3 * sb]], mult, add, neg, rsh);
        const uint32_t v = mlc_dsp_pack4(r0, r1, r2, r3);
        mlc_dsp_st32(py + i, clamp ? mlc_dsp_clamp4(v, lo4, hi4) : v);
        pa += 4 * sa;
        pb += 4 * sb;
    }
    for (; i < n; ++i, pa += sa, pb += sb) {
        const int32_t r = add_out(ta[*pa] + tb[*pb], mult, add, neg, rsh);
        py[i] = (int8_t)mlc_dsp_s8(mlc_dsp_clamp4((uint32_t)r, lo4, hi4));
    }
}

/* t[q] for q in -128..127 (t centred: index by the signed byte): x = q - zp requantized by q_in (lsh, mult,
   add, neg, rsh: mlc_dsp_rq_raw), shifted left by lsh_y. x * 2^lsh steps by 2^lsh, and the tie adjustment
   -neg of a negative x folds into add below q = zp: about 7 instructions per entry. */
static void add_table(int32_t *t, int32_t zp, const mlc_dsp_rq_t *q_in, int32_t lsh_y)
{
    const int32_t mult = q_in->mult, add = q_in->add, rsh = q_in->rsh, lsh = q_in->lsh;
    const uint32_t step = (uint32_t)1 << lsh;
    uint32_t a2 = (uint32_t)(-128 - zp) << lsh; /* (q - zp) * 2^lsh, exact: q_in is fast */
    int32_t q;
    for (q = -128; q < zp; ++q, a2 += step) { /* q - zp < 0 */
        t[q] = (int32_t)((uint32_t)((mlc_dsp_smmlar((int32_t)a2, mult, add - q_in->neg)) >> rsh) << lsh_y);
    }
    for (; q < 128; ++q, a2 += step) {
        t[q] = (int32_t)((uint32_t)(mlc_dsp_smmlar((int32_t)a2, mult, add) >> rsh) << lsh_y);
    }
}

static int add_tables(const mlc_binary_s8_params_t *p, const mlc_it_t *it0, const int8_t *a, const int8_t *b,
                      int8_t *y, const mlc_dsp_rq_t *qa, const mlc_dsp_rq_t *qb, const mlc_dsp_rq_t *qy)
{
    int32_t ta[256], tb[256], r;
    mlc_it_t it = *it0;
    const int32_t mult = qy->mult, add = qy->add, rsh = qy->rsh, neg = qy->neg;
    const uint32_t lo4 = mlc_dsp_dup4(p->act_min), hi4 = mlc_dsp_dup4(p->act_max);
    const int full = p->act_min == -128 && p->act_max == 127;
    /* qy->fast: (|va| + |vb|) * 2^(lsh - 1) < 2^30, so the shifted entries and their sum fit int32 */
    add_table(ta + 128, p->a_zero_point, qa, qy->lsh);
    add_table(tb + 128, p->b_zero_point, qb, qy->lsh);
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const int8_t *pa = a + it.off[0], *pb = b + it.off[1];
        const int32_t sa = it.inner_stride[0], sb = it.inner_stride[1], n = it.inner;
        if (sa == 1 && sb == 1 && neg != 0 && full) {
            add_run_table(ta + 128, tb + 128, pa, pb, 1, 1, y, n, mult, add, 1, rsh, lo4, hi4, 1, 0);
        } else if (sa == 1 && sb == 1 && neg != 0) {
            add_run_table(ta + 128, tb + 128, pa, pb, 1, 1, y, n, mult, add, 1, rsh, lo4, hi4, 1, 1);
        } else {
            add_run_table(ta + 128, tb + 128, pa, pb, sa, sb, y, n, mult, add, neg, rsh, lo4, hi4, 0, 1);
        }
        y += n;
    }
    return MLC_OK;
}

int mlc_add_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    mlc_it_t it;
    mlc_dsp_rq_t qa, qb, qy;
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
    qa.lsh = (uint8_t)(qa.lsh + ls);
    qb.lsh = (uint8_t)(qb.lsh + ls);
    if (!(qa.fast && qb.fast && qy.fast)) { /* the reference's loop */
        for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
            const int8_t *pa = a + it.off[0], *pb = b + it.off[1];
            const int32_t sa = it.inner_stride[0], sb = it.inner_stride[1], n = it.inner;
            for (i = 0; i < n; ++i, pa += sa, pb += sb) {
                const int32_t va = mlc_requant(((int32_t)*pa - azp) * ((int32_t)1 << ls), p->a_mult, p->a_shift);
                const int32_t vb = mlc_requant(((int32_t)*pb - bzp) * ((int32_t)1 << ls), p->b_mult, p->b_shift);
                py[i] = mlc_requant_s8(va + vb, p->y_mult, p->y_shift, zp, lo, hi);
            }
            py += n;
        }
        return MLC_OK;
    }
    if ((int64_t)it.rows * it.inner >= ADD_TABLE_MIN) return add_tables(p, &it, a, b, y, &qa, &qb, &qy);
    {
        /* the prepared parameters in locals: stores through py may alias any struct GCC would reload */
        const int32_t ma = qa.mult, adda = qa.add, nega = qa.neg, lsha = qa.lsh, rsha = qa.rsh;
        const int32_t mb = qb.mult, addb = qb.add, negb = qb.neg, lshb = qb.lsh, rshb = qb.rsh;
        const int32_t my = qy.mult, addy = qy.add, negy = qy.neg, lshy = qy.lsh, rshy = qy.rsh;
        const uint32_t lo4 = mlc_dsp_dup4(lo), hi4 = mlc_dsp_dup4(hi);
        for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
            const int8_t *pa = a + it.off[0], *pb = b + it.off[1];
            const int32_t sa = it.inner_stride[0], sb = it.inner_stride[1], n = it.inner;
            for (i = 0; i < n; ++i, pa += sa, pb += sb) {
                const int32_t da = (int32_t)*pa - azp, db = (int32_t)*pb - bzp;
                const int32_t va = add_in(da, ma, adda, nega, lsha, rsha), vb = add_in(db, mb, addb, negb, lshb, rshb);
                const int32_t a2 = (int32_t)((uint32_t)(va + vb) << lshy);
                py[i] = (int8_t)mlc_dsp_s8(mlc_dsp_clamp4((uint32_t)add_out(a2, my, addy, negy, rshy), lo4, hi4));
            }
            py += n;
        }
    }
    return MLC_OK;
}
