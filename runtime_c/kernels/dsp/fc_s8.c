/**
 * @file fc_s8.c
 * @brief Int8 fully connected layer for cores with the DSP extension (Cortex-M4/M7/M33); byte-identical to
 *        runtime_c/kernels/ref/fc_s8.c.
 *
 * Four output rows at once. The input row is widened to x - x_zero_point once per call (onto the stack, up
 * to FC_XW inputs; else per block of four): SXTAB16 gives inputs 0, 2 and SXTAB16 ROR 8 inputs 1, 3. Then
 * each weight row costs, per four inputs, one word load, SXTB16 / SXTB16 ROR 8 (the same lane order, so no
 * repacking) and two SMLADs: 23 instructions per 16 MACs in the inline-asm loop. The four results are
 * requantized by the prepared form of mlc_requant_s8 (dsp_util.h) and clamped four bytes at a time. With
 * one input row every weight is used once, so its widening cannot be shared: 0.8 MAC per instruction is
 * the ceiling of this scheme.
 */
#include <stddef.h>

#include "dsp_util.h"
#include "fc_s8_check.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/* x - x_zero_point of up to this many inputs is widened once onto the stack (4 bytes per 2 inputs). */
#define FC_XW 1024

/* One block of four inputs (widened: xe = (x0,x2), xo = (x1,x3)) against four weight rows. */
#define FC_BLOCK4()                                                                                               \
    do {                                                                                                          \
        uint32_t wv_ = mlc_dsp_ld32(w0);                                                                          \
        a0 = mlc_dsp_smlad(mlc_dsp_sxtb16(wv_), xe, a0);                                                          \
        a0 = mlc_dsp_smlad(mlc_dsp_sxtb16_odd(wv_), xo, a0);                                                      \
        wv_ = mlc_dsp_ld32(w0 + k);                                                                               \
        a1 = mlc_dsp_smlad(mlc_dsp_sxtb16(wv_), xe, a1);                                                          \
        a1 = mlc_dsp_smlad(mlc_dsp_sxtb16_odd(wv_), xo, a1);                                                      \
        wv_ = mlc_dsp_ld32(w2);                                                                                   \
        a2 = mlc_dsp_smlad(mlc_dsp_sxtb16(wv_), xe, a2);                                                          \
        a2 = mlc_dsp_smlad(mlc_dsp_sxtb16_odd(wv_), xo, a2);                                                      \
        wv_ = mlc_dsp_ld32(w2 + k);                                                                               \
        a3 = mlc_dsp_smlad(mlc_dsp_sxtb16(wv_), xe, a3);                                                          \
        a3 = mlc_dsp_smlad(mlc_dsp_sxtb16_odd(wv_), xo, a3);                                                      \
        w0 += 4;                                                                                                  \
        w2 += 4;                                                                                                  \
    } while (0)

#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
/*
 * The block in assembly: GCC 12 spills pointers and an accumulator in the C loop (13 values must stay in
 * registers). Rows 1 and 3 are read at [row 0 + k] and [row 2 + k] before the post-increments.
 */
#define FC_ASM_ROW(acc, addr)                                                                                     \
    "ldr    %[wv], " addr "\n\t"                                                                                  \
    "sxtb16 %[t], %[wv]\n\t"                                                                                      \
    "smlad  %[" acc "], %[t], %[xe], %[" acc "]\n\t"                                                              \
    "sxtb16 %[t], %[wv], ror #8\n\t"                                                                              \
    "smlad  %[" acc "], %[t], %[xo], %[" acc "]\n\t"
#define FC_ASM_BLOCK                                                                                              \
    "ldrd   %[xe], %[xo], [%[xw]], #8\n\t" FC_ASM_ROW("a1", "[%[w0], %[k]]") FC_ASM_ROW("a0", "[%[w0]], #4")      \
        FC_ASM_ROW("a3", "[%[w2], %[k]]") FC_ASM_ROW("a2", "[%[w2]], #4")
#endif

/* Four weight rows (w0, k apart) against x widened beforehand: xw holds (x0,x2) (x1,x3) per four inputs. */
MLC_DSP_NOINLINE static void fc_rows4_xw(const uint32_t *xw, const uint32_t *xw_end, const int8_t *w0, int32_t k,
                                         int32_t *acc)
{
    const int8_t *w2 = w0 + 2 * k;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    if (xw < xw_end) {
        uint32_t xe, xo, wv, t;
        __asm__ volatile("1:\n\t" FC_ASM_BLOCK "cmp %[xw], %[end]\n\tbne 1b\n\t"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xw] "+r"(xw), [w0] "+r"(w0),
                           [w2] "+r"(w2), [xe] "=&r"(xe), [xo] "=&r"(xo), [wv] "=&r"(wv), [t] "=&r"(t)
                         : [end] "r"(xw_end), [k] "r"(k)
                         : "cc", "memory");
    }
#else
    for (; xw < xw_end; xw += 2) {
        const uint32_t xe = xw[0], xo = xw[1];
        FC_BLOCK4();
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* The same, widening x on the fly (inputs too long for the stack copy). */
MLC_DSP_NOINLINE static void fc_rows4_x(const int8_t *xr, const int8_t *xr_end, uint32_t nz, const int8_t *w0,
                                        int32_t k, int32_t *acc)
{
    const int8_t *w2 = w0 + 2 * k;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (; xr < xr_end; xr += 4) {
        const uint32_t xv = mlc_dsp_ld32(xr);
        const uint32_t xe = mlc_dsp_sxtab16(nz, xv), xo = mlc_dsp_sxtab16_odd(nz, xv);
        FC_BLOCK4();
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/*
 * Row j's accumulator requantized (before the [lo, hi] clamp), straight from (mult, shift): the usual
 * channel (right shift 1..22, |bias| + k * 32640 < 2^30) takes mlc_dsp_rq_right's exact form (dsp_util.h)
 * with its fields computed in registers, cheaper than preparing an mlc_dsp_rq_t per row; any other
 * channel goes through the prepared form or requant.h.
 */
static MLC_DSP_ALWAYS_INLINE int32_t fc_rq(int32_t acc, int32_t mult, int32_t shift, const int32_t *bias, int32_t j,
                                           int32_t k, int32_t zp, int32_t lo, int32_t hi)
{
    const int32_t b = bias != NULL ? bias[j] : 0;
    const uint32_t abs_bias = b < 0 ? 0u - (uint32_t)b : (uint32_t)b;
    if (MLC_DSP_LIKELY(shift < 0 && shift >= -22 && k <= MLC_S8_MAX_TAPS_DSP &&
                       abs_bias + (uint32_t)k * 32640u <= 0x3FFFFFFFu)) {
        const uint32_t rsh = (uint32_t)-shift;
        return mlc_dsp_rq_right(acc, 1, mult, ((int32_t)1 << (rsh - 1)) + zp * ((int32_t)1 << rsh), rsh);
    } else {
        mlc_dsp_rq_t rq;
        mlc_dsp_rq_prepare(&rq, mult, shift, zp, b, k);
        return mlc_dsp_rq1(acc, &rq, zp, lo, hi);
    }
}

int mlc_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *mult, const int32_t *shift, int8_t *y)
{
    int32_t i, j, r, t;
    const int32_t k = p->k, n = p->n, xzp = p->x_zero_point, zp = p->y_zero_point;
    const int32_t lo = p->act_min, hi = p->act_max, nb = p->k / 4;
    uint32_t nz, lo4, hi4;
    uint32_t xw[FC_XW / 2];
    if (!mlc_fc_s8_params_ok(p, mult, shift)) return MLC_EINVAL;
    nz = mlc_dsp_dup2(-xzp);
    lo4 = mlc_dsp_dup4(lo);
    hi4 = mlc_dsp_dup4(hi);
    for (i = 0; i < p->m; ++i) {
        const int8_t *xr = x + i * k;
        const uint32_t *xwp = NULL;
        if (k <= FC_XW && n >= 8) { /* widened once, read by every group of four rows */
            int32_t b;
            for (b = 0; b < nb; ++b) {
                const uint32_t xv = mlc_dsp_ld32(xr + 4 * b);
                xw[2 * b] = mlc_dsp_sxtab16(nz, xv);
                xw[2 * b + 1] = mlc_dsp_sxtab16_odd(nz, xv);
            }
            xwp = xw;
        }
        for (j = 0; j + 3 < n; j += 4) {
            const int8_t *w0 = w + j * k;
            int32_t acc[4];
            uint32_t v01, v23;
            for (r = 0; r < 4; ++r) acc[r] = bias != NULL ? bias[j + r] : 0;
            if (xwp != NULL) {
                fc_rows4_xw(xwp, xwp + 2 * nb, w0, k, acc);
            } else {
                fc_rows4_x(xr, xr + 4 * nb, nz, w0, k, acc);
            }
            for (t = 4 * nb; t < k; ++t) {
                const int32_t xv = (int32_t)xr[t] - xzp;
                for (r = 0; r < 4; ++r) acc[r] += xv * w0[r * k + t];
            }
            v01 = mlc_dsp_bytes2(fc_rq(acc[0], mult[j], shift[j], bias, j, k, zp, lo, hi),
                                 fc_rq(acc[1], mult[j + 1], shift[j + 1], bias, j + 1, k, zp, lo, hi));
            v23 = mlc_dsp_bytes2(fc_rq(acc[2], mult[j + 2], shift[j + 2], bias, j + 2, k, zp, lo, hi),
                                 fc_rq(acc[3], mult[j + 3], shift[j + 3], bias, j + 3, k, zp, lo, hi));
            mlc_dsp_st32(y + i * n + j, mlc_dsp_clamp4(mlc_dsp_pkhbt16(v01, v23), lo4, hi4));
        }
        for (; j < n; ++j) { /* the last n % 4 rows, one at a time */
            const int8_t *wa = w + j * k;
            mlc_dsp_rq_t rq;
            int32_t a0, b;
            mlc_dsp_rq_prepare(&rq, mult[j], shift[j], zp, bias != NULL ? bias[j] : 0, k);
            a0 = rq.bias;
            for (b = 0; b < nb; ++b) {
                const uint32_t xv = mlc_dsp_ld32(xr + 4 * b), wv = mlc_dsp_ld32(wa + 4 * b);
                a0 = mlc_dsp_smlad(mlc_dsp_sxtb16(wv), mlc_dsp_sxtab16(nz, xv), a0);
                a0 = mlc_dsp_smlad(mlc_dsp_sxtb16_odd(wv), mlc_dsp_sxtab16_odd(nz, xv), a0);
            }
            for (t = 4 * nb; t < k; ++t) a0 += ((int32_t)xr[t] - xzp) * wa[t];
            y[i * n + j] = (int8_t)(uint8_t)mlc_dsp_clamp4((uint32_t)mlc_dsp_rq1(a0, &rq, zp, lo, hi), lo4, hi4);
        }
    }
    return MLC_OK;
}
