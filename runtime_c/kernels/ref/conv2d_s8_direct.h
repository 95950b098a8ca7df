/**
 * @file conv2d_s8_direct.h
 * @brief The reference int8 convolution loop (parameters already checked), shared by the reference kernel
 *        and by the optimized kernels for the cases their fast paths leave out.
 */
#ifndef MLC_KERNELS_REF_CONV2D_S8_DIRECT_H
#define MLC_KERNELS_REF_CONV2D_S8_DIRECT_H

#include <stddef.h>

#include "index_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/** kernels_s8.h's mlc_conv2d_s8 after its checks: direct loops over the valid taps. */
static void mlc_conv2d_s8_direct(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w,
                                 const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *y)
{
    const int32_t cig = p->c_in / p->groups, cog = p->c_out / p->groups;
    const int32_t plane_in = p->h_in * p->w_in, ksize = p->k_h * p->k_w, wsize_oc = cig * ksize;
    const int32_t xzp = p->x_zero_point;
    int32_t n, g, oc, oh, ow, ic, kh, kw;
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->groups; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * cig) * plane_in;
            for (oc = g * cog; oc < (g + 1) * cog; ++oc) {
                const int8_t *woc = w + oc * wsize_oc;
                const int32_t b0 = bias != NULL ? bias[oc] : 0;
                const int32_t m = mult[oc], s = shift[oc];
                int8_t *yc = y + (n * p->c_out + oc) * p->h_out * p->w_out;
                for (oh = 0; oh < p->h_out; ++oh) {
                    const int32_t ih0 = oh * p->stride_h - p->pad_top;
                    int32_t kh0, kh1;
                    /* Valid kernel rows: padding contributes (x_zero_point - x_zero_point) * w = 0. */
                    mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
                    for (ow = 0; ow < p->w_out; ++ow) {
                        const int32_t iw0 = ow * p->stride_w - p->pad_left;
                        int32_t kw0, kw1;
                        int32_t acc = b0;
                        mlc_window_range(iw0, p->dil_w, p->k_w, p->w_in, &kw0, &kw1);
                        for (kh = kh0; kh < kh1; ++kh) {
                            for (kw = kw0; kw < kw1; ++kw) {
                                const int8_t *xp = xg + (ih0 + kh * p->dil_h) * p->w_in + iw0 + kw * p->dil_w;
                                const int8_t *wp = woc + kh * p->k_w + kw;
                                for (ic = 0; ic < cig; ++ic, xp += plane_in, wp += ksize) {
                                    acc += ((int32_t)*xp - xzp) * (int32_t)*wp;
                                }
                            }
                        }
                        yc[oh * p->w_out + ow] = mlc_requant_s8(acc, m, s, p->y_zero_point, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

#endif /* MLC_KERNELS_REF_CONV2D_S8_DIRECT_H */
