/**
 * @file conv2d_f32.c
 * @brief Direct 2-D convolution, NCHW, with groups, dilation and fused activation.
 */
#include "index_util.h"
#include "mlc/kernels_f32.h"

int mlc_conv2d_f32(const mlc_conv2d_params_t *p, const float *x, const float *w, const float *bias,
                   float *y)
{
    int32_t cig, cog, n, g, oc, oh, ow, ic, kh, kw;
    int32_t plane_in, ksize, wsize_oc;
    if (p->groups <= 0 || p->c_in % p->groups != 0 || p->c_out % p->groups != 0) return MLC_EINVAL;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (p->k_h <= 0 || p->k_w <= 0) return MLC_EINVAL;
    cig = p->c_in / p->groups;
    cog = p->c_out / p->groups;
    plane_in = p->h_in * p->w_in;
    ksize = p->k_h * p->k_w;
    wsize_oc = cig * ksize;
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->groups; ++g) {
            const float *xg = x + (n * p->c_in + g * cig) * plane_in;
            for (oc = g * cog; oc < (g + 1) * cog; ++oc) {
                const float *woc = w + oc * wsize_oc;
                const float b0 = bias != NULL ? bias[oc] : 0.0f;
                for (oh = 0; oh < p->h_out; ++oh) {
                    const int32_t ih0 = oh * p->stride_h - p->pad_top;
                    int32_t kh0, kh1;
                    /* Valid kernel rows for this output row: no bounds checks in the MAC loops. */
                    mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
                    for (ow = 0; ow < p->w_out; ++ow) {
                        const int32_t iw0 = ow * p->stride_w - p->pad_left;
                        int32_t kw0, kw1;
                        float acc = b0;
                        mlc_window_range(iw0, p->dil_w, p->k_w, p->w_in, &kw0, &kw1);
                        if (cig == 1) {
                            /* Depthwise: one input channel, loop the window directly. */
                            /* Pointers start at the first valid tap so they never point outside x. */
                            for (kh = kh0; kh < kh1 && kw0 < kw1; ++kh) {
                                const float *xr = xg + (ih0 + kh * p->dil_h) * p->w_in + iw0 + kw0 * p->dil_w;
                                const float *wr = woc + kh * p->k_w + kw0;
                                for (kw = 0; kw < kw1 - kw0; ++kw) acc += xr[kw * p->dil_w] * wr[kw];
                            }
                        } else {
                            /* Channels innermost: a 1x1 conv becomes one tight dot product. */
                            for (kh = kh0; kh < kh1; ++kh) {
                                for (kw = kw0; kw < kw1; ++kw) {
                                    const float *xp = xg + (ih0 + kh * p->dil_h) * p->w_in + iw0 + kw * p->dil_w;
                                    const float *wp = woc + kh * p->k_w + kw;
                                    for (ic = 0; ic < cig; ++ic, xp += plane_in, wp += ksize) acc += *xp * *wp;
                                }
                            }
                        }
                        if (p->act.op != MLC_UNARY_IDENTITY) acc = mlc_unary_eval_f32(&p->act, acc);
                        y[((n * p->c_out + oc) * p->h_out + oh) * p->w_out + ow] = acc;
                    }
                }
            }
        }
    }
    return MLC_OK;
}
