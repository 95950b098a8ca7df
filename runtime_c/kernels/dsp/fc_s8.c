/**
 * @file fc_s8.c
 * @brief Int8 fully connected layer for cores with the DSP extension (Cortex-M4/M7/M33); byte-identical to
 *        runtime_c/kernels/ref/fc_s8.c.
 *
 * Weights in the MLC_FC_W_ROWS4 layout (what mlc stores for these kernels; MLC_FC_W_ROWS goes through
 * the reference loop): four output rows at once. The input row is widened to x - x_zero_point once per
 * call (onto the stack, up to FC_XW inputs; else per block of four): SXTAB16 gives inputs 0, 2 and
 * SXTAB16 ROR 8 inputs 1, 3. One LDM brings the group's 16 weights of four inputs, SXTB16 / SXTB16 ROR 8
 * widen them in the same lane order (no repacking), eight SMLADs: 18 instructions per 16 MACs, four
 * blocks per loop. With one input row every weight is used once, so its widening cannot be shared. Each
 * row is requantized straight from (mult, shift) (mlc_dsp_rq_direct) and clamped four bytes at a time.
 * When one pass over the rows (which is also the parameter check) shows every row within
 * mlc_dsp_rq_direct_exact's conditions (mlc_dsp_rows_uniform), the four rows are requantized with no test:
 * 11 instructions a row instead of about 22.
 */
#include <stddef.h>

#include "dsp_util.h"
#include "fc_s8_check.h"
#include "fc_s8_direct.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/* x - x_zero_point of up to this many inputs is widened once onto the stack (4 bytes per 2 inputs). */
#define FC_XW 1024

/* One row of a MLC_FC_W_ROWS4 block: its weight word wr widened against xe = (x0,x2), xo = (x1,x3). */
#define FC4_ROW(acc, wr)                                                                                          \
    acc = mlc_dsp_smlad(mlc_dsp_sxtb16_odd(wr), xo, mlc_dsp_smlad(mlc_dsp_sxtb16(wr), xe, acc))
/* The block's four rows (C; the 16 weights at wp). */
#define FC4_BLOCK()                                                                                               \
    do {                                                                                                          \
        const uint32_t w0 = mlc_dsp_ld32(wp), w1 = mlc_dsp_ld32(wp + 4);                                          \
        const uint32_t w2 = mlc_dsp_ld32(wp + 8), w3 = mlc_dsp_ld32(wp + 12);                                     \
        FC4_ROW(a0, w0);                                                                                          \
        FC4_ROW(a1, w1);                                                                                          \
        FC4_ROW(a2, w2);                                                                                          \
        FC4_ROW(a3, w3);                                                                                          \
    } while (0)

#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
#define FC4_ASM_ROW(acc, wr)                                                                                      \
    "sxtb16 %[t], %[" wr "]\n\t"                                                                                   \
    "smlad  %[" acc "], %[t], %[xe], %[" acc "]\n\t"                                                              \
    "sxtb16 %[" wr "], %[" wr "], ror #8\n\t"                                                                      \
    "smlad  %[" acc "], %[" wr "], %[xo], %[" acc "]\n\t"
#define FC4_ASM_BLOCK                                                                                             \
    "ldrd   %[xe], %[xo], [%[xw]], #8\n\t"                                                                        \
    "ldmia  %[wp]!, {%[w0], %[w1], %[w2], %[w3]}\n\t" FC4_ASM_ROW("a0", "w0") FC4_ASM_ROW("a1", "w1")             \
        FC4_ASM_ROW("a2", "w2") FC4_ASM_ROW("a3", "w3")
#define FC4_ASM_OPERANDS                                                                                          \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xw] "+r"(xp), [wp] "+r"(wp), [xe] "=&r"(xe),    \
        [xo] "=&r"(xo), [t] "=&r"(tt), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)
#endif

/* |acc| < 2^29 + k * 255 * 128 < 2^30 for rows that pass mlc_dsp_rows_uniform and k <= FC_UNI_MAX_K. */
#define FC_UNI_MAX_K 16384

#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
/* mlc_dsp_rq_direct_exact of one accumulator, row i's packed (mult, shift) at mp + 4 i. */
#define FC_RQ_ASM_ROW(acc, i)                                                                                     \
    "ldr    %[m], [%[mp], #4 * " i "]\n\t"                                                                      \
    "sxtb   %[s], %[m]\n\t"                                                                                     \
    "bic    %[m], %[m], #255\n\t"                                                                               \
    "rsb    %[r], %[s], #0\n\t"                                                                                   \
    "lsl    %[t], %[zp2], %[r]\n\t"                                                                               \
    "and    %[s], %[s], %[" acc "]\n\t"                                                                           \
    "asr    %[t], %[t], #1\n\t"                                                                                   \
    "lsl    %[" acc "], %[" acc "], #1\n\t"                                                                       \
    "smmlar %[" acc "], %[" acc "], %[m], %[t]\n\t"                                                               \
    "add    %[" acc "], %[" acc "], %[s], asr #31\n\t"                                                            \
    "asr    %[" acc "], %[" acc "], %[r]\n\t"                                                                     \
    "ssat   %[" acc "], #8, %[" acc "]\n\t"
#endif

/* Four accumulators through mlc_dsp_rq_direct_exact (its conditions hold), packed into one word. */
static MLC_DSP_ALWAYS_INLINE uint32_t fc_rq4_exact(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *mp,
                                                   uint32_t zp2)
{
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    uint32_t m, s, r, t;
    __asm__(FC_RQ_ASM_ROW("a0", "0") FC_RQ_ASM_ROW("a1", "1") FC_RQ_ASM_ROW("a2", "2") FC_RQ_ASM_ROW("a3", "3")
            "bfi    %[a0], %[a1], #8, #8\n\t"
            "bfi    %[a0], %[a2], #16, #8\n\t"
            "bfi    %[a0], %[a3], #24, #8"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [m] "=&r"(m), [s] "=&r"(s),
              [r] "=&r"(r), [t] "=&r"(t)
            : [mp] "r"(mp), [zp2] "r"(zp2)
            : "memory");
    return (uint32_t)a0;
#else
    return mlc_dsp_pack4(mlc_dsp_rq_direct_exact(a0, mlc_qm_mult(mp[0]), mlc_qm_shift(mp[0]), zp2),
                         mlc_dsp_rq_direct_exact(a1, mlc_qm_mult(mp[1]), mlc_qm_shift(mp[1]), zp2),
                         mlc_dsp_rq_direct_exact(a2, mlc_qm_mult(mp[2]), mlc_qm_shift(mp[2]), zp2),
                         mlc_dsp_rq_direct_exact(a3, mlc_qm_mult(mp[3]), mlc_qm_shift(mp[3]), zp2));
#endif
}

/* The same, widening x on the fly (inputs too long for the stack copy). */
MLC_DSP_NOINLINE static void fc_group4_x(const int8_t *xr, const int8_t *xr_end, uint32_t nz, const int8_t *wp,
                                         int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (; xr < xr_end; xr += 4, wp += 16) {
        const uint32_t xv = mlc_dsp_ld32(xr);
        const uint32_t xe = mlc_dsp_sxtab16(nz, xv), xo = mlc_dsp_sxtab16_odd(nz, xv);
        FC4_BLOCK();
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/*
 * One input row through every group of four weight rows of the MLC_FC_W_ROWS4 layout, x widened
 * beforehand into xw ((x0,x2) (x1,x3) per four inputs) or, when xw is NULL, on the fly. Requantization
 * straight from (mult, shift): mlc_dsp_rq_direct, or with uni (mlc_dsp_rows_uniform) fc_rq4_exact.
 */
MLC_DSP_NOINLINE static void fc_groups4(const mlc_fc_s8_params_t *p, const int8_t *xr, const uint32_t *xw,
                                        const int8_t *w, const int32_t *bias, const int32_t *qmult, int8_t *y,
                                        int uni)
{
    const int32_t k = p->k, nb = k / 4, kt = k - 4 * nb, xzp = p->x_zero_point, zp = p->y_zero_point;
    const uint32_t zp2 = (uint32_t)(2 * zp + 1), lo4 = mlc_dsp_dup4(p->act_min), hi4 = mlc_dsp_dup4(p->act_max);
    const int clamp = p->act_min > -128 || p->act_max < 127; /* SSAT already gives the full int8 range */
    const uint32_t *const xw_end = xw != NULL ? xw + 2 * nb : NULL;
    int32_t j, t;
    for (j = 0; j + 3 < p->n; j += 4, w += 4 * k) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int8_t *wp = w;
        uint32_t v;
        if (bias != NULL) {
            a0 = bias[j];
            a1 = bias[j + 1];
            a2 = bias[j + 2];
            a3 = bias[j + 3];
        }
        if (xw != NULL) {
            const uint32_t *xp = xw;
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
            /* LDM fills registers in number order: the weight words of rows 0..3 in r8..r11 */
            register uint32_t w0 __asm__("r8"), w1 __asm__("r9"), w2 __asm__("r10"), w3 __asm__("r11");
            uint32_t xe, xo, tt;
            if ((nb & 1) != 0) __asm__ volatile(FC4_ASM_BLOCK : FC4_ASM_OPERANDS : : "memory");
            if ((nb & 2) != 0) __asm__ volatile(FC4_ASM_BLOCK FC4_ASM_BLOCK : FC4_ASM_OPERANDS : : "memory");
            if (xp < xw_end) { /* four blocks per iteration */
                __asm__ volatile("1:\n\t" FC4_ASM_BLOCK FC4_ASM_BLOCK FC4_ASM_BLOCK FC4_ASM_BLOCK
                                 "cmp %[xw], %[end]\n\tbne 1b\n\t"
                                 : FC4_ASM_OPERANDS
                                 : [end] "r"(xw_end)
                                 : "cc", "memory");
            }
#else
            for (; xp < xw_end; xp += 2, wp += 16) {
                const uint32_t xe = xp[0], xo = xp[1];
                FC4_BLOCK();
            }
#endif
        } else {
            int32_t acc[4];
            acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
            fc_group4_x(xr, xr + 4 * nb, mlc_dsp_dup2(-xzp), wp, acc);
            a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
            wp += 16 * nb;
        }
        for (t = 0; t < kt; ++t, ++wp) { /* each row's last k % 4 weights, row after row */
            const int32_t xv = (int32_t)xr[4 * nb + t] - xzp;
            a0 += xv * wp[0];
            a1 += xv * wp[kt];
            a2 += xv * wp[2 * kt];
            a3 += xv * wp[3 * kt];
        }
        if (uni) {
            v = fc_rq4_exact(a0, a1, a2, a3, qmult + j, zp2);
        } else {
            v = mlc_dsp_pack4(mlc_dsp_rq_direct(a0, mlc_qm_mult(qmult[j]), mlc_qm_shift(qmult[j]), zp2, zp),
                              mlc_dsp_rq_direct(a1, mlc_qm_mult(qmult[j + 1]), mlc_qm_shift(qmult[j + 1]), zp2, zp),
                              mlc_dsp_rq_direct(a2, mlc_qm_mult(qmult[j + 2]), mlc_qm_shift(qmult[j + 2]), zp2, zp),
                              mlc_dsp_rq_direct(a3, mlc_qm_mult(qmult[j + 3]), mlc_qm_shift(qmult[j + 3]), zp2, zp));
        }
        mlc_dsp_st32(y + j, clamp ? mlc_dsp_clamp4(v, lo4, hi4) : v);
    }
}

int mlc_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *qmult, int8_t *y)
{
    int32_t i, j, t;
    const int32_t k = p->k, n = p->n, xzp = p->x_zero_point, zp = p->y_zero_point;
    const int32_t lo = p->act_min, hi = p->act_max, nb = p->k / 4;
    uint32_t nz, lo4, hi4;
    uint32_t xw[FC_XW / 2];
    int uni;
    if (!mlc_fc_s8_shape_ok(p)) return MLC_EINVAL;
    uni = p->w_layout == MLC_FC_W_ROWS4 && k <= FC_UNI_MAX_K &&
          mlc_dsp_rows_uniform(bias, qmult, n);
    if (!uni && !mlc_fc_s8_params_ok(p, qmult)) return MLC_EINVAL; /* uni rows are valid */
    if (p->w_layout != MLC_FC_W_ROWS4) { /* mlc stores MLC_FC_W_ROWS4 for these kernels */
        mlc_fc_s8_direct(p, x, w, bias, qmult, y);
        return MLC_OK;
    }
    nz = mlc_dsp_dup2(-xzp);
    lo4 = mlc_dsp_dup4(lo);
    hi4 = mlc_dsp_dup4(hi);
    for (i = 0; i < p->m; ++i) {
        const int8_t *xr = x + i * k;
        const uint32_t *xwp = NULL;
        if (k <= FC_XW) { /* widened once, read by every group of four rows */
            int32_t b;
            for (b = 0; b < nb; ++b) {
                const uint32_t xv = mlc_dsp_ld32(xr + 4 * b);
                xw[2 * b] = mlc_dsp_sxtab16(nz, xv);
                xw[2 * b + 1] = mlc_dsp_sxtab16_odd(nz, xv);
            }
            xwp = xw;
        }
        fc_groups4(p, xr, xwp, w, bias, qmult, y + i * n, uni);
        for (j = n - n % 4; j < n; ++j) { /* the last n % 4 rows, row-major, one at a time */
            const int8_t *wa = w + j * k;
            mlc_dsp_rq_t rq;
            int32_t a0, b;
            mlc_dsp_rq_prepare(&rq, mlc_qm_mult(qmult[j]), mlc_qm_shift(qmult[j]), zp, bias != NULL ? bias[j] : 0, k);
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
