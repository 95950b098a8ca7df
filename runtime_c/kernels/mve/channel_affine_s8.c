/**
 * @file channel_affine_s8.c
 * @brief Int8 per-channel affine (BatchNormalization that was not folded) for Helium (MVE): results,
 *        return codes and parameter checks of ../ref/channel_affine_s8.c.
 *
 * (x - x_zero_point) * w + bias fits int32 (|bias| <= 2^30 is checked), so four lanes compute it exactly and
 * mlc_mve_rq4 requantizes them: lanes over channels when inner = 1 (after a Gemm), else over inner with
 * the channel's scalars. In place (y == x) works: each vector is read before it is written.
 */
#include <stddef.h>

#include "channel_affine_s8_check.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"
#include "mve_util.h"

int mlc_channel_affine_s8(const mlc_channel_affine_s8_params_t *p, const int8_t *x, const int8_t *w,
                          const int32_t *bias, const int32_t *qmult, int8_t *y)
{
    int32_t o, c, i;
    if (!mlc_channel_affine_s8_shape_ok(p) || !mlc_channel_affine_s8_channels_ok(p, bias, qmult))
        return MLC_EINVAL;
#if MLC_MVE
    {
        const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
        for (o = 0; o < p->outer; ++o) {
            if (p->inner == 1) { /* four channels per vector */
                for (c = 0; c < p->channels; c += 4) {
                    const mve_pred16_t t = vctp32q((uint32_t)(p->channels - c));
                    int32x4_t acc = vmulq_s32(vsubq_n_s32(vldrbq_z_s32(x + c, t), p->x_zero_point),
                                              vldrbq_z_s32(w + c, t));
                    if (bias != NULL) acc = vaddq_s32(acc, vldrwq_z_s32(bias + c, t));
                    acc = mlc_mve_rq4_qm(acc, vldrwq_z_s32(qmult + c, t), p->y_zero_point, p->act_min, p->act_max);
                    vstrbq_p_s32(y + c, acc, t);
                }
            } else {
                for (c = 0; c < p->channels; ++c) {
                    const int32_t wc = w[c], bc = bias != NULL ? bias[c] : 0;
                    const int32_t mc = mlc_qm_mult(qmult[c]), sc = mlc_qm_shift(qmult[c]);
                    for (i = 0; i < p->inner; i += 4) {
                        const mve_pred16_t t = vctp32q((uint32_t)(p->inner - i));
                        int32x4_t acc = vaddq_n_s32(
                            vmulq_n_s32(vsubq_n_s32(vldrbq_z_s32(x + c * p->inner + i, t), p->x_zero_point), wc), bc);
                        acc = mlc_mve_rq4_n(acc, mc, sc, p->y_zero_point, lo, hi);
                        vstrbq_p_s32(y + c * p->inner + i, acc, t);
                    }
                }
            }
            x += p->channels * p->inner;
            y += p->channels * p->inner;
        }
    }
#else
    for (o = 0; o < p->outer; ++o) { /* portable: the reference loop */
        for (c = 0; c < p->channels; ++c) {
            const int32_t wc = w[c], bc = bias != NULL ? bias[c] : 0, m = mlc_qm_mult(qmult[c]), s = mlc_qm_shift(qmult[c]);
            for (i = 0; i < p->inner; ++i) {
                const int32_t acc = ((int32_t)x[i] - p->x_zero_point) * wc + bc;
                y[i] = mlc_requant_s8(acc, m, s, p->y_zero_point, p->act_min, p->act_max);
            }
            x += p->inner;
            y += p->inner;
        }
    }
#endif
    return MLC_OK;
}
