/**
 * @file conv2d_s8.c
 * @brief Direct int8 2-D convolution, NCHW, groups (depthwise), pads, strides, dilations; per-channel
 *        requantization and fused clamp.
 */
#include "conv2d_s8_direct.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_conv2d_s8(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *qmult, int16_t *scratch, int8_t *y)
{
    int32_t cig, oc;
    (void)scratch;
    if (p->groups <= 0 || p->c_in % p->groups != 0 || p->c_out % p->groups != 0) return MLC_EINVAL;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (p->k_h <= 0 || p->k_w <= 0) return MLC_EINVAL;
    if (p->w_layout != MLC_CONV_W_OIHW && p->w_layout != MLC_CONV_W_OHWI) return MLC_EINVAL;
    if (!mlc_s8_ok(p->x_zero_point) || !mlc_s8_ok(p->y_zero_point) || !mlc_s8_range_ok(p->act_min, p->act_max))
        return MLC_EINVAL;
    cig = p->c_in / p->groups;
    if (cig > MLC_S8_MAX_TAPS / p->k_h / p->k_w) return MLC_EINVAL;
    for (oc = 0; oc < p->c_out; ++oc) {
        if (!mlc_qm_valid(qmult[oc])) return MLC_EINVAL;
    }
    mlc_conv2d_s8_direct(p, x, w, bias, qmult, y);
    return MLC_OK;
}
