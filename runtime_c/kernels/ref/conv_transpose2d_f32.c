/**
 * @file conv_transpose2d_f32.c
 * @brief 2-D transposed convolution, NCHW, as a scatter of every input pixel into the output.
 */
#include "index_util.h"
#include "mlc/kernels_f32.h"

int mlc_conv_transpose2d_f32(const mlc_conv_transpose2d_params_t *p, const float *x, const float *w,
                             const float *bias, float *y)
{
    int32_t cig, cog, n, g, ic, oc, ih, iw, kh, kw, i;
    int32_t plane_in, plane_out, ksize;
    if (p->groups <= 0 || p->c_in % p->groups != 0 || p->c_out % p->groups != 0) return MLC_EINVAL;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (p->k_h <= 0 || p->k_w <= 0) return MLC_EINVAL;
    cig = p->c_in / p->groups;
    cog = p->c_out / p->groups;
    plane_in = p->h_in * p->w_in;
    plane_out = p->h_out * p->w_out;
    ksize = p->k_h * p->k_w;
    for (n = 0; n < p->n; ++n) {
        float *yn = y + n * p->c_out * plane_out;
        for (oc = 0; oc < p->c_out; ++oc) {
            const float b0 = bias != NULL ? bias[oc] : 0.0f;
            for (i = 0; i < plane_out; ++i) yn[oc * plane_out + i] = b0;
        }
        for (g = 0; g < p->groups; ++g) {
            for (ic = g * cig; ic < (g + 1) * cig; ++ic) {
                const float *xc = x + (n * p->c_in + ic) * plane_in;
                for (oc = 0; oc < cog; ++oc) {
                    const float *wk = w + (ic * cog + oc) * ksize;
                    float *yc = yn + (g * cog + oc) * plane_out;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        /* Input columns whose output column ow = iw * stride + off lands inside. */
                        const int32_t off = kw * p->dil_w - p->pad_left;
                        int32_t iw0, iw1;
                        mlc_window_range(off, p->stride_w, p->w_in, p->w_out, &iw0, &iw1);
                        for (kh = 0; kh < p->k_h; ++kh) {
                            const float wv = wk[kh * p->k_w + kw];
                            const int32_t offh = kh * p->dil_h - p->pad_top;
                            int32_t ih0, ih1;
                            mlc_window_range(offh, p->stride_h, p->h_in, p->h_out, &ih0, &ih1);
                            for (ih = ih0; ih < ih1; ++ih) {
                                const float *xr = xc + ih * p->w_in + iw0;
                                float *yr = yc + (ih * p->stride_h + offh) * p->w_out + off + iw0 * p->stride_w;
                                for (iw = 0; iw < iw1 - iw0; ++iw) yr[iw * p->stride_w] += xr[iw] * wv;
                            }
                        }
                    }
                }
            }
        }
        if (p->act.op != MLC_UNARY_IDENTITY) {
            for (i = 0; i < p->c_out * plane_out; ++i) yn[i] = mlc_unary_eval_f32(&p->act, yn[i]);
        }
    }
    return MLC_OK;
}
