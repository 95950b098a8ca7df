/**
 * @file fc_s8.c
 * @brief Int8 fully connected layer for Helium (MVE): results, return codes and parameter checks of
 *        ../ref/fc_s8.c.
 *
 * Two weight rows per loop, 16 bytes per VMLADAVA.S8 on the raw int8 input (x - x_zero_point may not fit
 * int8); VADDVA.S8 sums the same weight bytes, and bias - x_zero_point * sum(w) corrects the dot product
 * afterwards. Everything is modulo 2^32, so the accumulator equals the reference's bit for bit. A tail of
 * k % 16 bytes goes through zeroing predicated loads. Requantization: four channels per mlc_mve_rq4.
 */
#include <stddef.h>

#include "fc_s8_check.h"
#include "fc_s8_direct.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"
#include "mve_util.h"

#if MLC_MVE
/* dot(x, w) and sum(w) over k bytes for two weight rows: 3 loads, 2 VMLADAVA, 2 VADDVA per 16 bytes (four
   rows run out of core registers in GCC 12 and spill in the loop). */
static void fc_dot2(const int8_t *xp, const int8_t *w0, const int8_t *w1, int32_t k, int32_t *out)
{
    int32_t d0 = 0, d1 = 0, s0 = 0, s1 = 0;
    int32_t n16 = k >> 4;
    while (n16-- > 0) {
        const int8x16_t xv = vldrbq_s8(xp), a = vldrbq_s8(w0), b = vldrbq_s8(w1);
        d0 = vmladavaq_s8(d0, xv, a);
        s0 = vaddvaq_s8(s0, a);
        d1 = vmladavaq_s8(d1, xv, b);
        s1 = vaddvaq_s8(s1, b);
        xp += 16;
        w0 += 16;
        w1 += 16;
    }
    if ((k & 15) != 0) {
        const mve_pred16_t t = vctp8q((uint32_t)(k & 15));
        const int8x16_t xv = vldrbq_z_s8(xp, t), a = vldrbq_z_s8(w0, t), b = vldrbq_z_s8(w1, t);
        d0 = vmladavaq_s8(d0, xv, a);
        s0 = vaddvaq_s8(s0, a);
        d1 = vmladavaq_s8(d1, xv, b);
        s1 = vaddvaq_s8(s1, b);
    }
    out[0] = d0;
    out[1] = d1;
    out[2] = s0;
    out[3] = s1;
}

/* Outputs j..j+3 of one input row (rows past n repeat row n - 1; their outputs are not stored). */
static void fc_rows4(const mlc_fc_s8_params_t *p, const int8_t *xr, const int8_t *w, const int32_t *bias,
                     const int32_t *qmult, int32_t j, int8_t *yr)
{
    const int32_t k = p->k, rows = p->n - j < 4 ? p->n - j : 4;
    const int8_t *w0 = w + j * k;
    const int8_t *w1 = rows > 1 ? w0 + k : w0;
    const int8_t *w2 = rows > 2 ? w1 + k : w1;
    const int8_t *w3 = rows > 3 ? w2 + k : w2;
    const mve_pred16_t lanes = vctp32q((uint32_t)rows);
    int32_t r01[4], r23[4];
    int32x4_t acc;
    fc_dot2(xr, w0, w1, k, r01);
    fc_dot2(xr, w2, w3, k, r23);
    /* acc = bias + dot - x_zp * sum(w), modulo 2^32 like the reference's int32 sum */
    acc = vsubq_s32(mlc_mve_vec4(r01[0], r01[1], r23[0], r23[1]),
                    vmulq_n_s32(mlc_mve_vec4(r01[2], r01[3], r23[2], r23[3]), p->x_zero_point));
    if (bias != NULL) acc = vaddq_s32(acc, vldrwq_z_s32(bias + j, lanes));
    acc = mlc_mve_rq4_qm(acc, vldrwq_z_s32(qmult + j, lanes), p->y_zero_point, p->act_min, p->act_max);
    vstrbq_p_s32(yr + j, acc, lanes);
}
#endif

int mlc_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *qmult, int8_t *y)
{
    if (!mlc_fc_s8_params_ok(p, qmult)) return MLC_EINVAL;
#if MLC_MVE
    if (p->w_layout == MLC_FC_W_ROWS) { /* the layout mlc asks for on this kernel set */
        int32_t i, j;
        for (i = 0; i < p->m; ++i) {
            for (j = 0; j < p->n; j += 4) fc_rows4(p, x + i * p->k, w, bias, qmult, j, y + i * p->n);
        }
        return MLC_OK;
    }
#endif
    mlc_fc_s8_direct(p, x, w, bias, qmult, y); /* portable, or the DSP kernels' layout */
    return MLC_OK;
}
