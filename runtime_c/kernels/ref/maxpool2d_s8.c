/**
 * @file maxpool2d_s8.c
 * @brief Int8 max pooling, NCHW, with dilation and padding (padding never wins), fused clamp.
 */
#include "index_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_maxpool2d_s8(const mlc_pool2d_s8_params_t *p, const int8_t *x, int8_t *y)
{
    int32_t nc, oh, ow, kh, kw;
    const int32_t plane = p->h_in * p->w_in;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (!mlc_s8_range_ok(p->act_min, p->act_max)) return MLC_EINVAL;
    for (nc = 0; nc < p->n * p->c; ++nc) {
        const int8_t *xc = x + nc * plane;
        for (oh = 0; oh < p->h_out; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            int32_t kh0, kh1;
            mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
            for (ow = 0; ow < p->w_out; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t kw0, kw1, mx = -128;
                mlc_window_range(iw0, p->dil_w, p->k_w, p->w_in, &kw0, &kw1);
                for (kh = kh0; kh < kh1; ++kh) {
                    const int8_t *xr = xc + (ih0 + kh * p->dil_h) * p->w_in + iw0;
                    for (kw = kw0; kw < kw1; ++kw) {
                        const int32_t v = xr[kw * p->dil_w];
                        if (v > mx) mx = v;
                    }
                }
                if (mx < p->act_min) mx = p->act_min;
                if (mx > p->act_max) mx = p->act_max;
                *y++ = (int8_t)mx;
            }
        }
    }
    return MLC_OK;
}
