/**
 * @file avgpool2d_f32.c
 * @brief Average pooling and LpPool, NCHW, with dilation, padding and count_include_pad.
 */
#include <math.h>

#include "index_util.h"
#include "mlc/kernels_f32.h"
#include "mlc/select.h"

int mlc_avgpool2d_f32(const mlc_pool2d_params_t *p, const float *x, float *y)
{
    int32_t nc, oh, ow, kh, kw;
    const int32_t plane = p->h_in * p->w_in;
    const float inv_p = p->lp_p > 0 ? 1.0f / (float)p->lp_p : 0.0f;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0 || p->lp_p < 0) return MLC_EINVAL;
    if (p->lp_p > 2 && !MLC_LP_POOL_POW) return MLC_EINVAL; /* left out by mlc/select.h */
    for (nc = 0; nc < p->n * p->c; ++nc) {
        const float *xc = x + nc * plane;
        for (oh = 0; oh < p->h_out; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            int32_t kh0, kh1, ph0, ph1;
            mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
            /* count_include_pad: taps inside [-pad_top, h_in + pad_bottom), i.e. the padded input. */
            mlc_window_range(ih0 + p->pad_top, p->dil_h, p->k_h, p->h_in + p->pad_top + p->pad_bottom, &ph0, &ph1);
            for (ow = 0; ow < p->w_out; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t kw0, kw1, pw0, pw1, count;
                float acc = 0.0f;
                mlc_window_range(iw0, p->dil_w, p->k_w, p->w_in, &kw0, &kw1);
                mlc_window_range(iw0 + p->pad_left, p->dil_w, p->k_w, p->w_in + p->pad_left + p->pad_right, &pw0,
                                 &pw1);
                for (kh = kh0; kh < kh1 && kw0 < kw1; ++kh) {
                    const float *xr = xc + (ih0 + kh * p->dil_h) * p->w_in + iw0 + kw0 * p->dil_w;
                    const int32_t n = kw1 - kw0;
                    if (p->lp_p == 0) {
                        for (kw = 0; kw < n; ++kw) acc += xr[kw * p->dil_w];
                    } else if (p->lp_p == 1) {
                        for (kw = 0; kw < n; ++kw) acc += fabsf(xr[kw * p->dil_w]);
                    } else if (p->lp_p == 2) {
                        for (kw = 0; kw < n; ++kw) acc += xr[kw * p->dil_w] * xr[kw * p->dil_w];
                    } else if (MLC_LP_POOL_POW) {
                        for (kw = 0; kw < n; ++kw) acc += powf(fabsf(xr[kw * p->dil_w]), (float)p->lp_p);
                    }
                }
                if (p->lp_p == 0) {
                    count = p->count_include_pad ? (ph1 - ph0) * (pw1 - pw0) : (kh1 - kh0) * (kw1 - kw0);
                    acc = count > 0 ? acc / (float)count : 0.0f;
                } else if (p->lp_p == 2) {
                    acc = sqrtf(acc);
                } else if (p->lp_p > 2 && MLC_LP_POOL_POW) {
                    acc = powf(acc, inv_p);
                }
                if (p->act.op != MLC_UNARY_IDENTITY) acc = mlc_unary_eval_f32(&p->act, acc);
                *y++ = acc;
            }
        }
    }
    return MLC_OK;
}
