/**
 * @file avgpool2d_s8.c
 * @brief Int8 average pooling, NCHW, for cores with the DSP extension (Cortex-M4/M7/M33); byte-identical to
 *        runtime_c/kernels/ref/avgpool2d_s8.c.
 *
 * The columns whose window lies inside the input (and inside the padded input) are found once per call,
 * so there the sum runs without window arithmetic and the divisor is constant along the row; two rows of
 * 2-wide stride-2 windows (the common 2x2 pool) sum four outputs per step with SIMD halfword adds. The
 * other outputs take the reference's per-window computation. Rounding: (sum +- count / 2) / count.
 */
#include "dsp_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/* sum / count rounded to nearest, ties away from zero; count > 0 */
static inline int32_t pool_avg(int32_t sum, int32_t count)
{
    return sum >= 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

static inline int8_t pool_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* SADD16: lane-wise a + b. */
static inline uint32_t pool_sadd16(uint32_t a, uint32_t b)
{
#if MLC_DSP
    return (uint32_t)__sadd16((int16x2_t)a, (int16x2_t)b);
#else
    return mlc_dsp_pack16(mlc_dsp_s16(a) + mlc_dsp_s16(b), mlc_dsp_s16(a >> 16) + mlc_dsp_s16(b >> 16));
#endif
}

int mlc_avgpool2d_s8(const mlc_pool2d_s8_params_t *p, const int8_t *x, int8_t *y)
{
    int32_t nc, oh, ow, kh, kw;
    const int32_t plane = p->h_in * p->w_in, lo = p->act_min, hi = p->act_max, zp = p->zero_point;
    const int32_t sw = p->stride_w, dw = p->dil_w, k_w = p->k_w;
    int32_t in_lo = 0, in_hi = 0; /* interior columns [in_lo, in_hi) */
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (p->k_h < 0 || p->k_w < 0 || p->k_h > MLC_S8_MAX_TAPS / (p->k_w > 0 ? p->k_w : 1)) return MLC_EINVAL;
    if (!mlc_s8_ok(p->zero_point) || !mlc_s8_range_ok(p->act_min, p->act_max)) return MLC_EINVAL;
    if (p->pad_left >= 0 && p->pad_right >= 0 && k_w > 0) {
        /* iw0 = ow * sw - pad_left >= 0 and iw0 + (k_w - 1) * dw <= w_in - 1: the full window, padded or not */
        const int32_t last = p->w_in - 1 - (k_w - 1) * dw + p->pad_left;
        in_lo = (p->pad_left + sw - 1) / sw;
        in_hi = last >= 0 ? last / sw + 1 : 0;
        if (in_hi > p->w_out) in_hi = p->w_out;
        if (in_lo > in_hi) in_lo = in_hi;
    }
    for (nc = 0; nc < p->n * p->c; ++nc) {
        const int8_t *xc = x + nc * plane;
        for (oh = 0; oh < p->h_out; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            int32_t kh0, kh1, ph0, ph1, count_in;
            mlc_dsp_window(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
            mlc_dsp_window(ih0 + p->pad_top, p->dil_h, p->k_h, p->h_in + p->pad_top + p->pad_bottom, &ph0, &ph1);
            /* interior columns: valid = (kh1 - kh0) * k_w, padded positions only above or below */
            count_in = p->count_include_pad ? (ph1 - ph0) * k_w : (kh1 - kh0) * k_w;
            ow = 0;
            while (ow < p->w_out) {
                const int32_t iw0 = ow * sw - p->pad_left;
                int32_t kw0, kw1, pw0, pw1, count, valid, sum = 0, avg;
                if (ow == in_lo && in_lo < in_hi) { /* the interior columns in one go */
                    const int32_t extra = p->count_include_pad ? (count_in - (kh1 - kh0) * k_w) * zp : 0;
                    const int32_t row0 = (ih0 + kh0 * p->dil_h) * p->w_in - p->pad_left, step = p->dil_h * p->w_in;
                    if (count_in <= 0) {
                        for (; ow < in_hi; ++ow) y[ow] = pool_clamp(zp, lo, hi);
                    } else if (k_w == 2 && sw == 2 && dw == 1 && kh1 - kh0 <= 64) {
                        /* 2-wide, stride 2: x[2j] + x[2j+1] of four outputs from two words per row, summed
                           in int16 lanes (64 rows * 256 fit) */
                        for (; ow + 3 < in_hi; ow += 4) {
                            uint32_t s01 = 0, s23 = 0;
                            int32_t off = row0 + 2 * ow;
                            for (kh = kh0; kh < kh1; ++kh, off += step) {
                                const uint32_t v0 = mlc_dsp_ld32(xc + off), v1 = mlc_dsp_ld32(xc + off + 4);
                                s01 = pool_sadd16(s01, pool_sadd16(mlc_dsp_sxtb16(v0), mlc_dsp_sxtb16_odd(v0)));
                                s23 = pool_sadd16(s23, pool_sadd16(mlc_dsp_sxtb16(v1), mlc_dsp_sxtb16_odd(v1)));
                            }
                            y[ow] = pool_clamp(pool_avg(mlc_dsp_s16(s01) + extra, count_in), lo, hi);
                            y[ow + 1] = pool_clamp(pool_avg(mlc_dsp_s16(s01 >> 16) + extra, count_in), lo, hi);
                            y[ow + 2] = pool_clamp(pool_avg(mlc_dsp_s16(s23) + extra, count_in), lo, hi);
                            y[ow + 3] = pool_clamp(pool_avg(mlc_dsp_s16(s23 >> 16) + extra, count_in), lo, hi);
                        }
                    }
                    for (; ow < in_hi; ++ow) {
                        int32_t off = row0 + ow * sw;
                        sum = 0;
                        for (kh = kh0; kh < kh1; ++kh, off += step) {
                            for (kw = 0; kw < k_w; ++kw) sum += xc[off + kw * dw];
                        }
                        y[ow] = pool_clamp(pool_avg(sum + extra, count_in), lo, hi);
                    }
                    continue;
                }
                mlc_dsp_window(iw0, dw, k_w, p->w_in, &kw0, &kw1);
                mlc_dsp_window(iw0 + p->pad_left, dw, k_w, p->w_in + p->pad_left + p->pad_right, &pw0, &pw1);
                for (kh = kh0; kh < kh1; ++kh) {
                    const int8_t *xr = xc + (ih0 + kh * p->dil_h) * p->w_in + iw0;
                    for (kw = kw0; kw < kw1; ++kw) sum += xr[kw * dw];
                }
                valid = (kh1 - kh0) * (kw1 - kw0);
                if (p->count_include_pad) {
                    count = (ph1 - ph0) * (pw1 - pw0);
                    sum += (count - valid) * zp; /* a padded position is real 0, i.e. q = zero_point */
                } else {
                    count = valid;
                }
                avg = count <= 0 ? zp : pool_avg(sum, count);
                y[ow++] = pool_clamp(avg, lo, hi);
            }
            y += p->w_out;
        }
    }
    return MLC_OK;
}
