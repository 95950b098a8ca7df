/**
 * @file avgpool2d_s8.c
 * @brief Int8 average pooling, NCHW, with dilation, padding and count_include_pad; the average rounds to
 *        nearest with ties away from zero (TFLite); fused clamp.
 */
#include "index_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_avgpool2d_s8(const mlc_pool2d_s8_params_t *p, const int8_t *x, int8_t *y)
{
    int32_t nc, oh, ow, kh, kw;
    const int32_t plane = p->h_in * p->w_in;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (p->k_h < 0 || p->k_w < 0 || p->k_h > MLC_S8_MAX_TAPS / (p->k_w > 0 ? p->k_w : 1)) return MLC_EINVAL;
    if (!mlc_s8_ok(p->zero_point) || !mlc_s8_range_ok(p->act_min, p->act_max)) return MLC_EINVAL;
    for (nc = 0; nc < p->n * p->c; ++nc) {
        const int8_t *xc = x + nc * plane;
        for (oh = 0; oh < p->h_out; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            int32_t kh0, kh1, ph0, ph1;
            mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
            /* count_include_pad: taps inside [-pad_top, h_in + pad_bottom), i.e. the padded input. */
            mlc_window_range(ih0 + p->pad_top, p->dil_h, p->k_h, p->h_in + p->pad_top + p->pad_bottom, &ph0, &ph1);
            for (ow = 0; ow < p->w_out; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t kw0, kw1, pw0, pw1, count, valid, sum = 0, avg;
                mlc_window_range(iw0, p->dil_w, p->k_w, p->w_in, &kw0, &kw1);
                mlc_window_range(iw0 + p->pad_left, p->dil_w, p->k_w, p->w_in + p->pad_left + p->pad_right, &pw0,
                                 &pw1);
                for (kh = kh0; kh < kh1; ++kh) {
                    const int8_t *xr = xc + (ih0 + kh * p->dil_h) * p->w_in + iw0;
                    for (kw = kw0; kw < kw1; ++kw) sum += xr[kw * p->dil_w];
                }
                valid = (kh1 - kh0) * (kw1 - kw0);
                if (p->count_include_pad) {
                    count = (ph1 - ph0) * (pw1 - pw0);
                    sum += (count - valid) * p->zero_point; /* a padded position is real 0, i.e. q = zero_point */
                } else {
                    count = valid;
                }
                if (count <= 0) {
                    avg = p->zero_point;
                } else {
                    avg = sum >= 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                }
                if (avg < p->act_min) avg = p->act_min;
                if (avg > p->act_max) avg = p->act_max;
                *y++ = (int8_t)avg;
            }
        }
    }
    return MLC_OK;
}
