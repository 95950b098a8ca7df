/**
 * @file conv2d_s8.c
 * @brief Int8 2-D convolution for Helium (MVE, Cortex-M55), NCHW; results, return codes and parameter
 *        checks of runtime_c/kernels/ref/conv2d_s8.c.
 *
 * Both fast paths multiply the raw int8 input (x - x_zero_point may not fit int8) and start each channel's
 * accumulator at bias - x_zero_point * sum(w). A padded tap holds x_zero_point, so it adds
 * x_zero_point * w, which that start cancels: exactly the reference's 0. All sums are modulo 2^32 like the
 * reference's int32 accumulator, so the requantizer (mve_util.h, exact) sees the same value.
 *  - depthwise (groups = c_in = c_out): four outputs of a row per int32 vector, VMLA by each scalar weight,
 *    from copies of the k_h input rows padded with x_zero_point on the stack;
 *  - everything else: per output pixel an int8 column of its taps ("im2col") in `scratch`, gathered by
 *    VLDRB (gather, 16-bit offsets) through a table of the taps' input offsets for pixels whose window lies
 *    inside the input, else by a scalar loop; then 2 output channels x 2 pixels per loop, 16 taps per
 *    VMLADAV.S8. scratch layout (4 * taps bytes): offset table (uint16 per tap), column 0, column 1.
 *  - at most 16 taps: four pixels' columns, one vector each, against each channel's weight vector;
 *  - no scratch, empty shapes: the reference loop (ref/conv2d_s8_direct.h).
 */
#include <stddef.h>

#include "index_util.h"
#include "conv2d_s8_direct.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"
#include "mve_util.h"

/* Output channel pairs whose requantization is prepared at once (80 bytes each on the stack). */
#define RQ_PAIRS 16
/* Depthwise path: stack bytes for padded input rows, bytes read past the last row, most taps. */
#define DW_BUF 2048
#define DW_SLACK 16
#define DW_MAX_TAPS 64

#if MLC_MVE

#if defined(__GNUC__)
#define MLC_MVE_INLINE inline __attribute__((always_inline))
#define MLC_MVE_NOINLINE __attribute__((noinline))
#else
#define MLC_MVE_INLINE inline
#define MLC_MVE_NOINLINE
#endif

/* bias - x_zero_point * sum(w[0..taps)), modulo 2^32. */
static int32_t conv_start(const int8_t *w, int32_t taps, int32_t bias, int32_t xzp)
{
    int32_t s = 0, t;
    for (t = 0; t + 16 <= taps; t += 16) s = vaddvaq_s8(s, vldrbq_s8(w + t));
    if (t < taps) s = vaddvaq_s8(s, vldrbq_z_s8(w + t, vctp8q((uint32_t)(taps - t))));
    return mlc_mve_wrap_msub(bias, xzp, s);
}

/* ---------------------------------------------------------------------------------------- depthwise */

/* A channel's requantization as lane vectors, no branches in the loops (mlc_mve_rq4's steps). */
typedef struct {
    int32x4_t left, right, neg; /* max(shift, 0); min(shift, 0); -1 where shift < 0 */
    int32_t mult;
} rq_n_t;

static rq_n_t rq_n(int32_t mult, int32_t shift)
{
    rq_n_t q;
    q.left = vdupq_n_s32(shift > 0 ? shift : 0);
    q.right = vdupq_n_s32(shift < 0 ? shift : 0);
    q.neg = vdupq_n_s32(shift < 0 ? -1 : 0);
    q.mult = mult;
    return q;
}

static inline int32x4_t rq_n_apply(int32x4_t acc, const rq_n_t *q, int32_t zp, int32x4_t lo, int32x4_t hi)
{
    int32x4_t x = vqrdmulhq_n_s32(vqshlq_s32(acc, q->left), q->mult);
    x = vrshlq_s32(vaddq_s32(x, vandq_s32(vshrq_n_s32(x, 31), q->neg)), q->right);
    return vminq_s32(vmaxq_s32(vqaddq_n_s32(x, zp), lo), hi);
}

/* Depthwise geometry: a strip of output rows reads a copy of its input rows padded with x_zero_point, `pitch`
   bytes per row, so every tap of every output (padding included) is a plain load. */
typedef struct {
    const mlc_conv2d_s8_params_t *p;
    int32_t pitch, strip, flat, ntaps;
    int32_t toff[DW_MAX_TAPS]; /* tap (kh, kw) at kh * dil_h * pitch + kw * dil_w */
} dw_t;

/* Byte offsets of a block of whole rows of `width` bytes at row pitch `pitch`: lane i -> row i / width,
   column i % width, for the rows * width <= 16 lanes that fit (*rows); 0 when a block does not fit. */
static int row_block(int32_t width, int32_t pitch, uint8x16_t *offs, int32_t *rows)
{
    uint8_t o[16] = {0};
    int32_t i, r = width > 0 && width <= 16 ? 16 / width : 0;
    if (r == 0 || (r - 1) * pitch + width - 1 > 255) return 0;
    for (i = 0; i < r * width; ++i) o[i] = (uint8_t)(i / width * pitch + i % width);
    *offs = vldrbq_u8(o);
    *rows = r;
    return 1;
}

/* rows rows of width bytes, contiguous at src, to dst at row pitch `pitch`: several narrow rows per
   scattered store (KWS's 5-byte rows), else row by row. */
static void rows_spread(const int8_t *src, int32_t rows, int32_t width, int8_t *dst, int32_t pitch)
{
    uint8x16_t offs;
    int32_t per, r, i;
    if (row_block(width, pitch, &offs, &per)) {
        const mve_pred16_t full = vctp8q((uint32_t)(per * width));
        for (r = 0; r + per <= rows; r += per, src += per * width, dst += per * pitch)
            vstrbq_scatter_offset_p_s8(dst, offs, vldrbq_z_s8(src, full), full);
        if (r < rows) {
            const mve_pred16_t t = vctp8q((uint32_t)((rows - r) * width));
            vstrbq_scatter_offset_p_s8(dst, offs, vldrbq_z_s8(src, t), t);
        }
        return;
    }
    for (r = 0; r < rows; ++r, src += width, dst += pitch) {
        for (i = 0; i + 16 <= width; i += 16) vstrbq_s8(dst + i, vldrbq_s8(src + i));
        if (i < width) {
            const mve_pred16_t t = vctp8q((uint32_t)(width - i));
            vstrbq_p_s8(dst + i, vldrbq_z_s8(src + i, t), t);
        }
    }
}

/* The reverse: rows of width bytes at pitch `pitch` from src, packed contiguously at dst. */
static void rows_pack(const int8_t *src, int32_t pitch, int32_t rows, int32_t width, int8_t *dst)
{
    uint8x16_t offs;
    int32_t per, r, i;
    if (row_block(width, pitch, &offs, &per)) {
        for (r = 0; r + per <= rows; r += per, src += per * pitch, dst += per * width)
            vstrbq_p_s8(dst, vldrbq_gather_offset_s8(src, offs), vctp8q((uint32_t)(per * width)));
        if (r < rows) vstrbq_p_s8(dst, vldrbq_gather_offset_s8(src, offs), vctp8q((uint32_t)((rows - r) * width)));
        return;
    }
    for (r = 0; r < rows; ++r, src += pitch, dst += width) {
        for (i = 0; i + 16 <= width; i += 16) vstrbq_s8(dst + i, vldrbq_s8(src + i));
        if (i < width) {
            const mve_pred16_t t = vctp8q((uint32_t)(width - i));
            vstrbq_p_s8(dst + i, vldrbq_z_s8(src + i, t), t);
        }
    }
}

/* Rows [oh0, oh0 + rows) of channel plane xc into buf. */
static void dw_fill(const dw_t *d, const int8_t *xc, int32_t oh0, int32_t rows, int8_t *buf)
{
    const mlc_conv2d_s8_params_t *p = d->p;
    const int32_t in_rows = (rows - 1) * p->stride_h + (p->k_h - 1) * p->dil_h + 1;
    const int32_t total = in_rows * d->pitch + DW_SLACK;
    const int32_t c0 = p->pad_left < 0 ? -p->pad_left : 0; /* first input column kept */
    const int32_t ih_first = oh0 * p->stride_h - p->pad_top;
    const int8x16_t zp = vdupq_n_s8((int8_t)p->x_zero_point);
    int32_t i, r0, r1;
    for (i = 0; i < total; i += 16) vstrbq_s8(buf + i, zp); /* DW_BUF leaves room to round up */
    /* buffer rows r0..r1 are input rows inside the plane */
    r0 = ih_first < 0 ? -ih_first : 0;
    r1 = p->h_in - ih_first < in_rows ? p->h_in - ih_first : in_rows;
    if (r1 <= r0 || c0 >= p->w_in) return;
    if (c0 == 0) {
        rows_spread(xc + (ih_first + r0) * p->w_in, r1 - r0, p->w_in, buf + r0 * d->pitch + p->pad_left, d->pitch);
    } else {
        for (i = r0; i < r1; ++i)
            rows_spread(xc + (ih_first + i) * p->w_in + c0, 1, p->w_in - c0, buf + i * d->pitch, d->pitch);
    }
}

static int dw_plan(dw_t *d, const mlc_conv2d_s8_params_t *p)
{
    const int32_t blocks = (p->w_out + 3) / 4;
    const int64_t have = (int64_t)p->pad_left + p->w_in;
    int64_t need, pitch, per_row, fixed;
    int32_t kh, kw;
    if (p->k_h * p->k_w > DW_MAX_TAPS) return 0;
    d->p = p;
    d->flat = p->stride_h == 1 && p->stride_w == 1;
    /* the flat walk reads pitch - w_out junk columns; the row walk reads up to the last lane of its last block */
    need = d->flat ? (int64_t)p->w_out + (int64_t)(p->k_w - 1) * p->dil_w
                   : (int64_t)(blocks * 4 - 1) * p->stride_w + (int64_t)(p->k_w - 1) * p->dil_w + 1;
    pitch = need > have ? need : have;
    per_row = pitch * p->stride_h;
    fixed = (int64_t)(p->k_h - 1) * p->dil_h * pitch + pitch + DW_SLACK + 15; /* + rounding of the fill */
    if (fixed > DW_BUF) return 0;
    d->pitch = (int32_t)pitch;
    d->strip = (int32_t)((DW_BUF - fixed) / per_row) + 1;
    if (d->strip > p->h_out) d->strip = p->h_out;
    d->ntaps = 0;
    for (kh = 0; kh < p->k_h; ++kh)
        for (kw = 0; kw < p->k_w; ++kw) d->toff[d->ntaps++] = kh * p->dil_h * d->pitch + kw * p->dil_w;
    return 1;
}

/* Sum over taps of x[base + toff[t]] * w[t] on four lanes (lane i: base + i * step). */
static inline int32x4_t dw_taps(const dw_t *d, const int8_t *base, const int8_t *wc, int32x4_t acc, uint32x4_t soff,
                                int gather)
{
    int32_t t;
    if (d->ntaps == 9 && !gather) { /* 3x3, stride 1: the weights stay in registers */
        const int32_t *o = d->toff;
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[0]), wc[0]);
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[1]), wc[1]);
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[2]), wc[2]);
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[3]), wc[3]);
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[4]), wc[4]);
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[5]), wc[5]);
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[6]), wc[6]);
        acc = vmlaq_n_s32(acc, vldrbq_s32(base + o[7]), wc[7]);
        return vmlaq_n_s32(acc, vldrbq_s32(base + o[8]), wc[8]);
    }
    for (t = 0; t < d->ntaps; ++t) {
        const int32x4_t xv = gather ? vldrbq_gather_offset_s32(base + d->toff[t], soff) : vldrbq_s32(base + d->toff[t]);
        acc = vmlaq_n_s32(acc, xv, wc[t]);
    }
    return acc;
}

/* Four windows at base + i * step (i = 0..3): each window's taps gathered into one vector by byte offsets
   offs (lanes past the taps read base and meet weight 0), one VMLADAV.S8 each, requantized together.
   sign: the sign of shift, a constant in each caller so the loops carry no branch. */
static MLC_MVE_INLINE int32x4_t dw_four(const int8_t *base, int32_t step, uint8x16_t offs, int8x16_t wv,
                                        int32_t start, int32_t mult, int32_t shift, int sign, int32_t zp,
                                        int32x4_t lo, int32x4_t hi)
{
    const int32_t a0 = vmladavq_s8(vldrbq_gather_offset_s8(base, offs), wv);
    const int32_t a1 = vmladavq_s8(vldrbq_gather_offset_s8(base + step, offs), wv);
    const int32_t a2 = vmladavq_s8(vldrbq_gather_offset_s8(base + 2 * step, offs), wv);
    const int32_t a3 = vmladavq_s8(vldrbq_gather_offset_s8(base + 3 * step, offs), wv);
    int32x4_t x = vaddq_n_s32(mlc_mve_vec4(a0, a1, a2, a3), start);
    if (sign > 0) x = vqshlq_r_s32(x, shift);
    x = vqrdmulhq_n_s32(x, mult);
    if (sign < 0) x = vrshlq_n_s32(vaddq_s32(x, vshrq_n_s32(x, 31)), shift);
    return vminq_s32(vmaxq_s32(vqaddq_n_s32(x, zp), lo), hi);
}

static MLC_MVE_INLINE void dw_run_sign(const int8_t *base, int32_t step, int32_t count, uint8x16_t offs,
                                       int8x16_t wv, int32_t start, int32_t mult, int32_t shift, int sign,
                                       int32_t zp, int32x4_t lo, int32x4_t hi, int8_t *out)
{
    int32_t i;
    for (i = 0; i + 4 <= count; i += 4) {
        vstrbq_s32(out + i, dw_four(base, step, offs, wv, start, mult, shift, sign, zp, lo, hi));
        base += 4 * step;
    }
    if (i < count)
        vstrbq_p_s32(out + i, dw_four(base, step, offs, wv, start, mult, shift, sign, zp, lo, hi),
                     vctp32q((uint32_t)(count - i)));
}

/* count outputs, output i from the window at base + i * step, stored at out[i] (in place when out is the
   window row: block i reads only from base + i on, after which its bytes are free). */
static void dw_run(const int8_t *base, int32_t step, int32_t count, uint8x16_t offs, int8x16_t wv, int32_t start,
                   int32_t mult, int32_t shift, int32_t zp, int32x4_t lo, int32x4_t hi, int8_t *out)
{
    if (shift < 0)
        dw_run_sign(base, step, count, offs, wv, start, mult, shift, -1, zp, lo, hi, out);
    else if (shift > 0)
        dw_run_sign(base, step, count, offs, wv, start, mult, shift, 1, zp, lo, hi, out);
    else
        dw_run_sign(base, step, count, offs, wv, start, mult, shift, 0, zp, lo, hi, out);
}

/* Depthwise, one output channel per input channel, four outputs per int32 vector. Stride 1: the strip is
   walked as one flat run of pitch-wide rows, junk columns included (no per-row overhead on narrow planes
   such as KWS's 25 x 5); else row by row. Returns 0 (nothing written)
   when a padded row does not fit the stack buffer. */
static int conv_dw(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                   const int32_t *qmult, int8_t *y)
{
    int8_t buf[DW_BUF];
    dw_t d;
    const int32_t ksize = p->k_h * p->k_w, plane_in = p->h_in * p->w_in, plane_out = p->h_out * p->w_out;
    const uint32x4_t soff = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)p->stride_w);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int gather = p->stride_w != 1;
    uint8_t lane_off[16] = {0};
    uint8x16_t offs;
    int vmladav = 0;
    int32_t n, c, oh0, ow;
    if (!dw_plan(&d, p)) return 0;
    if (ksize <= 16 && (p->k_h - 1) * p->dil_h * d.pitch + (p->k_w - 1) * p->dil_w <= 255) { /* the window fits one gather of byte offsets */
        int32_t t;
        for (t = 0; t < d.ntaps; ++t) lane_off[t] = (uint8_t)d.toff[t];
        vmladav = 1;
    }
    offs = vldrbq_u8(lane_off);
    for (n = 0; n < p->n; ++n) {
        for (c = 0; c < p->c_out; ++c) {
            const int8_t *xc = x + (n * p->c_in + c) * plane_in;
            int8_t wc[DW_MAX_TAPS];
            int8x16_t wv;
            const int32_t mc = mlc_qm_mult(qmult[c]), sc = mlc_qm_shift(qmult[c]);
            const rq_n_t q = rq_n(mc, sc);
            const int32x4_t start =
                vdupq_n_s32(conv_start(w + c * ksize, ksize, bias != NULL ? bias[c] : 0, p->x_zero_point));
            int8_t *yc = y + (n * p->c_out + c) * plane_out;
            int32_t t;
            if (vmladav) {
                wv = vldrbq_z_s8(w + c * ksize, vctp8q((uint32_t)ksize)); /* lanes past the taps: 0 */
            } else {
                wv = vdupq_n_s8(0);
                for (t = 0; t < ksize; ++t) wc[t] = w[c * ksize + t];
            }
            for (oh0 = 0; oh0 < p->h_out; oh0 += d.strip) {
                const int32_t rows = p->h_out - oh0 < d.strip ? p->h_out - oh0 : d.strip;
                int8_t *ys = yc + oh0 * p->w_out;
                dw_fill(&d, xc, oh0, rows, buf);
                if (d.flat) {
                    /* outputs go back into buf in place (block j reads only buf[j..], and has read its own
                       bytes), then the rows are compacted into y */
                    const int32_t len = (rows - 1) * d.pitch + p->w_out;
                    int32_t j;
                    if (vmladav)
                        dw_run(buf, 1, len, offs, wv, vgetq_lane_s32(start, 0), mc, sc, p->y_zero_point,
                               lo, hi, buf);
                    else
                        for (j = 0; j < len; j += 4)
                        vstrbq_s32(buf + j, rq_n_apply(dw_taps(&d, buf + j, wc, start, soff, 0), &q, p->y_zero_point,
                                                       lo, hi));
                    rows_pack(buf, d.pitch, rows, p->w_out, ys);
                } else {
                    int32_t r;
                    for (r = 0; r < rows; ++r) {
                        const int8_t *row = buf + r * p->stride_h * d.pitch;
                        if (vmladav) {
                            dw_run(row, p->stride_w, p->w_out, offs, wv, vgetq_lane_s32(start, 0), mc, sc,
                                   p->y_zero_point, lo, hi, ys + r * p->w_out);
                            continue;
                        }
                        for (ow = 0; ow < p->w_out; ow += 4) {
                            const int32x4_t acc = rq_n_apply(dw_taps(&d, row + ow * p->stride_w, wc, start, soff, gather),
                                                             &q, p->y_zero_point, lo, hi);
                            vstrbq_p_s32(ys + r * p->w_out + ow, acc, vctp32q((uint32_t)(p->w_out - ow)));
                        }
                    }
                }
            }
        }
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ im2col */

typedef struct {
    const mlc_conv2d_s8_params_t *p;
    int32_t cig, taps, plane_in;
    const uint16_t *offs; /* NULL: no gather (some tap offset needs more than 16 bits) */
} col_t;

/* The taps of output pixel (oh, ow) of group input xg, in weight order (ic, kh, kw). */
static void conv_column(const col_t *c, const int8_t *xg, int32_t oh, int32_t ow, int8_t *dst)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
    const int8_t zpb = (int8_t)p->x_zero_point;
    int32_t ic, kh, kw;
    if (c->offs != NULL && ih0 >= 0 && iw0 >= 0 && ih0 + (p->k_h - 1) * p->dil_h < p->h_in &&
        iw0 + (p->k_w - 1) * p->dil_w < p->w_in) {
        const int8_t *base = xg + ih0 * p->w_in + iw0;
        int32_t t;
        for (t = 0; t + 8 <= c->taps; t += 8)
            vstrbq_s16(dst + t, vldrbq_gather_offset_s16(base, vldrhq_u16(c->offs + t)));
        if (t < c->taps) {
            const mve_pred16_t m = vctp16q((uint32_t)(c->taps - t));
            vstrbq_p_s16(dst + t, vldrbq_gather_offset_z_s16(base, vldrhq_z_u16(c->offs + t, m), m), m);
        }
        return;
    }
    if (p->dil_w == 1 && p->k_w <= 16) {
        /* a window over the border: x_zero_point everywhere, then each kernel row's run of taps inside the
           input copied as one predicated vector */
        const int32_t ksize = p->k_h * p->k_w;
        int32_t kh0, kh1, kw0, kw1, t;
        mlc_window_range(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
        mlc_window_range(iw0, 1, p->k_w, p->w_in, &kw0, &kw1);
        for (t = 0; t + 16 <= c->taps; t += 16) vstrbq_s8(dst + t, vdupq_n_s8(zpb));
        if (t < c->taps) vstrbq_p_s8(dst + t, vdupq_n_s8(zpb), vctp8q((uint32_t)(c->taps - t)));
        if (kw1 > kw0 && kh1 > kh0) {
            const mve_pred16_t run = vctp8q((uint32_t)(kw1 - kw0));
            for (ic = 0; ic < c->cig; ++ic) {
                for (kh = kh0; kh < kh1; ++kh) {
                    const int8_t *src = xg + ic * c->plane_in + (ih0 + kh * p->dil_h) * p->w_in + iw0 + kw0;
                    vstrbq_p_s8(dst + ic * ksize + kh * p->k_w + kw0, vldrbq_z_s8(src, run), run);
                }
            }
        }
        return;
    }
    for (ic = 0; ic < c->cig; ++ic) {
        const int8_t *xc = xg + ic * c->plane_in;
        for (kh = 0; kh < p->k_h; ++kh) {
            const int32_t ih = ih0 + kh * p->dil_h;
            if (ih < 0 || ih >= p->h_in) {
                for (kw = 0; kw < p->k_w; ++kw) *dst++ = zpb;
            } else {
                const int8_t *xr = xc + ih * p->w_in;
                for (kw = 0; kw < p->k_w; ++kw) {
                    const int32_t iw = iw0 + kw * p->dil_w;
                    *dst++ = iw >= 0 && iw < p->w_in ? xr[iw] : zpb;
                }
            }
        }
    }
}

/* A pair of output channels (oc, oc + 1) prepared for lanes (oc, q), (oc + 1, q), (oc, q + 1), (oc + 1, q + 1):
   the accumulator start and mlc_mve_rq4's per-lane shifts, computed once per call. */
typedef struct {
    int32x4_t start, mult, left, right, neg;
} rq_pair_t;

static void pair_prepare(rq_pair_t *r, const int8_t *w, int32_t taps, const int32_t *bias, const int32_t *qmult,
                         int32_t oc, int two, int32_t xzp)
{
    const int32_t o1 = two ? oc + 1 : oc;
    const int32_t s0 = conv_start(w + oc * taps, taps, bias != NULL ? bias[oc] : 0, xzp);
    const int32_t s1 = two ? conv_start(w + o1 * taps, taps, bias != NULL ? bias[o1] : 0, xzp) : s0;
    const int32_t m0 = mlc_qm_mult(qmult[oc]), m1 = mlc_qm_mult(qmult[o1]);
    const int32_t h0 = mlc_qm_shift(qmult[oc]), h1 = mlc_qm_shift(qmult[o1]);
    const int32x4_t sh = mlc_mve_vec4(h0, h1, h0, h1);
    const int32x4_t zero = vdupq_n_s32(0);
    r->start = mlc_mve_vec4(s0, s1, s0, s1);
    r->mult = mlc_mve_vec4(m0, m1, m0, m1);
    r->left = vmaxq_s32(sh, zero);
    r->right = vminq_s32(sh, zero);
    r->neg = vshrq_n_s32(r->right, 31);
}

/* Four outputs of a channel pair x pixel pair: 2 x 2 dot products over the columns a, b (16 taps per
   VMLADAV.S8, a predicated tail), then the requantization of mlc_mve_rq4 from the prepared vectors. */
static MLC_MVE_INLINE int32x4_t conv_block(const int8_t *a, const int8_t *b, const int8_t *wa, const int8_t *wb,
                                           int32_t taps, int tail, const rq_pair_t *r, int32_t zp, int32x4_t lo,
                                           int32x4_t hi)
{
    int32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    int32_t n16 = taps >> 4;
    int32x4_t x;
    while (n16-- > 0) {
        const int8x16_t xa = vldrbq_s8(a), xb = vldrbq_s8(b), va = vldrbq_s8(wa), vb = vldrbq_s8(wb);
        d0 = vmladavaq_s8(d0, xa, va);
        d1 = vmladavaq_s8(d1, xa, vb);
        d2 = vmladavaq_s8(d2, xb, va);
        d3 = vmladavaq_s8(d3, xb, vb);
        a += 16;
        b += 16;
        wa += 16;
        wb += 16;
    }
    if (tail) {
        const mve_pred16_t t = vctp8q((uint32_t)(taps & 15));
        const int8x16_t xa = vldrbq_z_s8(a, t), xb = vldrbq_z_s8(b, t);
        const int8x16_t va = vldrbq_z_s8(wa, t), vb = vldrbq_z_s8(wb, t);
        d0 = vmladavaq_s8(d0, xa, va);
        d1 = vmladavaq_s8(d1, xa, vb);
        d2 = vmladavaq_s8(d2, xb, va);
        d3 = vmladavaq_s8(d3, xb, vb);
    }
    x = vaddq_s32(mlc_mve_vec4(d0, d1, d2, d3), r->start);
    x = vqrdmulhq_s32(vqshlq_s32(x, r->left), r->mult);
    x = vrshlq_s32(vaddq_s32(x, vandq_s32(vshrq_n_s32(x, 31), r->neg)), r->right);
    return vminq_s32(vmaxq_s32(vqaddq_n_s32(x, zp), lo), hi);
}

/* Output constants of the channel-pair loop. */
typedef struct {
    int32x4_t lo, hi;
    uint32x4_t y_off; /* lane (channel oc + i, pixel q + j) at y offset i * plane_out + j */
    int32_t zp, ystep;
} out_t;

static MLC_MVE_INLINE void conv_pairs_t(const int8_t *a, const int8_t *b, const int8_t *w, int32_t taps, int tail,
                                        const rq_pair_t *rq, int32_t pairs, const out_t *o, int8_t *yq)
{
    const int32x4_t lo = o->lo, hi = o->hi;
    const uint32x4_t y_off = o->y_off;
    const int32_t zp = o->zp, ystep = o->ystep;
    for (; pairs > 0; --pairs, w += 2 * taps, yq += ystep, ++rq)
        vstrbq_scatter_offset_s32(yq, y_off, conv_block(a, b, w, w + taps, taps, tail, rq, zp, lo, hi));
}

/* Full channel pairs for the pixel pair with columns a, b: out of line, so the loop has the core registers. */
static void conv_pairs(const int8_t *a, const int8_t *b, const int8_t *w, int32_t taps, const rq_pair_t *rq,
                       int32_t pairs, const out_t *o, int8_t *yq)
{
    if ((taps & 15) != 0)
        conv_pairs_t(a, b, w, taps, 1, rq, pairs, o, yq);
    else
        conv_pairs_t(a, b, w, taps, 0, rq, pairs, o, yq);
}

static void conv_im2col(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                        const int32_t *qmult, int16_t *scratch, int8_t *y)
{
    const int32_t cig = p->c_in / p->groups, cog = p->c_out / p->groups;
    const int32_t taps = cig * p->k_h * p->k_w, plane_out = p->h_out * p->w_out;
    const int64_t max_off = (int64_t)(cig - 1) * p->h_in * p->w_in + (int64_t)(p->k_h - 1) * p->dil_h * p->w_in +
                            (int64_t)(p->k_w - 1) * p->dil_w;
    uint16_t *offs = (uint16_t *)scratch;
    int8_t *col0 = (int8_t *)scratch + 2 * taps, *col1 = col0 + taps;
    const uint32_t lane_y[4] = {0u, (uint32_t)plane_out, 1u, (uint32_t)plane_out + 1u};
    rq_pair_t rq[RQ_PAIRS];
    out_t o;
    col_t c;
    int32_t n, g, c0, k, q, oh, ow;
    o.lo = vdupq_n_s32(p->act_min);
    o.hi = vdupq_n_s32(p->act_max);
    o.y_off = vldrwq_u32(lane_y);
    o.zp = p->y_zero_point;
    o.ystep = 2 * plane_out;
    c.p = p;
    c.cig = cig;
    c.taps = taps;
    c.plane_in = p->h_in * p->w_in;
    c.offs = NULL;
    if (max_off <= 0xFFFF) {
        int32_t ic, kh, kw;
        uint16_t *o = offs;
        for (ic = 0; ic < cig; ++ic)
            for (kh = 0; kh < p->k_h; ++kh)
                for (kw = 0; kw < p->k_w; ++kw) *o++ = (uint16_t)(ic * c.plane_in + kh * p->dil_h * p->w_in + kw * p->dil_w);
        c.offs = offs;
    }
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->groups; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * cig) * c.plane_in;
            for (c0 = g * cog; c0 < (g + 1) * cog; c0 += 2 * RQ_PAIRS) {
                const int32_t c1 = c0 + 2 * RQ_PAIRS < (g + 1) * cog ? c0 + 2 * RQ_PAIRS : (g + 1) * cog;
                const int32_t pairs = (c1 - c0 + 1) / 2, odd = (c1 - c0) & 1;
                for (k = 0; k < pairs; ++k)
                    pair_prepare(&rq[k], w, taps, bias, qmult, c0 + 2 * k, c0 + 2 * k + 1 < c1, p->x_zero_point);
                oh = 0;
                ow = 0;
                for (q = 0; q < plane_out; q += 2) {
                    const int two_px = q + 1 < plane_out;
                    const int8_t *cb = two_px ? col1 : col0;
                    int8_t *yq = y + (n * p->c_out + c0) * plane_out + q;
                    const int8_t *wa = w + c0 * taps;
                    conv_column(&c, xg, oh, ow, col0);
                    if (++ow == p->w_out) ow = 0, ++oh;
                    if (two_px) {
                        conv_column(&c, xg, oh, ow, col1);
                        if (++ow == p->w_out) ow = 0, ++oh;
                    }
                    if (two_px) {
                        conv_pairs(col0, cb, wa, taps, rq, pairs - odd, &o, yq);
                    } else {
                        for (k = 0; k < pairs - odd; ++k) {
                            const int32x4_t v = conv_block(col0, cb, wa + 2 * k * taps, wa + (2 * k + 1) * taps, taps,
                                                           1, &rq[k], p->y_zero_point, o.lo, o.hi);
                            vstrbq_scatter_offset_p_s32(yq + 2 * k * plane_out, o.y_off, v, vctp32q(2u));
                        }
                    }
                    k = pairs - odd;
                    wa += 2 * k * taps;
                    yq += 2 * k * plane_out;
                    if (odd) { /* the last channel alone: lanes 0 and 2 */
                        const int32x4_t v = conv_block(col0, cb, wa, wa, taps, 1, &rq[k], p->y_zero_point, o.lo, o.hi);
                        vstrbq_scatter_offset_p_s32(yq, o.y_off, v, (mve_pred16_t)(two_px ? 0x0F0Fu : 0x000Fu));
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------------ up to 16 taps */

/* Starting accumulators computed at once by the short-column path (4 bytes each on the stack). */
#define SMALL_CHUNK 64

/* Channels c0..c1 against four columns x0..x3 (lanes past the taps are 0, so weight bytes past a channel's
   taps add nothing: a full 16-byte weight load is fine wherever it stays inside the wall bytes of w). */
static MLC_MVE_INLINE void small_channels(int8x16_t x0, int8x16_t x1, int8x16_t x2, int8x16_t x3, const int8_t *w,
                                          int32_t taps, int32_t c0, int32_t c1, int32_t wall, const int32_t *starts,
                                          const int32_t *qmult, int32_t zp, int32x4_t lo, int32x4_t hi, int8_t *yq,
                                          int32_t plane_out, mve_pred16_t keep)
{
    int32_t oc;
    for (oc = c0; oc < c1; ++oc, yq += plane_out) {
        const int8_t *wp = w + oc * taps;
        const int8x16_t wv = oc * taps + 16 <= wall ? vldrbq_s8(wp) : vldrbq_z_s8(wp, vctp8q((uint32_t)taps));
        const int32x4_t acc = vaddq_n_s32(mlc_mve_vec4(vmladavq_s8(x0, wv), vmladavq_s8(x1, wv), vmladavq_s8(x2, wv),
                                                       vmladavq_s8(x3, wv)),
                                          starts[oc - c0]);
        const int32x4_t v = mlc_mve_rq4_n(acc, mlc_qm_mult(qmult[oc]), mlc_qm_shift(qmult[oc]), zp, lo, hi);
        if (keep == 0xFFFF)
            vstrbq_s32(yq, v);
        else
            vstrbq_p_s32(yq, v, keep);
    }
}

/* At most 16 taps per output (1x1 on few channels, a first layer's 3 x 3 x 1, ...): each column fits one
   vector, so four pixels' columns stay in registers while every output channel costs one weight load and
   four VMLADAV.S8; the four outputs of a channel are contiguous in y. scratch: the four columns. */
static void conv_small(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                       const int32_t *qmult, int16_t *scratch, int8_t *y)
{
    const int32_t cig = p->c_in / p->groups, cog = p->c_out / p->groups;
    const int32_t taps = cig * p->k_h * p->k_w, plane_out = p->h_out * p->w_out;
    const int32_t plane_in = p->h_in * p->w_in;
    const int64_t max_off = (int64_t)(cig - 1) * plane_in + (int64_t)(p->k_h - 1) * p->dil_h * p->w_in +
                            (int64_t)(p->k_w - 1) * p->dil_w;
    const int gather = max_off <= 0xFFFF;
    const mve_pred16_t ptaps = vctp8q((uint32_t)taps);
    const mve_pred16_t plo = vctp16q((uint32_t)(taps < 8 ? taps : 8));
    const mve_pred16_t phi = vctp16q((uint32_t)(taps > 8 ? taps - 8 : 0));
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    int8_t *col = (int8_t *)scratch;
    uint16_t o[16] = {0};
    uint16x8_t olo, ohi;
    const int32_t zp = p->y_zero_point, wall = p->c_out * taps;
    int32_t starts[SMALL_CHUNK];
    col_t c;
    int32_t n, g, c0, q, j;
    c.p = p;
    c.cig = cig;
    c.taps = taps;
    c.plane_in = plane_in;
    c.offs = NULL; /* conv_column: the border path */
    if (gather) {
        int32_t ic, kh, kw, t = 0;
        for (ic = 0; ic < cig; ++ic)
            for (kh = 0; kh < p->k_h; ++kh)
                for (kw = 0; kw < p->k_w; ++kw) o[t++] = (uint16_t)(ic * plane_in + kh * p->dil_h * p->w_in + kw * p->dil_w);
    }
    olo = vldrhq_u16(o);
    ohi = vldrhq_u16(o + 8);
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->groups; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * cig) * plane_in;
            for (c0 = g * cog; c0 < (g + 1) * cog; c0 += SMALL_CHUNK) {
                const int32_t c1 = c0 + SMALL_CHUNK < (g + 1) * cog ? c0 + SMALL_CHUNK : (g + 1) * cog;
                int32_t oc;
                for (oc = c0; oc < c1; ++oc)
                    starts[oc - c0] = conv_start(w + oc * taps, taps, bias != NULL ? bias[oc] : 0, p->x_zero_point);
                for (q = 0; q < plane_out; q += 4) {
                    const int32_t npx = plane_out - q < 4 ? plane_out - q : 4;
                    const mve_pred16_t keep = vctp32q((uint32_t)npx);
                    int8x16_t x0, x1, x2, x3;
                    int8_t *yq = y + (n * p->c_out + c0) * plane_out + q;
                    for (j = 0; j < 4; ++j) {
                        /* pixels past the end repeat the last one (their outputs are not stored) */
                        const int32_t px = q + (j < npx ? j : npx - 1);
                        const int32_t oh = px / p->w_out, ow = px - oh * p->w_out;
                        const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
                        int8_t *dst = col + j * taps;
                        if (gather && ih0 >= 0 && iw0 >= 0 && ih0 + (p->k_h - 1) * p->dil_h < p->h_in &&
                            iw0 + (p->k_w - 1) * p->dil_w < p->w_in) {
                            const int8_t *base = xg + ih0 * p->w_in + iw0;
                            vstrbq_p_s16(dst, vldrbq_gather_offset_z_s16(base, olo, plo), plo);
                            vstrbq_p_s16(dst + 8, vldrbq_gather_offset_z_s16(base, ohi, phi), phi);
                        } else {
                            conv_column(&c, xg, oh, ow, dst);
                        }
                    }
                    x0 = vldrbq_z_s8(col, ptaps);
                    x1 = vldrbq_z_s8(col + taps, ptaps);
                    x2 = vldrbq_z_s8(col + 2 * taps, ptaps);
                    x3 = vldrbq_z_s8(col + 3 * taps, ptaps);
                    if (npx == 4)
                        small_channels(x0, x1, x2, x3, w, taps, c0, c1, wall, starts, qmult, zp, lo, hi, yq, plane_out,
                                       0xFFFF);
                    else
                        small_channels(x0, x1, x2, x3, w, taps, c0, c1, wall, starts, qmult, zp, lo, hi, yq, plane_out,
                                       keep);
                }
            }
        }
    }
}

#endif /* MLC_MVE */

int mlc_conv2d_s8(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *qmult, int16_t *scratch, int8_t *y)
{
    int32_t cig, cog, oc;
    if (p->groups <= 0 || p->c_in % p->groups != 0 || p->c_out % p->groups != 0) return MLC_EINVAL;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (p->k_h <= 0 || p->k_w <= 0) return MLC_EINVAL;
    if (p->w_layout != MLC_CONV_W_OIHW && p->w_layout != MLC_CONV_W_OHWI) return MLC_EINVAL;
    if (!mlc_s8_ok(p->x_zero_point) || !mlc_s8_ok(p->y_zero_point) || !mlc_s8_range_ok(p->act_min, p->act_max))
        return MLC_EINVAL;
    cig = p->c_in / p->groups;
    cog = p->c_out / p->groups;
    (void)cog;
    if (cig > MLC_S8_MAX_TAPS / p->k_h / p->k_w) return MLC_EINVAL;
    for (oc = 0; oc < p->c_out; ++oc) {
        if (!mlc_qm_valid(qmult[oc])) return MLC_EINVAL;
    }
#if MLC_MVE
    /* the vector paths read MLC_CONV_W_OIHW (the same bytes as OHWI for one input channel or a 1x1 kernel);
       other OHWI weights (mlc stores them only for the DSP kernels) take the reference loop */
    if ((p->w_layout == MLC_CONV_W_OIHW || cig == 1 || p->k_h * p->k_w == 1) && p->n > 0 && p->c_out > 0 &&
        cig > 0 && p->h_in > 0 && p->w_in > 0 && p->h_out > 0 && p->w_out > 0) {
        if (cig == 1 && cog == 1 && conv_dw(p, x, w, bias, qmult, y)) return MLC_OK;
        if (scratch != NULL && cig * p->k_h * p->k_w <= 16) {
            conv_small(p, x, w, bias, qmult, scratch, y);
            return MLC_OK;
        }
        if (scratch != NULL && ((uintptr_t)scratch & 1u) == 0) {
            conv_im2col(p, x, w, bias, qmult, scratch, y);
            return MLC_OK;
        }
    }
#else
    (void)scratch;
#endif
    mlc_conv2d_s8_direct(p, x, w, bias, qmult, y);
    return MLC_OK;
}
