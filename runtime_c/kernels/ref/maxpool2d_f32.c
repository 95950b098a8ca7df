/**
 * @file maxpool2d_f32.c
 * @brief Max pooling, NCHW, with dilation, padding and an optional flat-index output.
 */
#include <float.h>
#include <stddef.h>

#include "index_util.h"
#include "mlc/kernels_f32.h"

static int maxpool(const mlc_pool2d_params_t *p, const float *x, float *y, float *indices)
{
    int32_t nc, oh, ow, kh, kw;
    const int32_t plane = p->h_in * p->w_in;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    for (nc = 0; nc < p->n * p->c; ++nc) {
        const float *xc = x + nc * plane;
        for (oh = 0; oh < p->h_out; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            int32_t kh0, kh1;
            mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
            for (ow = 0; ow < p->w_out; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t kw0, kw1, best = -1;
                float mx = -FLT_MAX; /* padding never wins (as onnxruntime) */
                mlc_window_range(iw0, p->dil_w, p->k_w, p->w_in, &kw0, &kw1);
                for (kh = kh0; kh < kh1; ++kh) {
                    const int32_t row = (ih0 + kh * p->dil_h) * p->w_in + iw0;
                    for (kw = kw0; kw < kw1; ++kw) {
                        const int32_t pos = row + kw * p->dil_w;
                        if (best < 0 || xc[pos] > mx) { /* strict: the first maximum wins */
                            mx = xc[pos];
                            best = pos;
                        }
                    }
                }
                if (p->act.op != MLC_UNARY_IDENTITY) mx = mlc_unary_eval_f32(&p->act, mx);
                *y++ = mx;
                if (indices != NULL) *indices++ = (float)(nc * plane + (best < 0 ? 0 : best));
            }
        }
    }
    return MLC_OK;
}

int mlc_maxpool2d_f32(const mlc_pool2d_params_t *p, const float *x, float *y)
{
    return maxpool(p, x, y, NULL);
}

int mlc_maxpool2d_indices_f32(const mlc_pool2d_params_t *p, const float *x, float *y, float *indices)
{
    return maxpool(p, x, y, indices);
}
