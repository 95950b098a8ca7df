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

#if defined(__GNUC__)
#define MLC_REF_NOINLINE __attribute__((noinline))
#else
#define MLC_REF_NOINLINE
#endif

/* Weight steps of w_layout (kernels_s8.h): from one kernel position (kh, kw) to the next (w_tap), and from
   one input channel to the next (w_ic). One input channel: both layouts are the same bytes. A macro: -Os
   builds would call a function once per window. */
#define MLC_CONV2D_S8_W_STEPS(p, cig, w_tap, w_ic)                                                               \
    do {                                                                                                          \
        const int ohwi_ = (p)->w_layout == MLC_CONV_W_OHWI;                                                      \
        (w_tap) = ohwi_ ? (cig) : 1;                                                                              \
        (w_ic) = ohwi_ ? 1 : (p)->k_h * (p)->k_w;                                                                 \
    } while (0)

/* mlc_conv2d_s8_window for one input channel (depthwise): the kernel row innermost. Its own function: the
   general window's code stays as GCC compiles it alone. */
static MLC_REF_NOINLINE int32_t mlc_conv2d_s8_window_dw(const mlc_conv2d_s8_params_t *p, const int8_t *xg,
                                                        int32_t origin, const int8_t *woc, int32_t kh0, int32_t kh1,
                                                        int32_t kw0, int32_t kw1)
{
    const int32_t dil_w = p->dil_w, n = kw1 - kw0, xzp = p->x_zero_point;
    int32_t acc = 0, kh, kw;
    if (n <= 0) return 0;
    for (kh = kh0; kh < kh1; ++kh) {
        const int8_t *xp = xg + (origin + kh * p->dil_h * p->w_in + kw0 * dil_w);
        const int8_t *wp = woc + kh * p->k_w + kw0;
        for (kw = n;;) {
            acc += ((int32_t)*xp - xzp) * (int32_t)*wp++;
            if (--kw == 0) break; /* no pointer is stepped past the input */
            xp += dil_w;
        }
    }
    return acc;
}

/* Taps (ic, kh, kw) of one output with kernel rows [kh0, kh1) and columns [kw0, kw1) inside the input: the
   sum of (x - x_zero_point) * w; the window's origin (row ih0, column iw0, maybe in the padding) is at
   offset `origin` of the group's input xg (an integer: no pointer is formed outside the input). */
static MLC_REF_NOINLINE int32_t mlc_conv2d_s8_window(const mlc_conv2d_s8_params_t *p, const int8_t *xg, int32_t origin,
                                                     const int8_t *woc, int32_t kh0, int32_t kh1, int32_t kw0,
                                                     int32_t kw1)
{
    const int32_t cig = p->c_in / p->groups, plane_in = p->h_in * p->w_in, xzp = p->x_zero_point;
    int32_t acc = 0, ic, kh, kw, w_tap, w_ic;
    if (cig == 1) return mlc_conv2d_s8_window_dw(p, xg, origin, woc, kh0, kh1, kw0, kw1);
    MLC_CONV2D_S8_W_STEPS(p, cig, w_tap, w_ic);
    for (kh = kh0; kh < kh1; ++kh) {
        for (kw = kw0; kw < kw1; ++kw) { /* the channels innermost, as in mlc_conv2d_s8_quad */
            const int8_t *xp = xg + (origin + kh * p->dil_h * p->w_in + kw * p->dil_w);
            const int8_t *wp = woc + (kh * p->k_w + kw) * w_tap;
            for (ic = cig;;) {
                acc += ((int32_t)*xp - xzp) * (int32_t)*wp;
                if (--ic == 0) break; /* no pointer is stepped past the input */
                xp += plane_in;
                wp += w_ic;
            }
        }
    }
    return acc;
}

/* The window sums of four neighbouring outputs of a row (stride_w apart), every window inside the input
   horizontally, as mlc_conv2d_s8_window: sum(x * w) - x_zero_point * sum(w) (the same integers: every partial
   sum stays within the accumulator bound the kernel's checks guarantee, |x * w| and |zp * w| <= 128 * 128 per
   tap). One weight load serves four products; the channels run innermost (a 1x1 kernel is one loop). Not
   inlined: its own registers (GCC spills the accumulators inside the caller's loop nest). */
static MLC_REF_NOINLINE void mlc_conv2d_s8_quad(const mlc_conv2d_s8_params_t *p, const int8_t *xg, int32_t origin,
                                                 const int8_t *woc, int32_t kh0, int32_t kh1, int32_t out[4])
{
    const int32_t cig = p->c_in / p->groups, plane_in = p->h_in * p->w_in;
    const int32_t s1 = p->stride_w, s2 = 2 * s1, s3 = 3 * s1;
    /* the innermost run: the channels of one tap (x step a plane, w step w_ic), or for one channel
       (depthwise) a kernel row (x step dil_w, w step 1) */
    const int dws = cig == 1;
    int32_t w_tap, w_ic, run, x_step, w_step;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, wsum = 0, kh, kw, t;
    MLC_CONV2D_S8_W_STEPS(p, cig, w_tap, w_ic);
    run = dws ? p->k_w : cig;
    x_step = dws ? p->dil_w : plane_in;
    w_step = dws ? 1 : w_ic;
    for (kh = kh0; kh < kh1; ++kh) {
        for (kw = 0; kw < p->k_w; kw += dws ? p->k_w : 1) {
            int32_t xi = origin + kh * p->dil_h * p->w_in + kw * p->dil_w;
            const int8_t *wp = woc + (kh * p->k_w + kw) * w_tap;
            if (s1 == 1) { /* neighbours: immediate offsets keep every accumulator in a register */
                const int8_t *xp = xg + xi;
                for (t = run;;) {
                    const int32_t wv = *wp;
                    wsum += wv;
                    a0 += xp[0] * wv;
                    a1 += xp[1] * wv;
                    a2 += xp[2] * wv;
                    a3 += xp[3] * wv;
                    if (--t == 0) break; /* no pointer is stepped past the input */
                    xp += x_step;
                    wp += w_step;
                }
                continue;
            }
            for (t = 0; t < run; ++t, xi += x_step) {
                const int32_t wv = wp[t * w_step];
                wsum += wv;
                a0 += xg[xi] * wv;
                a1 += xg[xi + s1] * wv;
                a2 += xg[xi + s2] * wv;
                a3 += xg[xi + s3] * wv;
            }
        }
    }
    wsum *= p->x_zero_point;
    out[0] = a0 - wsum;
    out[1] = a1 - wsum;
    out[2] = a2 - wsum;
    out[3] = a3 - wsum;
}

/*
 * kernels_s8.h's mlc_conv2d_s8 after its checks: direct loops over the valid taps. Padding contributes
 * (x_zero_point - x_zero_point) * w = 0, so only taps inside the input are summed. Four neighbouring outputs
 * of a row whose windows lie inside the input horizontally go through mlc_conv2d_s8_quad.
 */
static void mlc_conv2d_s8_direct(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w,
                                 const int32_t *bias, const int32_t *qmult, int8_t *y)
{
    const int32_t cig = p->c_in / p->groups, cog = p->c_out / p->groups;
    const int32_t plane_in = p->h_in * p->w_in, ksize = p->k_h * p->k_w, wsize_oc = cig * ksize;
    const int32_t sw = p->stride_w, dw = p->dil_w, k_w = p->k_w;
    /* the last window column of output ow is iw0 + (k_w - 1) dil_w */
    const int32_t span_w = (k_w - 1) * dw;
    int32_t n, g, oc, oh, ow, k;
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->groups; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * cig) * plane_in;
            for (oc = g * cog; oc < (g + 1) * cog; ++oc) {
                const int8_t *woc = w + oc * wsize_oc;
                const int32_t b0 = bias != NULL ? bias[oc] : 0;
                const int32_t m = mlc_qm_mult(qmult[oc]), s = mlc_qm_shift(qmult[oc]);
                int8_t *yc = y + (n * p->c_out + oc) * p->h_out * p->w_out;
                for (oh = 0; oh < p->h_out; ++oh) {
                    const int32_t ih0 = oh * p->stride_h - p->pad_top;
                    const int32_t row0 = ih0 * p->w_in; /* offset of row ih0 (may lie in the padding) */
                    int8_t *yo = yc + oh * p->w_out;
                    int32_t kh0, kh1;
                    mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
                    if (cig <= 0) kh1 = kh0; /* no input channel: every window empty, bias only */
                    for (ow = 0; ow < p->w_out;) {
                        const int32_t iw0 = ow * sw - p->pad_left;
                        if (ow + 4 <= p->w_out && iw0 >= 0 && iw0 + 3 * sw + span_w < p->w_in) {
                            int32_t a[4];
                            mlc_conv2d_s8_quad(p, xg, row0 + iw0, woc, kh0, kh1, a);
                            for (k = 0; k < 4; ++k) {
                                yo[ow + k] = mlc_requant_s8(b0 + a[k], m, s, p->y_zero_point, p->act_min, p->act_max);
                            }
                            ow += 4;
                        } else {
                            int32_t kw0, kw1;
                            mlc_window_range(iw0, dw, k_w, p->w_in, &kw0, &kw1);
                            yo[ow] = mlc_requant_s8(b0 + mlc_conv2d_s8_window(p, xg, row0 + iw0, woc, kh0, kh1, kw0, kw1),
                                                    m, s, p->y_zero_point, p->act_min, p->act_max);
                            ++ow;
                        }
                    }
                }
            }
        }
    }
}

#endif /* MLC_KERNELS_REF_CONV2D_S8_DIRECT_H */
